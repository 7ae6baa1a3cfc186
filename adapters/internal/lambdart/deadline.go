package lambdart

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// WithDeadline is context.WithDeadline(parent, d), without the runtime
// timer context.WithDeadline starts at once when parent can never be cancelled and
// has no deadline of its own: Background, or values over it, which is what
// aws-lambda-go's WithContext (usually) and WithContextValue give.
//
// Most handlers only read the deadline (ctx.Deadline) or never look, and in
// fresco nothing needs the timer to stop a guest: the host stops it at the
// deadline wherever it is. So the context below starts one only when
// someone waits for it: Done, or a context derived from it (whose
// cancellation then follows it as a child of context.WithDeadline's would). Err
// compares the clock with the deadline, so it reports DeadlineExceeded
// from the deadline on, timer or not. Any other parent gets
// context.WithDeadline itself.
func WithDeadline(parent context.Context, d time.Time) (context.Context, context.CancelFunc) {
	if parent.Done() != nil {
		return context.WithDeadline(parent, d)
	}
	if _, ok := parent.Deadline(); ok {
		return context.WithDeadline(parent, d)
	}
	c := &deadlineContext{parent: parent, deadline: d}
	return c, c.cancel
}

// deadlineContext is the context WithDeadline returns for a parent that is
// never done. Once it ends (the deadline passed, or cancel), its Err and
// Done are those of a context.WithDeadline that ended the same way.
type deadlineContext struct {
	parent   context.Context
	deadline time.Time

	mu    sync.Mutex
	done  chan struct{} // made by the first Done, or closedChan if it ended first
	err   error         // set once, when the context ends
	timer *time.Timer   // ends the context at the deadline, once armed
	funcs map[*afterFunc]struct{}
}

// afterFunc is a function registered with AfterFunc.
type afterFunc struct{ f func() }

// closedChan is the Done of a context that ended before anyone asked.
var closedChan = make(chan struct{})

func init() { close(closedChan) }

func (c *deadlineContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *deadlineContext) Value(key any) any { return c.parent.Value(key) }

func (c *deadlineContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		c.armLocked()
	}
	return c.done
}

func (c *deadlineContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && !time.Now().Before(c.deadline) {
		c.endLocked(context.DeadlineExceeded)
	}
	return c.err
}

// AfterFunc is what context.AfterFunc, and the contexts derived from this
// one (WithCancel, WithTimeout, ...), use to follow its end: f runs in its
// own goroutine when the context ends; stop unregisters it and reports
// whether it did so before f was started. With it, a derived context costs
// no goroutine, as under a context.WithDeadline parent.
func (c *deadlineContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armLocked()
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	if c.funcs == nil {
		c.funcs = map[*afterFunc]struct{}{}
	}
	c.funcs[a] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.funcs[a]
		delete(c.funcs, a)
		return ok
	}
}

func (c *deadlineContext) String() string {
	return contextName(c.parent) + ".WithDeadline(" + c.deadline.String() + " [" + time.Until(c.deadline).String() + "])"
}

// cancel is the context's CancelFunc.
func (c *deadlineContext) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLocked(context.Canceled)
}

// armLocked makes sure the context ends at its deadline: it ends it now if
// the deadline has passed, and starts the timer otherwise.
func (c *deadlineContext) armLocked() {
	if c.err != nil || c.timer != nil {
		return
	}
	dur := time.Until(c.deadline)
	if dur <= 0 {
		c.endLocked(context.DeadlineExceeded)
		return
	}
	c.timer = time.AfterFunc(dur, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.endLocked(context.DeadlineExceeded)
	})
}

// endLocked ends the context with err, unless it has ended already.
func (c *deadlineContext) endLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.done == nil {
		c.done = closedChan
	} else {
		close(c.done)
	}
	for a := range c.funcs {
		go a.f()
	}
	c.funcs = nil
}

// contextName is how context's own String methods name a parent.
func contextName(c context.Context) string {
	if s, ok := c.(fmt.Stringer); ok {
		return s.String()
	}
	return reflect.TypeOf(c).String()
}
