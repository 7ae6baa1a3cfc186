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
	"github.com/tetratelabs/wazero/experimental"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/internal/tailbuf"
	"github.com/frescolabs/fresco/internal/wasmbin"
	"github.com/frescolabs/fresco/wasmhost/imports/fresco"
	"github.com/frescolabs/fresco/wasmhost/imports/wasi"
)

// Module is a loaded, compiled function: its module and snapshot. Invoke may be called
// concurrently; every call runs in a fresh instance.
type Module struct {
	cfg           FunctionConfig
	host          *Host
	iface         Interface
	runtime       wazero.Runtime
	compiled      wazero.CompiledModule
	hasInitialize bool
	hasInit       bool
	env           [][2]string
	baseConfig    wazero.ModuleConfig
	// hasSnapshotHook: the guest exports fresco_snapshot, so it may be
	// snapshotted after its init (docs/abi.md).
	hasSnapshotHook bool
	// snap is the function's pre-initialised image, nil when invocations
	// run in fresh instances; snapErr says why not.
	snap    *snapshot
	snapErr error
	// tableMin is the entries of the module's tables at instantiation;
	// tablesExported says its code may grow them, and that it exports
	// wasmbin.TablesExport, which counts them.
	tableMin       uint64
	tablesExported bool
	// stopChecks: the module compiled carries the stop checks
	// (wasmbin.StopExport), and its instances are stopped by a stopper;
	// without them the runtime's WithCloseOnContextDone stops them.
	stopChecks bool
	// taskFS is /var/task, read-only, shared by the function's instances.
	taskFS experimentalsys.FS

	// CompileDuration is how long Load took (compile or cache hit, plus
	// validation).
	CompileDuration time.Duration
}

// Name returns the function's name.
func (f *Module) Name() string { return f.cfg.Name }

// Interface reports how the module is driven: through the fresco ABI or
// as a WASI command on stdin and stdout.
func (f *Module) Interface() Interface { return f.iface }

// Config returns the configuration the function was loaded with, defaults
// applied.
func (f *Module) Config() FunctionConfig { return f.cfg }

// Close releases the function's compiled code. In-flight invocations must
// have finished.
func (f *Module) Close(ctx context.Context) error {
	if f.snap != nil {
		f.snap.close()
	}
	return f.runtime.Close(ctx)
}

// moduleConfig is the part of an instance's configuration that is the same
// for every invocation. withEnv adds the function's environment.
func (f *Module) moduleConfig(withEnv bool) wazero.ModuleConfig {
	c := wazero.NewModuleConfig().
		WithName(""). // anonymous: concurrent instances of one module
		WithStartFunctions().
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader)
	if withEnv {
		for _, kv := range f.env {
			c = c.WithEnv(kv[0], kv[1])
		}
	}
	return c
}

// instanceConfig is the configuration of one invocation's instance, before
// its output writers and sleep are set (those With calls only set fields
// of a clone, which is safe on a shared config).
//
// An ABI function gets the shared config as is: its environment is fixed
// at load, and it reads the trace id from the invocation's context. A
// stdio function has no context, so _X_AMZN_TRACE_ID is part of its
// environment, which is then built per invocation onto a config that has
// none: wazero's WithEnv appends to slices a cloned config shares with its
// parent, so appending to one shared config from concurrent invocations
// races (the race detector caught it).
func (f *Module) instanceConfig(traceID string) wazero.ModuleConfig {
	if f.iface == InterfaceABI {
		return f.baseConfig
	}
	c := f.baseConfig
	for _, kv := range f.env {
		c = c.WithEnv(kv[0], kv[1])
	}
	return c.WithEnv("_X_AMZN_TRACE_ID", traceID)
}

// sandbox is what an instance holds beside its wazero module: the count
// of what the host holds for it, and its /tmp.
type sandbox struct {
	mem *abi.HostMemory
	tmp *wasi.TmpFS
}

// newSandbox returns an instance's sandbox, and cfg with its files
// mounted (/var/task and /tmp).
func (f *Module) newSandbox(cfg wazero.ModuleConfig) (sandbox, wazero.ModuleConfig) {
	mem := &abi.HostMemory{Limit: int64(f.cfg.MemoryMB) << 20}
	tmp := wasi.NewTmpFS(int64(f.cfg.EphemeralStorageMB)<<20, mem)
	return sandbox{mem: mem, tmp: tmp}, cfg.WithFSConfig(wasi.FSConfig(f.taskFS, tmp))
}

// reset empties the sandbox: the next invocation finds /tmp empty and
// the host holding nothing for it.
func (s sandbox) reset() {
	s.tmp.Reset()
	s.mem.Reset()
}

// InitTimeout bounds a guest's init phase, as Lambda bounds a function's
// init (10 s); the function's Timeout applies to its handler.
const InitTimeout = 10 * time.Second

// Invoke runs one invocation in a fresh instance and discards it. It never
// returns a nil Result; every failure of the guest is a Result, never an
// error of the host.
//
// As on Lambda, the function's Timeout bounds its handler, counted from
// the moment the handler starts, and the init phase has a limit of its
// own (InitTimeout). A zero req.Deadline means the handler's start plus
// the function's Timeout.
func (f *Module) Invoke(ctx context.Context, req *invoke.Request) *invoke.Result {
	if len(req.Payload) > invoke.MaxSyncRequest {
		return invoke.ErrorResult(invoke.Crash, "Runtime.RequestTooLarge",
			fmt.Sprintf("RequestId: %s Error: request payload of %d bytes exceeds %d bytes", req.RequestID, len(req.Payload), invoke.MaxSyncRequest))
	}
	if f.snap != nil {
		return f.invokeSnapshot(ctx, req)
	}
	return f.invokeFresh(ctx, req)
}

// errWaitTimeout: the invocation's deadline passed while it waited for an
// init slot or for an instance in use.
var errWaitTimeout = errors.New("timed out waiting for an instance")

// acquireInitSlot takes one of the host's init slots, waiting at most
// until deadline.
func (h *Host) acquireInitSlot(ctx context.Context, deadline time.Time) error {
	select {
	case h.initSlots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case h.initSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errWaitTimeout
	}
}

// initSlotFree reports whether an init slot is free now (it may not be by
// the time the caller asks for it).
func (h *Host) initSlotFree() bool { return len(h.initSlots) < cap(h.initSlots) }

// notStarted is the result of an invocation whose wait for an instance
// ended with err.
func (f *Module) notStarted(req *invoke.Request, err error) *invoke.Result {
	switch {
	case errors.Is(err, errWaitTimeout):
		return invoke.ErrorResult(invoke.Timeout, invoke.ErrTimeout,
			fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", req.RequestID, f.cfg.Timeout.Seconds()))
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return invoke.ErrorResult(invoke.Crash, invoke.ErrCanceled,
			fmt.Sprintf("RequestId: %s Error: invocation canceled before it started", req.RequestID))
	}
	return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
		fmt.Sprintf("RequestId: %s Error: cannot make an instance from the snapshot: %v", req.RequestID, err))
}

// freshRun is one invocation in a fresh instance.
type freshRun struct {
	inv    *abi.Invocation
	cfg    wazero.ModuleConfig
	log    *tailbuf.Buffer
	stdout *cappedBuffer // a stdio function's response
	box    sandbox
	// phaseCtx is the context of the current phase. The guest runs on the
	// invoking goroutine only, so its sleeps follow it through this field.
	phaseCtx context.Context
	mod      api.Module
	// stop stops the guest (nil: the runtime closes the module when the
	// phase's context is done), and why says whether and why it did.
	stop *stopper
	why  stopReason
	// releaseInit gives the init slot back, once.
	releaseInit       func()
	initTime, runTime time.Duration
}

// invokeFresh runs one invocation in a fresh instance that runs the
// guest's init, and discards it.
func (f *Module) invokeFresh(ctx context.Context, req *invoke.Request) *invoke.Result {
	if f.host.memory != nil {
		ctx = experimental.WithMemoryAllocator(ctx, f.host.memory)
	}
	inv := abi.New(req)
	ctx = abi.With(ctx, inv)
	run := f.newFreshRun(ctx, inv)

	// Instantiation and init are CPU-bound; running more of them at once
	// than there are cores only makes every one of them late. Queue for a
	// slot first, within the invocation's time: a burst that waits past
	// its timeout times out, as it would have if it had run.
	if err := f.host.acquireInitSlot(ctx, f.deadline(req, time.Now())); err != nil {
		return f.notStarted(req, err)
	}
	initDone := false
	run.releaseInit = func() {
		if !initDone {
			initDone = true
			<-f.host.initSlots
		}
	}
	defer run.releaseInit()

	var err error
	switch f.iface {
	case InterfaceABI:
		err = f.runABI(ctx, run)
	case InterfaceStdio:
		err = f.runStdio(ctx, run)
	}

	// What host modules hold for the invocation (open responses) is
	// released before anything else looks at the instance.
	inv.End()
	res := f.classify(run.why, inv, err, run.stdout, run.log)
	res.Duration = run.runTime
	res.InitDuration = run.initTime
	if run.mod != nil {
		res.MaxMemoryBytes = f.memoryUsed(run.mod, run.stop, run.box.mem)
		run.mod.Close(context.Background())
	}
	inv.Buffers.ReleaseAll()
	return f.finish(res, req.RequestID, run.log)
}

// setStopper makes s (nil: none) the run's stopper, and its invocation's.
func (run *freshRun) setStopper(s *stopper) {
	run.stop = s
	if s != nil {
		run.inv.Stop = s
	}
}

// newFreshRun sets up the instance's configuration and output for inv.
func (f *Module) newFreshRun(ctx context.Context, inv *abi.Invocation) *freshRun {
	req := inv.Request
	run := &freshRun{inv: inv, log: tailbuf.New(f.cfg.MaxLogBytes), phaseCtx: ctx}
	run.box, run.cfg = f.newSandbox(f.instanceConfig(req.TraceID))
	inv.Memory = run.box.mem
	run.cfg = run.cfg.
		WithStderr(run.log).
		WithNanosleep(func(ns int64) {
			if run.stop != nil {
				run.stop.sleep(ns)
				return
			}
			sleep(run.phaseCtx, ns)
		})
	if f.iface == InterfaceStdio {
		run.stdout = &cappedBuffer{max: invoke.MaxResponse}
		run.cfg = run.cfg.WithStdout(run.stdout).WithStdin(bytes.NewReader(req.Payload))
	} else {
		run.cfg = run.cfg.WithStdout(run.log)
	}
	return run
}

// runABI instantiates an ABI function, runs its init under InitTimeout,
// gives the init slot back, then calls fresco_handle under the handler's
// deadline. An error (or an init error the guest posted) is classified
// against the phase it ended in.
func (f *Module) runABI(ctx context.Context, run *freshRun) error {
	start := time.Now()
	ictx, cancel := context.WithTimeout(ctx, f.host.initTimeout)
	run.phaseCtx = ictx
	mod, err := f.runtime.InstantiateModule(ictx, f.compiled, run.cfg)
	run.mod = mod
	if err == nil {
		run.box.mem.Memory = mod.Memory()
		run.setStopper(f.stopperOf(mod))
		err, run.why = guard(ictx, run.stop, start.Add(f.host.initTimeout), func() error { return f.callInit(ictx, mod, run.inv) })
	}
	cancel()
	run.initTime = time.Since(start)
	run.releaseInit()
	if err != nil || run.inv.InitError {
		return err
	}
	handleStart := time.Now()
	deadline := f.deadline(run.inv.Request, handleStart)
	hctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	run.phaseCtx = hctx
	// As with a snapshot's instance, /tmp is empty when the handler starts.
	run.box.reset()
	run.inv.StartInvoke(deadline)
	handle := mod.ExportedFunction("fresco_handle")
	err, run.why = guard(hctx, run.stop, deadline, func() error {
		_, err := handle.Call(hctx)
		return err
	})
	run.runTime = time.Since(handleStart)
	return err
}

// runStdio instantiates a WASI command and runs _start, both under the
// handler's deadline (a command has no init phase of its own).
func (f *Module) runStdio(ctx context.Context, run *freshRun) error {
	start := time.Now()
	deadline := f.deadline(run.inv.Request, start)
	hctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	run.phaseCtx = hctx
	run.inv.StartInvoke(deadline)
	mod, err := f.runtime.InstantiateModule(hctx, f.compiled, run.cfg)
	run.mod = mod
	run.releaseInit()
	if err == nil {
		run.box.mem.Memory = mod.Memory()
		run.setStopper(f.stopperOf(mod))
		start := mod.ExportedFunction("_start")
		err, run.why = guard(hctx, run.stop, deadline, func() error {
			_, err := start.Call(hctx)
			return err
		})
	}
	run.runTime = time.Since(start)
	return err
}

// finish tells a guest that died of the memory cap from other crashes and
// attaches the log.
func (f *Module) finish(res *invoke.Result, id string, log *tailbuf.Buffer) *invoke.Result {
	if res.Kind == invoke.Crash && res.ErrorType == invoke.ErrExit && f.outOfMemory(res.MaxMemoryBytes, log) {
		res = f.errorResult(invoke.Crash, invoke.ErrOutOfMemory, id,
			fmt.Sprintf("Runtime exited with error: out of memory (memory limit %d MB)", f.cfg.MemoryMB), res)
	}
	res.Log = log.Bytes()
	return res
}

// invokeSnapshot runs one invocation of a snapshot function: on an instance
// at the image, fresco_handle only. The instance goes back to the snapshot
// to be reset, or is discarded if it cannot be (see snapshot.put).
func (f *Module) invokeSnapshot(ctx context.Context, req *invoke.Request) *invoke.Result {
	s := f.snap
	arrival := time.Now()
	in, restore, err := s.get(ctx, arrival, f.deadline(req, arrival))
	if err != nil {
		return f.notStarted(req, err)
	}
	inv := abi.New(req)
	log := tailbuf.New(f.cfg.MaxLogBytes)
	in.out.w = log
	start := arrival // no wait worth counting: one clock read less
	if restore != 0 {
		start = time.Now()
	}
	deadline := f.deadline(req, start)
	inv.StartInvoke(deadline)
	inv.Memory = in.box.mem
	inv.Stop = in.stop
	// The stopper ends the guest at the deadline (or when the caller
	// gives up): the guest traps at its next check, on this goroutine, and
	// the instance is discarded. Nothing frees its memory under running
	// code.
	in.stop.arm(ctx, deadline)
	_, err = in.handle.Call(abi.With(ctx, inv))
	why := in.stop.disarm()
	runTime := time.Since(start)
	inv.End()

	res := f.classify(stopped(err, why), inv, err, nil, log)
	res.Duration = runTime
	res.RestoreDuration = restore
	if !in.mod.IsClosed() {
		res.MaxMemoryBytes = f.memoryUsed(in.mod, in.stop, in.box.mem)
	}
	inv.Buffers.ReleaseAll()
	// Only an instance whose guest returned normally is reset: after a
	// trap, an exit or a timeout it is discarded, as is one that touched
	// WASI state the image does not hold or left a file open, or whose
	// call stack grew deep (wazero keeps the stack it grew).
	reusable := err == nil && inv.Fault == nil && inv.Tainted == "" && inv.OpenFiles == 0 && in.stop.peak <= deepStack &&
		(res.Kind == invoke.Success || res.Kind == invoke.FunctionError)
	s.put(in, reusable)
	return f.finish(res, req.RequestID, log)
}

// memoryUsed is what Max Memory Used reports for an instance: its linear
// memory, its tables' entries, the peak of its call stack (s nil: not
// counted) and the most the host held for it (buffers, /tmp), up to the
// memory size (as on Lambda, where a function never reports more than it
// has; the tables' own bound is a quarter of it, on top, see
// maxTableEntries).
func (f *Module) memoryUsed(mod api.Module, s *stopper, host *abi.HostMemory) uint64 {
	used := uint64(host.Peak())
	if mem := mod.Memory(); mem != nil {
		used += uint64(mem.Size())
	}
	if s != nil {
		used += s.peak
	}
	return min(used+f.tableBytes(mod), uint64(f.cfg.MemoryMB)<<20)
}

// tableBytes is what mod's tables hold in the host's heap: their entries
// at instantiation or, when its code can grow them and the instance is
// still open, as many as they have now (tables never shrink: that is their
// peak).
func (f *Module) tableBytes(mod api.Module) uint64 {
	entries := f.tableMin
	if f.tablesExported && !mod.IsClosed() {
		if res, err := mod.ExportedFunction(wasmbin.TablesExport).Call(context.Background()); err == nil {
			entries = uint64(api.DecodeU32(res[0]))
		}
	}
	return entries * tableEntrySize
}

// callInit runs the guest's init phase: _initialize, then fresco_init.
func (f *Module) callInit(ctx context.Context, mod api.Module, inv *abi.Invocation) error {
	if f.hasInitialize {
		if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
			return err
		}
	}
	if f.hasInit && !inv.InitError {
		if _, err := mod.ExportedFunction("fresco_init").Call(ctx); err != nil {
			return err
		}
	}
	return nil
}

// classify turns how the guest ended into a Result.
func (f *Module) classify(why stopReason, inv *abi.Invocation, err error, stdout *cappedBuffer, log *tailbuf.Buffer) *invoke.Result {
	res := f.classifyEnd(why, inv, err, stdout, log)
	if inv.Streaming && inv.Request.Stream != nil {
		// What went to the stream is not the result's to carry.
		res.Streamed, res.StreamContentType = inv.Streamed, inv.StreamType
		if res.Kind == invoke.Success {
			res.Payload = nil
		}
		if inv.StreamErr != nil {
			fmt.Fprintf(log, "fresco: the response stream ended early: %v\n", inv.StreamErr)
		}
	}
	return res
}

func (f *Module) classifyEnd(why stopReason, inv *abi.Invocation, err error, stdout *cappedBuffer, log *tailbuf.Buffer) *invoke.Result {
	id := inv.Request.RequestID
	// What the guest posted is the answer, however it ended after posting
	// (a trap, an exit, an endless loop stopped postGrace later), as on the
	// Runtime API, where a response is returned once it is posted.
	if err != nil && !cleanExit(err) && inv.Posted && inv.Phase == abi.PhaseInvoke && !inv.InitError && inv.TooLarge == 0 && inv.Fault == nil {
		fmt.Fprintf(log, "fresco: the guest did not return cleanly after posting its answer: %s\n", firstLine(err.Error()))
		if inv.ErrBody != nil {
			return &invoke.Result{Kind: invoke.FunctionError, ErrorType: inv.ErrType, Payload: inv.ErrBody}
		}
		return &invoke.Result{Kind: invoke.Success, Payload: inv.Response}
	}
	// Timeouts next: once the deadline has passed, whatever the guest was
	// doing, the invocation timed out.
	if why == stoppedDeadline {
		if inv.Phase == abi.PhaseInit {
			return invoke.ErrorResult(invoke.Timeout, invoke.ErrTimeout,
				fmt.Sprintf("RequestId: %s Error: Init timed out after %.2f seconds", id, f.host.initTimeout.Seconds()))
		}
		return invoke.ErrorResult(invoke.Timeout, invoke.ErrTimeout,
			fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, f.cfg.Timeout.Seconds()))
	}
	if why == stoppedCanceled {
		return invoke.ErrorResult(invoke.Crash, invoke.ErrCanceled,
			fmt.Sprintf("RequestId: %s Error: invocation canceled", id))
	}
	if why == stoppedStack {
		// Its stack counts against its memory, which finish reports.
		return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
			fmt.Sprintf("RequestId: %s Error: Runtime exited with error: stack overflow", id))
	}
	if inv.TooLarge > 0 || stdout != nil && stdout.overflowed() {
		size := inv.TooLarge
		if stdout != nil && stdout.overflowed() {
			size = stdout.total
		}
		return invoke.ErrorResult(invoke.ResponseTooLarge, invoke.ErrResponseTooLarge,
			fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", size, invoke.MaxResponse))
	}
	if inv.Fault != nil {
		fmt.Fprintf(log, "fresco: ABI violation: %v\n", inv.Fault)
		return invoke.ErrorResult(invoke.Crash, invoke.ErrABI, fmt.Sprintf("RequestId: %s Error: %v", id, inv.Fault))
	}
	if inv.InitError {
		return &invoke.Result{Kind: invoke.Crash, ErrorType: inv.ErrType, Payload: inv.ErrBody}
	}
	if f.iface == InterfaceStdio {
		return f.classifyStdio(inv, err, stdout, log)
	}
	// A guest that posted its answer and then exited cleanly has answered.
	if exit, ok := errorsAs[*sys.ExitError](err); ok && exit.ExitCode() == 0 {
		err = nil
		if !inv.Posted {
			return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
				fmt.Sprintf("RequestId: %s Error: Runtime exited without providing a reason", id))
		}
	}
	if err != nil {
		return f.crash(id, err, log)
	}
	switch {
	case inv.ErrBody != nil:
		return &invoke.Result{Kind: invoke.FunctionError, ErrorType: inv.ErrType, Payload: inv.ErrBody}
	case inv.Posted:
		return &invoke.Result{Kind: invoke.Success, Payload: inv.Response}
	default:
		return invoke.ErrorResult(invoke.Crash, invoke.ErrNoResponse,
			fmt.Sprintf("RequestId: %s Error: fresco_handle returned without posting a response or an error", id))
	}
}

func (f *Module) classifyStdio(inv *abi.Invocation, err error, stdout *cappedBuffer, log *tailbuf.Buffer) *invoke.Result {
	code := uint32(0)
	if err != nil {
		exit, ok := errorsAs[*sys.ExitError](err)
		if !ok {
			return f.crash(inv.Request.RequestID, err, log)
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
		typ, body := fresco.ErrorDocument(doc.ErrorType, stdout.buf, false)
		return &invoke.Result{Kind: invoke.FunctionError, ErrorType: typ, Payload: body}
	}
	log.Write(stdout.buf)
	res := invoke.ErrorResult(invoke.FunctionError, invoke.ErrExit,
		fmt.Sprintf("RequestId: %s Error: Runtime exited with error: exit status %d", inv.Request.RequestID, code))
	return res
}

// crash reports a trap or a non-zero exit.
func (f *Module) crash(id string, err error, log *tailbuf.Buffer) *invoke.Result {
	if exit, ok := errorsAs[*sys.ExitError](err); ok {
		return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
			fmt.Sprintf("RequestId: %s Error: Runtime exited with error: exit status %d", id, exit.ExitCode()))
	}
	// A trap: the first line is the reason, the rest the wasm stack.
	msg := err.Error()
	fmt.Fprintf(log, "fresco: %s\n", msg)
	return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
		fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", id, firstLine(msg)))
}

// cleanExit reports whether err is the guest's exit with status 0.
func cleanExit(err error) bool {
	exit, ok := errorsAs[*sys.ExitError](err)
	return ok && exit.ExitCode() == 0
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (f *Module) errorResult(kind invoke.Kind, typ, id, msg string, prev *invoke.Result) *invoke.Result {
	r := invoke.ErrorResult(kind, typ, fmt.Sprintf("RequestId: %s Error: %s", id, msg))
	r.MaxMemoryBytes = prev.MaxMemoryBytes
	r.Duration, r.InitDuration = prev.Duration, prev.InitDuration
	return r
}

// outOfMemory tells whether a crashed guest most likely died of the memory
// cap: wazero refuses memory.grow past the limit without telling the host,
// so this looks at how close the memory got to the cap and at what the
// guest said (Go prints "out of memory").
func (f *Module) outOfMemory(memBytes uint64, log *tailbuf.Buffer) bool {
	limit := uint64(f.cfg.MemoryMB) << 20
	const slack = 8 << 20 // a runtime grows its heap in chunks of a few MB
	if memBytes+slack >= limit {
		return true
	}
	return bytes.Contains(log.Bytes(), []byte("out of memory"))
}

// sleep is the guest's nanosleep: a real sleep that ends early when the
// phase's context is done, so a sleeping guest is stopped at its deadline
// rather than after its sleep.
func sleep(ctx context.Context, ns int64) {
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

// deadline is the handler's deadline: the caller's, or start + Timeout.
func (f *Module) deadline(req *invoke.Request, start time.Time) time.Time {
	if !req.Deadline.IsZero() {
		return req.Deadline
	}
	return start.Add(f.cfg.Timeout)
}
