// Package wasmhost runs Lambda functions compiled to WebAssembly, one fresh
// instance per invocation, on wazero.
//
// A Host owns the on-disk compilation cache. Host.Load validates and
// compiles a function's module ahead of time (never per invocation) and
// returns a Function; Function.Invoke instantiates the compiled module,
// runs the guest's init phase and then its handler, and discards the
// instance. Nothing a guest writes survives its invocation, and concurrent
// invocations run in parallel in separate instances.
//
// The guest ABI (the "fresco" import module and the fresco_handle export, or
// a plain WASI command reading stdin) is specified in docs/abi.md. The host
// never trusts the guest: every pointer and length it passes is checked, and
// any misbehaviour (trap, endless loop, memory exhaustion, bad pointer, huge
// output) ends that invocation with a typed invoke.Result, never the host.
//
// This package knows nothing of HTTP; the types it shares with the HTTP
// layer live in internal/invoke.
package wasmhost
