package wasmhost

import (
	"context"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Test-only access to internals, for the naive baseline of the benchmarks.
var InstantiateABI = instantiateABI

// WithInvocation returns ctx carrying req as the current invocation, in
// its invoke phase, as Function.Invoke arranges for the host functions.
func WithInvocation(ctx context.Context, req *invoke.Request) context.Context {
	return context.WithValue(ctx, invocationKey{}, &invocation{req: req, phase: phaseInvoke, context: contextValues(req)})
}
