package wasmhost

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/frescolabs/fresco/internal/wasmbin"
)

// A stopper ends one instance's guest: at the invocation's deadline, when
// its caller gives up, or a short while after it has posted its answer. It
// sets the global of the stop checks (wasmbin.StopExport), which the
// guest's code tests at every call and loop iteration, and the guest traps
// at its next one; the invocation that ran it then reads why.
//
// This replaces wazero's WithCloseOnContextDone, whose check leaves the
// guest's native code for Go at every loop header and starts a goroutine
// per call: for a Go guest that was two thirds of its time. A stopper
// costs a load and a branch per check, and per invocation a timer reset.
//
// One invocation at a time arms it. The timer is the instance's, reused;
// a callback of an earlier arming that runs late finds the deadline ahead
// and reschedules itself for it rather than stopping the wrong invocation.
type stopper struct {
	// stop and fuel are the guest's globals of the checks.
	stop, fuel api.MutableGlobal
	timer      *time.Timer
	// cancel stops watching the invocation's context.
	cancel func() bool

	mu       sync.Mutex
	armed    bool
	gen      uint64
	deadline time.Time
	why      stopReason
	// wake is closed when the guest is stopped, ending its sleep; made by
	// the first sleep of an arming.
	wake chan struct{}
	// answered: the guest has posted its answer, and is stopped postGrace
	// later if it has not returned.
	answered bool
}

// stopReason is why a guest was stopped.
type stopReason uint8

const (
	notStopped stopReason = iota
	stoppedDeadline
	stoppedCanceled
)

// postGrace is how long a guest may run on after it posted its answer
// (docs/abi.md): the answer is then returned, as the Runtime API returns
// a response once it is posted, whatever the guest does next.
const postGrace = 50 * time.Millisecond

func newStopper(stop, fuel api.MutableGlobal) *stopper { return &stopper{stop: stop, fuel: fuel} }

// arm starts watching the deadline, in d, and ctx for one invocation. The
// globals must be clear (a new instance, or one restore reset).
func (s *stopper) arm(ctx context.Context, deadline time.Time, d time.Duration) {
	s.mu.Lock()
	s.armed, s.why, s.deadline, s.wake, s.answered = true, notStopped, deadline, nil, false
	s.gen++
	gen := s.gen
	s.mu.Unlock()
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.fireDeadline)
	} else {
		s.timer.Reset(d)
	}
	if ctx.Done() != nil {
		s.cancel = context.AfterFunc(ctx, func() {
			why := stoppedCanceled
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				why = stoppedDeadline
			}
			s.fire(gen, why)
		})
	}
}

// fireDeadline is the timer's callback.
func (s *stopper) fireDeadline() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.armed || s.why != notStopped {
		return
	}
	if s.answered {
		s.stopLocked(stoppedDeadline) // the answer posted stands (Module.classify)
		return
	}
	if left := time.Until(s.deadline); left > 0 {
		// Early: an earlier arming's callback, or a deadline moved.
		s.timer.Reset(left)
		return
	}
	s.stopLocked(stoppedDeadline)
}

// fire stops the guest of arming gen for why, if it still runs.
func (s *stopper) fire(gen uint64, why stopReason) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.armed && s.gen == gen && s.why == notStopped {
		s.stopLocked(why)
	}
}

func (s *stopper) stopLocked(why stopReason) {
	s.why = why
	s.stop.Set(1)
	s.fuel.Set(0)
	if s.wake != nil {
		close(s.wake)
		s.wake = nil
	}
}

// posted gives a guest that posted its answer postGrace to return (at
// most postGrace past its deadline: its answer is in).
func (s *stopper) posted() {
	s.mu.Lock()
	armed := s.armed && !s.answered
	s.answered = true
	s.mu.Unlock()
	if armed {
		s.timer.Reset(postGrace)
	}
}

// disarm ends the watch once the guest has returned, and reports whether
// and why it was stopped. After disarm nothing sets the global.
func (s *stopper) disarm() stopReason {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = false
	return s.why
}

// clear sets the globals back to their initial values (after disarm),
// for the instance's next invocation.
func (s *stopper) clear() {
	s.mu.Lock()
	s.stop.Set(0)
	s.fuel.Set(wasmbin.Fuel)
	s.why = notStopped
	s.mu.Unlock()
}

// isClear reports whether the globals are at their initial values (a
// reset's verification).
func (s *stopper) isClear() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stop.Get() == 0 && s.fuel.Get() == wasmbin.Fuel
}

// sleep is the guest's nanosleep: a real sleep, cut short at the deadline
// or when the guest is stopped.
func (s *stopper) sleep(ns int64) {
	s.mu.Lock()
	if s.why != notStopped {
		s.mu.Unlock()
		return
	}
	d := min(time.Duration(ns), time.Until(s.deadline))
	if s.wake == nil {
		s.wake = make(chan struct{})
	}
	wake := s.wake
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	}
}

// guard runs fn, a call of the guest, under s until deadline (s nil: the
// runtime's close on ctx, whose deadline is the same, stops it), and
// returns its error and whether and why the guest was stopped.
func guard(ctx context.Context, s *stopper, deadline time.Time, fn func() error) (error, stopReason) {
	if s == nil {
		err := fn()
		return err, stoppedBy(ctx, err)
	}
	s.arm(ctx, deadline, time.Until(deadline))
	err := fn()
	return err, stopped(err, s.disarm())
}

// stopped is why a guest whose call returned err was stopped: a guest that
// returned normally was not, even if its stopper fired as it returned.
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
	if !ok1 || !ok2 {
		// Load compiled the module with the checks: it exports them.
		panic("fresco: a module compiled with stop checks does not export their globals")
	}
	return newStopper(stop, fuel)
}
