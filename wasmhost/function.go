package wasmhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Function is a loaded, compiled function. Invoke may be called
// concurrently; every call runs in a fresh instance.
type Function struct {
	cfg           FunctionConfig
	mode          Mode
	runtime       wazero.Runtime
	compiled      wazero.CompiledModule
	hasInitialize bool
	hasInit       bool
	env           [][2]string
	baseConfig    wazero.ModuleConfig

	// CompileDuration is how long Load took (compile or cache hit, plus
	// validation).
	CompileDuration time.Duration
}

// Name returns the function's name.
func (f *Function) Name() string { return f.cfg.Name }

// Mode reports how the module is driven.
func (f *Function) Mode() Mode { return f.mode }

// Config returns the configuration the function was loaded with, defaults
// applied.
func (f *Function) Config() FunctionConfig { return f.cfg }

// Close releases the function's compiled code. In-flight invocations must
// have finished.
func (f *Function) Close(ctx context.Context) error { return f.runtime.Close(ctx) }

// moduleConfig is the part of an instance's configuration that is the same
// for every invocation.
func (f *Function) moduleConfig() wazero.ModuleConfig {
	c := wazero.NewModuleConfig().
		WithName(""). // anonymous: concurrent instances of one module
		WithStartFunctions().
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader)
	for _, kv := range f.env {
		c = c.WithEnv(kv[0], kv[1])
	}
	return c
}

// Invoke runs one invocation in a fresh instance and discards it. It never
// returns a nil Result; every failure of the guest is a Result, never an
// error of the host.
func (f *Function) Invoke(ctx context.Context, req *invoke.Request) *invoke.Result {
	if req.Deadline.IsZero() {
		r := *req
		r.Deadline = time.Now().Add(f.cfg.Timeout)
		req = &r
	}
	if len(req.Payload) > invoke.MaxSyncRequest {
		return invoke.ErrorResult(invoke.Crash, "Runtime.RequestTooLarge",
			fmt.Sprintf("RequestId: %s Error: request payload of %d bytes exceeds %d bytes", req.RequestID, len(req.Payload), invoke.MaxSyncRequest))
	}
	ctx, cancel := context.WithDeadline(ctx, req.Deadline)
	defer cancel()
	inv := &invocation{req: req, context: contextValues(req)}
	ctx = context.WithValue(ctx, invocationKey{}, inv)

	log := &tailBuffer{max: f.cfg.MaxLogBytes}
	cfg := f.baseConfig.
		WithStderr(log).
		WithNanosleep(sleeper(ctx)).
		WithEnv("_X_AMZN_TRACE_ID", req.TraceID)
	var stdout *cappedBuffer
	if f.mode == ModeStdio {
		stdout = &cappedBuffer{max: invoke.MaxResponse}
		cfg = cfg.WithStdout(stdout).WithStdin(bytes.NewReader(req.Payload))
	} else {
		cfg = cfg.WithStdout(log)
	}

	var (
		res      *invoke.Result
		mod      api.Module
		err      error
		initTime time.Duration
		runTime  time.Duration
	)
	start := time.Now()
	mod, err = f.runtime.InstantiateModule(ctx, f.compiled, cfg)
	if err == nil {
		switch f.mode {
		case ModeABI:
			err = f.callInit(ctx, mod, inv)
			initTime = time.Since(start)
			if err == nil && !inv.initError {
				inv.phase = phaseInvoke
				handleStart := time.Now()
				_, err = mod.ExportedFunction("fresco_handle").Call(ctx)
				runTime = time.Since(handleStart)
			}
		case ModeStdio:
			_, err = mod.ExportedFunction("_start").Call(ctx)
			runTime = time.Since(start)
		}
	} else {
		runTime = time.Since(start)
	}

	res = f.classify(ctx, inv, err, stdout, log)
	res.Duration = runTime
	res.InitDuration = initTime
	if mod != nil {
		if mem := mod.Memory(); mem != nil {
			res.MaxMemoryBytes = uint64(mem.Size())
		}
		mod.Close(context.Background())
	}
	if res.Kind == invoke.Crash && res.ErrorType == invoke.ErrExit && f.outOfMemory(res.MaxMemoryBytes, log) {
		res = f.errorResult(invoke.Crash, invoke.ErrOutOfMemory, req.RequestID,
			fmt.Sprintf("Runtime exited with error: out of memory (memory limit %d MB)", f.cfg.MemoryMB), res)
	}
	res.Log = log.Bytes()
	return res
}

// callInit runs the guest's init phase: _initialize, then fresco_init.
func (f *Function) callInit(ctx context.Context, mod api.Module, inv *invocation) error {
	if f.hasInitialize {
		if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
			return err
		}
	}
	if f.hasInit && !inv.initError {
		if _, err := mod.ExportedFunction("fresco_init").Call(ctx); err != nil {
			return err
		}
	}
	return nil
}

// classify turns how the guest ended into a Result.
func (f *Function) classify(ctx context.Context, inv *invocation, err error, stdout *cappedBuffer, log *tailBuffer) *invoke.Result {
	id := inv.req.RequestID
	// Timeouts first: once the deadline has passed, whatever the guest was
	// doing, the invocation timed out.
	if exit, ok := errorsAs[*sys.ExitError](err); ok && exit.ExitCode() == sys.ExitCodeDeadlineExceeded ||
		err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return invoke.ErrorResult(invoke.Timeout, invoke.ErrTimeout,
			fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, f.cfg.Timeout.Seconds()))
	}
	if inv.tooLarge > 0 || stdout != nil && stdout.overflowed() {
		size := inv.tooLarge
		if stdout != nil && stdout.overflowed() {
			size = stdout.total
		}
		return invoke.ErrorResult(invoke.ResponseTooLarge, invoke.ErrResponseTooLarge,
			fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", size, invoke.MaxResponse))
	}
	if inv.fault != nil {
		fmt.Fprintf(log, "fresco: ABI violation: %v\n", inv.fault)
		return invoke.ErrorResult(invoke.Crash, invoke.ErrABI, fmt.Sprintf("RequestId: %s Error: %v", id, inv.fault))
	}
	if inv.initError {
		return &invoke.Result{Kind: invoke.Crash, ErrorType: inv.errType, Payload: inv.errBody}
	}
	if f.mode == ModeStdio {
		return f.classifyStdio(inv, err, stdout, log)
	}
	// A guest that posted its answer and then exited cleanly has answered.
	if exit, ok := errorsAs[*sys.ExitError](err); ok && exit.ExitCode() == 0 {
		err = nil
		if !inv.posted {
			return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
				fmt.Sprintf("RequestId: %s Error: Runtime exited without providing a reason", id))
		}
	}
	if err != nil {
		return f.crash(id, err, log)
	}
	switch {
	case inv.errBody != nil:
		return &invoke.Result{Kind: invoke.FunctionError, ErrorType: inv.errType, Payload: inv.errBody}
	case inv.posted:
		return &invoke.Result{Kind: invoke.Success, Payload: inv.response}
	default:
		return invoke.ErrorResult(invoke.Crash, invoke.ErrNoResponse,
			fmt.Sprintf("RequestId: %s Error: fresco_handle returned without posting a response or an error", id))
	}
}

func (f *Function) classifyStdio(inv *invocation, err error, stdout *cappedBuffer, log *tailBuffer) *invoke.Result {
	code := uint32(0)
	if err != nil {
		exit, ok := errorsAs[*sys.ExitError](err)
		if !ok {
			return f.crash(inv.req.RequestID, err, log)
		}
		code = exit.ExitCode()
	}
	if code == 0 {
		return &invoke.Result{Kind: invoke.Success, Payload: stdout.buf}
	}
	// A non-zero exit is a function error: the guest's own error document
	// when stdout is one, else Runtime.ExitError with stdout in the log.
	var doc struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(stdout.buf, &doc) == nil && doc.ErrorType != "" {
		typ, body := errorDocument(doc.ErrorType, stdout.buf, false)
		return &invoke.Result{Kind: invoke.FunctionError, ErrorType: typ, Payload: body}
	}
	log.Write(stdout.buf)
	res := invoke.ErrorResult(invoke.FunctionError, invoke.ErrExit,
		fmt.Sprintf("RequestId: %s Error: Runtime exited with error: exit status %d", inv.req.RequestID, code))
	return res
}

// crash reports a trap or a non-zero exit.
func (f *Function) crash(id string, err error, log *tailBuffer) *invoke.Result {
	if exit, ok := errorsAs[*sys.ExitError](err); ok {
		if exit.ExitCode() == sys.ExitCodeContextCanceled {
			return invoke.ErrorResult(invoke.Crash, "Sandbox.Canceled",
				fmt.Sprintf("RequestId: %s Error: invocation canceled", id))
		}
		return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
			fmt.Sprintf("RequestId: %s Error: Runtime exited with error: exit status %d", id, exit.ExitCode()))
	}
	// A trap: the first line is the reason, the rest the wasm stack.
	msg := err.Error()
	fmt.Fprintf(log, "fresco: %s\n", msg)
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
		fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", id, msg))
}

func (f *Function) errorResult(kind invoke.Kind, typ, id, msg string, prev *invoke.Result) *invoke.Result {
	r := invoke.ErrorResult(kind, typ, fmt.Sprintf("RequestId: %s Error: %s", id, msg))
	r.MaxMemoryBytes = prev.MaxMemoryBytes
	r.Duration, r.InitDuration = prev.Duration, prev.InitDuration
	return r
}

// outOfMemory tells whether a crashed guest most likely died of the memory
// cap: wazero refuses memory.grow past the limit without telling the host,
// so this looks at how close the memory got to the cap and at what the
// guest said (Go prints "out of memory").
func (f *Function) outOfMemory(memBytes uint64, log *tailBuffer) bool {
	limit := uint64(f.cfg.MemoryMB) << 20
	const slack = 8 << 20 // a runtime grows its heap in chunks of a few MB
	if memBytes+slack >= limit {
		return true
	}
	return bytes.Contains(log.buf.Bytes(), []byte("out of memory"))
}

// sleeper is the guest's nanosleep: a real sleep that ends early when the
// invocation's context is done, so a sleeping guest is stopped at its
// deadline rather than after its sleep.
func sleeper(ctx context.Context) sys.Nanosleep {
	return func(ns int64) {
		if ns <= 0 {
			return
		}
		t := time.NewTimer(time.Duration(ns))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}
