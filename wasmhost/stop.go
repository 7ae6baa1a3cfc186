package wasmhost

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/wasmbin"
)

// A stopper ends one instance's guest: at the invocation's deadline, when
// its caller gives up, or a short while after it has posted its answer.
//
// The module fresco compiles has stop checks (internal/wasmbin/stop.go):
// every loop iteration and call decrements a fuel global, and every
// wasmbin.Fuel checks the guest calls $yield. The host listens to that
// call (yieldListener): on the guest's own goroutine, in Go, it reads the
// clock and the caller's context, and when the time is up it sets the
// globals so that $yield traps at once. A guest that runs is so checked
// every few hundred microseconds at most, whatever else runs: no timer and
// no other goroutine is involved, so guests spinning on every core (which
// hold every processor of the Go runtime) are stopped as promptly as one.
// A sleeping guest is woken at the deadline or when the caller gives up,
// and stopped by the same check.
//
// This replaces wazero's WithCloseOnContextDone, whose check leaves the
// guest's native code for Go at every loop header and starts a goroutine
// per call: for a Go guest that was two thirds of its time.
//
// One invocation at a time arms it, and only its goroutine uses it.
type stopper struct {
	// stop and fuel are the guest's globals of the checks.
	stop, fuel api.MutableGlobal
	// stack is the global of the stack count (wasmbin/stack.go): the
	// bytes of call stack the guest may still use, out of budget, the
	// function's memory size; mem is the instance's memory, which counts
	// against the same size (limit), with the stack.
	stack         api.MutableGlobal
	mem           api.Memory
	budget, limit uint64
	// peak is the most stack seen in use since the last clear: when the
	// guest yields, when it returns, and the whole budget when it ran out.
	peak uint64

	// Of the current arming.
	ctx      context.Context
	deadline time.Time
	// graceEnd is when a guest that posted its answer is stopped (zero:
	// it has not posted).
	graceEnd time.Time
	why      stopReason
}

// stopReason is why a guest was stopped.
type stopReason uint8

const (
	notStopped stopReason = iota
	stoppedDeadline
	stoppedCanceled
	// stoppedStack: its call stack, with its memory, reached the memory
	// size.
	stoppedStack
)

// postGrace is how long a guest may run on after it posted its answer
// (docs/abi.md): the answer is then returned, as the Runtime API returns
// a response once it is posted, whatever the guest does next.
const postGrace = 50 * time.Millisecond

// newStopper returns the stopper of an instance whose globals of the
// checks are stop, fuel and stack, and whose memory, mem, may hold
// memorySize bytes with its call stack; it sets the stack's budget.
func newStopper(stop, fuel, stack api.MutableGlobal, mem api.Memory, memorySize uint64) *stopper {
	s := &stopper{stop: stop, fuel: fuel, stack: stack, mem: mem,
		budget: min(memorySize, wasmbin.StackBudget), limit: memorySize}
	stack.Set(s.budget)
	return s
}

// arm starts one invocation's watch: until deadline, or ctx. The globals
// must be clear (a new instance, or one restore reset).
func (s *stopper) arm(ctx context.Context, deadline time.Time) {
	s.ctx, s.deadline, s.graceEnd, s.why = ctx, deadline, time.Time{}, notStopped
}

// Check is the stop check's host side (abi.Stopper).
func (s *stopper) Check(context.Context) {
	if s.why != notStopped || s.ctx == nil {
		return
	}
	if used := s.stackUsed(); used > 0 && s.mem != nil && uint64(s.mem.Size())+used > s.limit {
		s.stopFor(stoppedStack)
		return
	}
	switch now := time.Now(); {
	case s.ctx.Err() != nil:
		s.stopFor(stoppedCanceled)
		if errors.Is(s.ctx.Err(), context.DeadlineExceeded) {
			s.why = stoppedDeadline
		}
	case !now.Before(s.deadline):
		s.stopFor(stoppedDeadline)
	case !s.graceEnd.IsZero() && !now.Before(s.graceEnd):
		// The answer posted stands (Module.classify).
		s.stopFor(stoppedDeadline)
	}
}

// stopFor makes the guest trap at its next check.
func (s *stopper) stopFor(why stopReason) {
	s.why = why
	s.stop.Set(1)
	s.fuel.Set(0)
}

// Posted gives a guest that posted its answer postGrace to return
// (abi.Stopper).
func (s *stopper) Posted() {
	if s.graceEnd.IsZero() {
		s.graceEnd = time.Now().Add(postGrace)
	}
}

// stackUsed is the stack the guest uses now, by the count, and notes the
// peak; a guest that ran out of it (its $stack at -1) used it all.
func (s *stopper) stackUsed() uint64 {
	used := s.budget
	if left := int32(uint32(s.stack.Get())); left >= 0 {
		used = s.budget - min(uint64(left), s.budget)
	}
	s.peak = max(s.peak, used)
	return used
}

// disarm ends the watch once the guest has returned, and reports whether
// and why it was stopped.
func (s *stopper) disarm() stopReason {
	s.ctx = nil
	if s.stackUsed() == s.budget && s.why == notStopped {
		s.why = stoppedStack // the guest trapped at its count's limit
	}
	return s.why
}

// deepStack is the stack peak past which an instance is not reused:
// wazero keeps the stack it grew with the instance, outside the memory
// the ready instances are budgeted by.
const deepStack = 1 << 20

// clear sets the globals back to their initial values (after disarm),
// for the instance's next invocation.
func (s *stopper) clear() {
	s.stop.Set(0)
	s.fuel.Set(wasmbin.Fuel)
	s.stack.Set(s.budget)
	s.why = notStopped
	s.peak = 0
}

// isClear reports whether the globals are at their initial values (a
// reset's verification).
func (s *stopper) isClear() bool {
	return s.stop.Get() == 0 && s.fuel.Get() == wasmbin.Fuel && s.stack.Get() == s.budget
}

// sleep is the guest's nanosleep: a real sleep, cut short at the deadline
// (or the end of the grace after posting) or when the caller gives up;
// the guest is then stopped at its next check.
func (s *stopper) sleep(ns int64) {
	if s.ctx == nil || s.why != notStopped {
		return
	}
	end := s.deadline
	if !s.graceEnd.IsZero() && s.graceEnd.Before(end) {
		end = s.graceEnd
	}
	if d := min(time.Duration(ns), time.Until(end)); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-s.ctx.Done():
		}
		t.Stop()
	}
	s.Check(s.ctx)
}

// yieldListener listens to $yield (wasmbin.YieldExport) in modules with
// stop checks, and only to it: nothing else pays for listening.
type yieldListener struct{}

func (yieldListener) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	if inv := abi.From(ctx); inv != nil && inv.Stop != nil {
		inv.Stop.Check(ctx)
	}
}

func (yieldListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}

func (yieldListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) {}

// yieldListeners gives $yield its listener when a module is compiled.
var yieldListeners = experimental.FunctionListenerFactoryFunc(func(def api.FunctionDefinition) experimental.FunctionListener {
	if slices.Contains(def.ExportNames(), wasmbin.YieldExport) {
		return yieldListener{}
	}
	return nil
})

// guard runs fn, a call of the guest, under s until deadline (s nil: the
// runtime's close on ctx, whose deadline is the same, stops it), and
// returns its error and whether and why the guest was stopped. The call's
// context must carry an invocation whose Stop is s.
func guard(ctx context.Context, s *stopper, deadline time.Time, fn func() error) (error, stopReason) {
	if s == nil {
		err := fn()
		return err, stoppedBy(ctx, err)
	}
	s.arm(ctx, deadline)
	err := fn()
	return err, stopped(err, s.disarm())
}

// stopped is why a guest whose call returned err was stopped: a guest that
// returned normally was not, even if it was told to stop as it returned.
func stopped(err error, why stopReason) stopReason {
	if err == nil {
		return notStopped
	}
	return why
}

// stoppedBy is why wazero's close on ctx stopped a guest whose call
// returned err.
func stoppedBy(ctx context.Context, err error) stopReason {
	if err == nil {
		return notStopped
	}
	if exit, ok := errorsAs[*sys.ExitError](err); ok {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return stoppedDeadline
		case sys.ExitCodeContextCanceled:
			return stoppedCanceled
		}
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return stoppedDeadline
	case ctx.Err() != nil:
		return stoppedCanceled
	}
	return notStopped
}

// stopperOf returns a stopper for an instance of f, nil when f's module
// has no stop checks.
func (f *Module) stopperOf(mod api.Module) *stopper {
	if !f.stopChecks {
		return nil
	}
	stop, ok1 := mod.ExportedGlobal(wasmbin.StopExport).(api.MutableGlobal)
	fuel, ok2 := mod.ExportedGlobal(wasmbin.FuelExport).(api.MutableGlobal)
	stack, ok3 := mod.ExportedGlobal(wasmbin.StackExport).(api.MutableGlobal)
	if !ok1 || !ok2 || !ok3 {
		// Load compiled the module with the checks: it exports them.
		panic("fresco: a module compiled with stop checks does not export their globals")
	}
	return newStopper(stop, fuel, stack, mod.Memory(), uint64(f.cfg.MemoryMB)<<20)
}
