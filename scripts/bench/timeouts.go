package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

// timeoutLateness measures how late the stop comes: the Go samples spin
// (a busy loop) and sleep (time.Sleep past the deadline) run under a
// 100 ms timeout, first one at a time, then spin on every core at once
// (the case where no processor of the Go runtime is free for the timer),
// and the notes report how long after the deadline each handler was
// stopped.
// Nothing asserts on them.
func timeoutLateness(ctx context.Context, cfg *config, progress func(string, ...any)) error {
	if !cfg.only.MatchString("timeouts") {
		return nil
	}
	h, err := wasmhost.New(wasmhost.Config{CacheDir: filepath.Join(cfg.cacheDir, "wazero"), FullResets: cfg.fullResets})
	if err != nil {
		return err
	}
	defer h.Close(context.Background())
	const timeout = 100 * time.Millisecond
	for _, tc := range []struct {
		sample, event string
		parallel      int
	}{{"spin", `{}`, 1}, {"sleep", `{"ms":10000}`, 1}, {"spin", `{}`, runtime.GOMAXPROCS(0)}} {
		wasm, err := buildSample(ctx, cfg, progress, tc.sample)
		if err != nil {
			return err
		}
		f, err := h.Load(ctx, wasmhost.FunctionConfig{Name: tc.sample, Timeout: timeout}, wasm)
		if err != nil {
			return err
		}
		var (
			mu   sync.Mutex
			late []time.Duration
			bad  int
		)
		for range 10 {
			var wg sync.WaitGroup
			for range tc.parallel {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := f.Invoke(ctx, &invoke.Request{RequestID: invoke.NewRequestID(), Payload: []byte(tc.event)})
					// The handler's run, from its call to its stop (the
					// instance each run needs anew, the last one having
					// been discarded, is made before: Restore Duration).
					d := res.Duration - timeout
					mu.Lock()
					defer mu.Unlock()
					if res.Kind != invoke.Timeout {
						bad++
						return
					}
					late = append(late, d)
				}()
			}
			wg.Wait()
		}
		f.Close(context.Background())
		slices.Sort(late)
		if len(late) == 0 {
			return fmt.Errorf("timeouts: %s: no invocation timed out", tc.sample)
		}
		addNote("timeout %s (%d at once, %v deadline): stopped %s after it p50, %s at most (%d runs; %d did not time out)",
			tc.sample, tc.parallel, timeout, late[len(late)/2].Round(10*time.Microsecond), late[len(late)-1].Round(10*time.Microsecond), len(late), bad)
		addExtra(fmt.Sprintf("timeout_%s_x%d_late_p50_us", tc.sample, tc.parallel), "%.0f", float64(late[len(late)/2])/float64(time.Microsecond))
		addExtra(fmt.Sprintf("timeout_%s_x%d_late_max_us", tc.sample, tc.parallel), "%.0f", float64(late[len(late)-1])/float64(time.Microsecond))
	}
	return nil
}
