// Package wasi provides WASI (wasi_snapshot_preview1) to guests: wazero's
// implementation, and fresco's rule of which WASI calls keep an instance
// resettable to its snapshot image (resettable.go).
//
// Like every package of wasmhost/imports, it imports wazero and the leaf
// package internal/abi, nothing of wasmhost, net/http, lambdaapi or
// emulator.
package wasi
