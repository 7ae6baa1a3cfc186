package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

// extras are RESULT pairs that belong to no row: load times, snapshot use,
// resident memory over a long run. Rows are measured one after another, so
// a mutex is all they need.
var extras struct {
	sync.Mutex
	kv    []string
	lines []string // printed under the table
}

func addExtra(key, format string, v any) {
	extras.Lock()
	extras.kv = append(extras.kv, key+"="+fmt.Sprintf(format, v))
	extras.Unlock()
}

func addNote(format string, args ...any) {
	extras.Lock()
	extras.lines = append(extras.lines, fmt.Sprintf(format, args...))
	extras.Unlock()
}

// soakInvocations is how many invocations soak runs: a million, as the
// issue asks of the minimal module, or a tenth with -short.
func soakInvocations(cfg *config, key string) int {
	n := 1_000_000
	if key != "tiny" {
		n = 20_000
	}
	if cfg.short {
		n /= 10
	}
	return n
}

// soak runs many invocations of f and reports the process's resident
// memory before and after (after a GC, so that garbage not yet collected
// does not count): flat means no instance, memory mapping or buffer leaks
// per invocation.
func soak(ctx context.Context, cfg *config, key string, f *wasmhost.Module, req *invoke.Request, progress func(string, ...any)) error {
	n := soakInvocations(cfg, key)
	rss := func() float64 {
		runtime.GC()
		return float64(residentBytes()) / (1 << 20)
	}
	before := rss()
	start := time.Now()
	samples := []string{fmt.Sprintf("%.1f", before)}
	for i := 1; i <= n; i++ {
		if res := f.Invoke(ctx, req); res.Kind != invoke.Success {
			return fmt.Errorf("soak %s: invocation %d: %v: %s", key, i, res.Kind, res.Payload)
		}
		if i%(n/4) == 0 {
			samples = append(samples, fmt.Sprintf("%.1f", rss()))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	after := rss()
	made, reused, discarded := f.SnapshotStats()
	progress("%s soak: %d invocations in %s, RSS MB %s, instances made %d reused %d discarded %d",
		key, n, time.Since(start).Round(time.Millisecond), strings.Join(samples, " → "), made, reused, discarded)
	addNote("%s: RSS over %d invocations (MB, each quarter): %s", key, n, strings.Join(samples, " → "))
	addExtra(key+"_soak_invocations", "%d", n)
	addExtra(key+"_rss_start_mb", "%.1f", before)
	addExtra(key+"_rss_end_mb", "%.1f", after)
	return nil
}

// smapsRollup is a field of /proc/self/smaps_rollup in bytes, 0 where it
// is not available.
func smapsRollup(field string) int64 {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// residentBytes is the process's resident set size (VmRSS), 0 where
// /proc is not available.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
