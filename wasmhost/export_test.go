package wasmhost

import (
	"context"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Test-only access to internals, for the naive baseline of the benchmarks.
var InstantiateABI = instantiateABI

// WithInvocation returns ctx carrying req as the current invocation, in
// its invoke phase, as Function.Invoke arranges for the host functions.
func WithInvocation(ctx context.Context, req *invoke.Request) context.Context {
	inv := &invocation{req: req}
	inv.startInvoke(time.Now().Add(time.Minute))
	return context.WithValue(ctx, invocationKey{}, inv)
}
