// Package procpool runs process functions: a function whose code is a
// bootstrap that speaks the Lambda Runtime API. Today it holds the
// in-memory scheduler of a function's invocations ([Queue]), which
// lambdaapi/runtimeapi serves to the processes; the process pool itself
// (emulator/process*.go) is to move here.
//
// procpool imports lambdaapi/runtimeapi (for the Runtime contract it
// implements) and internal/invoke; no HTTP server of its own in the queue.
package procpool
