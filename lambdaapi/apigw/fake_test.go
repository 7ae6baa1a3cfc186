package apigw

import (
	"context"
	"sync"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/invokeapi"
)

const testARNPrefix = "arn:aws:lambda:us-east-1:123456789012:function:"

// fakeBackend is a hand-written Backend: functions by name, each with the
// qualifiers it answers to and what its invocations do.
type fakeBackend struct {
	mu      sync.Mutex
	fns     map[string]*fakeFunction
	lookups []lookupCall
}

type lookupCall struct{ name, qualifier string }

type fakeFunction struct {
	name string
	// versions maps each qualifier the function answers to onto the version
	// that runs; "" and "$LATEST" map to "$LATEST" unless overridden.
	versions map[string]string
	// run decides an invocation's outcome; nil echoes the payload.
	run func(ctx context.Context, req *invoke.Request) (*invoke.Result, error)
	// asyncErr is what InvokeAsync returns.
	asyncErr error

	mu    sync.Mutex
	sync  []*invoke.Request
	async []*invoke.Request
}

func newFakeBackend(fns ...*fakeFunction) *fakeBackend {
	b := &fakeBackend{fns: map[string]*fakeFunction{}}
	for _, fn := range fns {
		b.fns[fn.name] = fn
	}
	return b
}

func (b *fakeBackend) Lookup(name, qualifier string) (invokeapi.Function, error) {
	b.mu.Lock()
	b.lookups = append(b.lookups, lookupCall{name, qualifier})
	fn := b.fns[name]
	b.mu.Unlock()
	if fn == nil {
		return nil, invoke.NotFound("Function not found: %s%s", testARNPrefix, name)
	}
	version, ok := fn.versions[qualifier]
	if !ok {
		if qualifier != "" && qualifier != "$LATEST" {
			return nil, invoke.NotFound("Function not found: %s%s:%s", testARNPrefix, name, qualifier)
		}
		version = "$LATEST"
	}
	return &fakeView{fn: fn, version: version}, nil
}

func (b *fakeBackend) lastLookup() lookupCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lookups) == 0 {
		return lookupCall{}
	}
	return b.lookups[len(b.lookups)-1]
}

func (f *fakeFunction) syncCalls() []*invoke.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*invoke.Request(nil), f.sync...)
}

func (f *fakeFunction) asyncCalls() []*invoke.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*invoke.Request(nil), f.async...)
}

// fakeView is the Function that Lookup returns: a function at a version.
type fakeView struct {
	fn      *fakeFunction
	version string
}

func (v *fakeView) Name() string    { return v.fn.name }
func (v *fakeView) ARN() string     { return testARNPrefix + v.fn.name }
func (v *fakeView) Version() string { return v.version }

func (v *fakeView) Invoke(ctx context.Context, req *invoke.Request) (*invoke.Result, error) {
	v.fn.mu.Lock()
	v.fn.sync = append(v.fn.sync, req)
	v.fn.mu.Unlock()
	if v.fn.run != nil {
		return v.fn.run(ctx, req)
	}
	return &invoke.Result{Kind: invoke.Success, Payload: req.Payload, Log: []byte("START\nEND\nREPORT\n")}, nil
}

func (v *fakeView) InvokeAsync(req *invoke.Request) error {
	v.fn.mu.Lock()
	defer v.fn.mu.Unlock()
	if v.fn.asyncErr != nil {
		return v.fn.asyncErr
	}
	v.fn.async = append(v.fn.async, req)
	return nil
}
