// Package procpool runs process functions (a provided.al2023 bootstrap, or
// a Go package built natively) as warm pools of Runtime API processes: a
// [Pool] starts processes on demand up to its limit, gives each one
// invocation at a time through its own in-memory queue ([Queue]) served
// over the Runtime API (lambdaapi/runtimeapi) on a loopback port, and
// kills a process that times out, exits or fails its init. A Pool is a
// functions.Runner.
//
// It imports lambdaapi's Runtime API handler and nothing of wasm.
package procpool
