package fakebackend

import (
	"context"
	"sync"

	"github.com/frescolabs/fresco/internal/invoke"
)

// ARNPrefix is the ARN of every fake function, but for its name.
const ARNPrefix = "arn:aws:lambda:us-east-1:123456789012:function:"

// Backend resolves the functions it was given, and records each Lookup.
type Backend struct {
	mu      sync.Mutex
	fns     map[string]*Function
	lookups []LookupCall
}

// LookupCall is one call of Lookup.
type LookupCall struct{ Name, Qualifier string }

// Function is a fake function.
type Function struct {
	Name string
	// Versions maps each qualifier the function answers to onto the version
	// that runs; "" and "$LATEST" map to "$LATEST" unless overridden.
	Versions map[string]string
	// Run decides an invocation's outcome; nil echoes the payload.
	Run func(ctx context.Context, req *invoke.Request) (*invoke.Result, error)
	// AsyncErr is what InvokeAsync returns.
	AsyncErr error

	mu    sync.Mutex
	sync  []*invoke.Request
	async []*invoke.Request
}

// New returns a Backend of fns.
func New(fns ...*Function) *Backend {
	b := &Backend{fns: map[string]*Function{}}
	for _, fn := range fns {
		b.fns[fn.Name] = fn
	}
	return b
}

// Lookup implements invoke.Backend.
func (b *Backend) Lookup(name, qualifier string) (invoke.Handle, error) {
	b.mu.Lock()
	b.lookups = append(b.lookups, LookupCall{name, qualifier})
	fn := b.fns[name]
	b.mu.Unlock()
	if fn == nil {
		return nil, invoke.NotFound("Function not found: %s%s", ARNPrefix, name)
	}
	version, ok := fn.Versions[qualifier]
	if !ok {
		if qualifier != "" && qualifier != "$LATEST" {
			return nil, invoke.NotFound("Function not found: %s%s:%s", ARNPrefix, name, qualifier)
		}
		version = "$LATEST"
	}
	return &view{fn: fn, version: version}, nil
}

// LastLookup is the last call of Lookup (zero if none).
func (b *Backend) LastLookup() LookupCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lookups) == 0 {
		return LookupCall{}
	}
	return b.lookups[len(b.lookups)-1]
}

// SyncCalls are the synchronous invocations of f so far.
func (f *Function) SyncCalls() []*invoke.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*invoke.Request(nil), f.sync...)
}

// AsyncCalls are the Event invocations of f so far.
func (f *Function) AsyncCalls() []*invoke.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*invoke.Request(nil), f.async...)
}

// view is the Function that Lookup returns: a function at a version.
type view struct {
	fn      *Function
	version string
}

func (v *view) Name() string    { return v.fn.Name }
func (v *view) ARN() string     { return ARNPrefix + v.fn.Name }
func (v *view) Version() string { return v.version }

func (v *view) Invoke(ctx context.Context, req *invoke.Request) (*invoke.Result, error) {
	v.fn.mu.Lock()
	v.fn.sync = append(v.fn.sync, req)
	v.fn.mu.Unlock()
	if v.fn.Run != nil {
		return v.fn.Run(ctx, req)
	}
	return &invoke.Result{Kind: invoke.Success, Payload: req.Payload, Log: []byte("START\nEND\nREPORT\n")}, nil
}

func (v *view) InvokeAsync(req *invoke.Request) error {
	v.fn.mu.Lock()
	defer v.fn.mu.Unlock()
	if v.fn.AsyncErr != nil {
		return v.fn.AsyncErr
	}
	v.fn.async = append(v.fn.async, req)
	return nil
}
