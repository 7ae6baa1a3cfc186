// Package wasmhost runs Lambda functions compiled to WebAssembly, one fresh
// instance per invocation, on wazero. It owns the sandbox: the compile
// cache, a function's runtime and its limits, the instances and the
// snapshot image they start from, and the classification of how a guest
// ended into an invoke.Result.
//
// A Host owns the on-disk compilation cache. Host.Load validates and
// compiles a function's module ahead of time (never per invocation) and
// returns a Module; Module.Invoke instantiates the compiled module,
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
// The pieces live beside it, by concept:
//
//   - wasmhost/imports/<module>: one package per host module a guest may
//     import (fresco, the ABI; wasi), each declaring which of its calls
//     keep an instance resettable;
//   - internal/abi: the per-invocation state those host modules act on;
//   - internal/wasmbin: the one reader of module binaries (the preflight
//     before wazero decodes anything, the snapshot's rewrite and scan);
//   - scripts/bench/naive: the benchmarks' naive yardstick, out of the product.
//
// This package knows nothing of HTTP: it imports wazero, its host modules
// and the leaf packages of internal/ (invoke, abi, wasmbin, tailbuf), and
// never net/http, lambdaapi or emulator; the types it shares with the HTTP
// layer live in internal/invoke.
package wasmhost
