// Package naive is the yardstick of fresco's benchmarks: a module run the
// naive way, a default wazero runtime and, per invocation, a plain
// InstantiateModule, the entry points called in turn, then Close. The
// wasmhost benchmarks and scripts/bench measure wasmhost.Module.Invoke
// against it in the same run. It is not a product path: it has no limits,
// no timeout, no log capture and no classification of failures.
//
// It imports wazero, the fresco host module (wasmhost/imports/fresco) and
// the leaf packages internal/abi and internal/invoke; nothing of wasmhost
// itself, net/http, lambdaapi or emulator.
package naive
