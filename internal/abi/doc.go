// Package abi is what wasmhost shares with its host modules
// (wasmhost/imports/<name>): the state of one invocation that host
// functions act on (Invocation, carried in the call's context), the checked
// access to guest memory every host function uses (Read, CheckRange,
// Fault), and the description of a host module (Module), which says which
// of its calls keep an instance resettable to its snapshot image.
//
// It is a leaf: it imports wazero's api and the shared types of
// internal/invoke, nothing of wasmhost, its host modules, net/http,
// lambdaapi or emulator. It sits in the top-level internal/ rather than
// under wasmhost/ because scripts/bench/naive, the benchmarks' yardstick outside
// wasmhost, runs the same host modules and needs the same state (see
// RATIONALE.md, "Host modules share one per-invocation state").
package abi
