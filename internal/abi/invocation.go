package abi

import (
	"context"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Phase is the phase of an instance's life a host call is made in.
type Phase int

const (
	// PhaseInit is the guest's init (_initialize, fresco_init,
	// fresco_snapshot): no invocation is visible yet.
	PhaseInit Phase = iota
	// PhaseInvoke is the handler's call: the request and its context values
	// are visible.
	PhaseInvoke
)

// Invocation is the per-invocation state the host functions act on. It
// reaches them through the call's context (With, From), so that one set of
// host functions serves every concurrent instance. One goroutine at a time
// uses it: the one running the guest.
type Invocation struct {
	Request *invoke.Request
	Phase   Phase
	// Deadline is the handler's, once in the invoke phase.
	Deadline time.Time

	// What the guest posted. Posted is set once.
	Posted    bool
	Response  []byte
	ErrType   string
	ErrBody   []byte
	InitError bool
	// TooLarge is the size of a response refused for its size.
	TooLarge int64
	// Streaming is set once the guest has started a streamed response:
	// StreamType is its content type, Streamed the bytes sent to
	// Request.Stream (or buffered into Response when there is none), and
	// StreamErr the error that ended the stream on the host's side (the
	// caller went away).
	Streaming  bool
	StreamType string
	Streamed   int64
	StreamErr  error
	// Fault is an ABI violation; the invocation ends with it.
	Fault error
	// Tainted names the first host call the guest made that keeps its
	// instance from being reset to the image (Module.Resettable).
	Tainted string
	// Buffers is the invocation's table of host-side buffers (buffers.go),
	// released when the invocation ends.
	Buffers Buffers
	// Memory counts what the host holds for the instance beyond its linear
	// memory (nil: nothing is counted).
	Memory *HostMemory
	// OpenFiles is the files the guest opened and has not closed (WASI
	// path_open minus fd_close): an instance left with open files is not
	// reset.
	OpenFiles int
	// Stop, if set, is told when the guest posts its answer (the host then
	// bounds how long the guest may run on), and asked, at the guest's
	// periodic checks, whether to stop it.
	Stop Stopper
	// ends are what host modules release when the invocation ends (OnEnd).
	ends []func()
}

// OnEnd registers f to run when the invocation ends (End): host modules
// release there what they hold for it (open responses, handles), so that
// nothing leaks into the instance's next invocation.
func (inv *Invocation) OnEnd(f func()) {
	if inv != nil {
		inv.ends = append(inv.ends, f)
	}
}

// End runs, once and in reverse order, what OnEnd registered. The host
// calls it when the guest's call has returned, before its instance is
// reset or discarded.
func (inv *Invocation) End() {
	if inv == nil {
		return
	}
	for i := len(inv.ends) - 1; i >= 0; i-- {
		inv.ends[i]()
	}
	inv.ends = nil
}

// Stopper stops a guest: wasmhost's, through the stop checks its rewrite
// adds to modules.
type Stopper interface {
	// Posted is called when the guest has posted its answer.
	Posted()
	// Check is called on the guest's goroutine, periodically while it
	// runs, with the context of its call; it stops the guest if its time
	// is up or its caller has gone.
	Check(ctx context.Context)
}

// MarkPosted records that the guest has posted its answer.
func (inv *Invocation) MarkPosted() {
	inv.Posted = true
	if inv.Stop != nil {
		inv.Stop.Posted()
	}
}

// New returns the state of an invocation of req, in its init phase.
func New(req *invoke.Request) *Invocation { return &Invocation{Request: req} }

// StartInvoke moves the invocation to its invoke phase: the context values
// (the deadline among them) become visible to the guest.
func (inv *Invocation) StartInvoke(deadline time.Time) {
	inv.Deadline = deadline
	inv.Phase = PhaseInvoke
}

// InInvoke reports whether inv is in its invoke phase; false for nil (a
// call outside any invocation).
func (inv *Invocation) InInvoke() bool { return inv != nil && inv.Phase == PhaseInvoke }

// Taint records that the guest called call, which its instance cannot be
// reset from; the first such call is kept.
func (inv *Invocation) Taint(call string) {
	if inv != nil && inv.Tainted == "" {
		inv.Tainted = call
	}
}

type invocationKey struct{}

// With returns ctx carrying inv to the host functions the guest calls.
func With(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// From returns the invocation ctx carries, or nil.
func From(ctx context.Context) *Invocation {
	inv, _ := ctx.Value(invocationKey{}).(*Invocation)
	return inv
}
