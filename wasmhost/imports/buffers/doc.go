// Package buffers is the host side of the "fresco_buffers" import module
// (docs/abi.md, "Buffers"): handles to bytes the host holds (the event, a
// cache value, a buffer the guest made, and later an HTTP body), which a
// guest reads in pieces, passes to other host calls, or posts as its
// response without copying them into its memory.
//
// The handles live in the invocation's table (internal/abi.Buffers), which
// is released when the invocation ends; what they hold counts against the
// function's memory (internal/abi.HostMemory). No call changes state of
// the instance beyond the invocation's, so every call keeps an instance
// resettable.
//
// Like every package of wasmhost/imports, it imports wazero and the leaf
// packages of internal/, nothing of wasmhost, net/http, lambdaapi or
// emulator.
package buffers
