// Package procpool runs process functions (a provided.al2023 bootstrap, or
// a Go package built natively) as warm pools of Runtime API processes: a
// [Pool] starts processes on demand up to its limit, gives each one
// invocation at a time through its own in-memory scheduler ([Queue]),
// which lambdaapi/runtimeapi serves to the process on a loopback port, and
// kills a process that times out, exits or fails its init, with all its
// descendants. A sweeper process, fresco re-executed, kills whatever is left
// of them when fresco itself is killed. A Pool is a functions.Runner.
//
// procpool imports lambdaapi/runtimeapi (the Runtime contract its Queue
// implements, and the handler a process talks to) and internal/invoke;
// nothing of wasm.
package procpool
