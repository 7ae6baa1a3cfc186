package emulator

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

// function is one loaded function: invokeapi.Function.
type function struct {
	e        *Emulator
	cfg      *Function
	code     atomic.Pointer[code] // replaced by a rebuild (fresco start --watch)
	arn      string
	reserved chan struct{} // nil: no ReservedConcurrentExecutions
}

// code is one build of a function: a compiled wasm module, or the pool of
// runtime processes of a process function. Invocations hold its read lock
// while they run; a rebuild swaps in a new code and closes the old one once
// the write lock shows nothing runs on it any more.
type code struct {
	wasm     *wasmhost.Function // nil for a process function
	pool     *processPool       // nil for a wasm function
	artifact string             // the .wasm or bootstrap it was loaded from
	mu       sync.RWMutex
	closed   bool
}

// invoke runs one invocation on the code.
func (c *code) invoke(ctx context.Context, req *invoke.Request) *invoke.Result {
	if c.pool != nil {
		return c.pool.invoke(ctx, req)
	}
	return c.wasm.Invoke(ctx, req)
}

// close releases the compiled module, or stops the runtime processes.
func (c *code) close() error {
	if c.pool != nil {
		c.pool.close()
		return nil
	}
	return c.wasm.Close(context.Background())
}

// acquireCode returns the current code, read-locked.
func (f *function) acquireCode() *code {
	for {
		c := f.code.Load()
		c.mu.RLock()
		if !c.closed {
			return c
		}
		// Swapped and closed between the load and the lock: take the new one.
		c.mu.RUnlock()
	}
}

// replaceCode swaps in next and closes the previous code after its
// in-flight invocations have finished.
func (f *function) replaceCode(next *code) {
	prev := f.code.Swap(next)
	if prev == nil {
		return
	}
	prev.mu.Lock()
	prev.closed = true
	prev.mu.Unlock()
	prev.close()
}

func (f *function) Name() string    { return f.cfg.Name }
func (f *function) ARN() string     { return f.arn }
func (f *function) Version() string { return "$LATEST" }

// Config returns the function's template configuration.
func (f *function) Config() *Function { return f.cfg }

// Invoke runs one invocation and logs it. The invocation is detached from
// ctx's cancellation, as on Lambda: a caller that goes away does not stop
// a running function; its deadline does.
func (f *function) Invoke(ctx context.Context, req *invoke.Request) (*invoke.Result, error) {
	release, err := f.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	return f.run(context.WithoutCancel(ctx), req), nil
}

// InvokeAsync queues an Event invocation: it runs detached and its outcome
// is logged. Emulator.Close waits for it.
func (f *function) InvokeAsync(req *invoke.Request) error {
	release, err := f.acquire()
	if err != nil {
		return err
	}
	f.e.async.Add(1)
	go func() {
		defer f.e.async.Done()
		defer release()
		res := f.run(context.Background(), req)
		attrs := []any{"function", f.cfg.LogicalID, "request_id", req.RequestID, "outcome", res.Kind.String()}
		if res.Kind != invoke.Success {
			attrs = append(attrs, "error_type", res.ErrorType, "error", string(res.Payload))
			f.e.logger.Warn("async invocation failed", attrs...)
			return
		}
		f.e.logger.Info("async invocation succeeded", attrs...)
	}()
	return nil
}

// acquire takes a slot of the function's reserved concurrency and of the
// emulator's overall limit, or refuses with TooManyRequestsException.
func (f *function) acquire() (release func(), err error) {
	select {
	case f.e.inflight <- struct{}{}:
	default:
		return nil, invoke.TooManyRequests("Rate Exceeded.")
	}
	if f.reserved != nil {
		select {
		case f.reserved <- struct{}{}:
		default:
			<-f.e.inflight
			return nil, invoke.TooManyRequests("Rate Exceeded. Function %s is at its reserved concurrency (%d).", f.cfg.Name, cap(f.reserved))
		}
	}
	return func() {
		if f.reserved != nil {
			<-f.reserved
		}
		<-f.e.inflight
	}, nil
}

// run invokes the function (wasm, or a runtime process) and wraps its log in
// Lambda's START, END and REPORT lines, which it also writes to the
// function log.
func (f *function) run(ctx context.Context, req *invoke.Request) *invoke.Result {
	c := f.acquireCode()
	res := c.invoke(ctx, req)
	c.mu.RUnlock()
	var b bytes.Buffer
	fmt.Fprintf(&b, "START RequestId: %s Version: %s\n", req.RequestID, f.Version())
	b.Write(res.Log)
	if len(res.Log) > 0 && res.Log[len(res.Log)-1] != '\n' {
		b.WriteByte('\n')
	}
	if res.Kind != invoke.Success {
		// Lambda logs the error of a failed invocation.
		fmt.Fprintf(&b, "%s\n", res.Payload)
	}
	fmt.Fprintf(&b, "END RequestId: %s\n", req.RequestID)
	b.WriteString(ReportLine(req.RequestID, res, f.cfg.MemoryMB))
	b.WriteByte('\n')
	res.Log = b.Bytes()

	f.e.writeFunctionLog(res.Log)
	return res
}

// ReportLine formats Lambda's REPORT line: durations with microsecond
// precision, billed duration rounded up to the millisecond, memory in MB.
func ReportLine(requestID string, res *invoke.Result, memoryMB int) string {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	billed := int64(math.Ceil(ms(res.Duration)))
	if billed < 1 {
		billed = 1
	}
	usedMB := (res.MaxMemoryBytes + (1<<20 - 1)) >> 20
	line := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.3f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		requestID, ms(res.Duration), billed, memoryMB, usedMB)
	if res.InitDuration > 0 {
		line += fmt.Sprintf("\tInit Duration: %.3f ms", ms(res.InitDuration))
	}
	if res.RestoreDuration > 0 {
		line += fmt.Sprintf("\tRestore Duration: %.3f ms", ms(res.RestoreDuration))
	}
	if res.Kind == invoke.Timeout {
		line += "\tStatus: timeout"
	}
	return line
}
