// Package fresco is the host side of the "fresco" import module, the guest
// ABI of docs/abi.md (version 2): a guest reads its invocation (event and
// context values, invocation.go), may stream its response (stream.go), and
// posts its result (a response, a function error or an init error,
// post.go). Error documents a guest posts
// are normalised to Lambda's shape in errordoc.go.
//
// Every host function acts on the invocation its call's context carries
// (internal/abi.Invocation) and checks every pointer and length the guest
// passes; a bad one is an abi.Fault for that invocation, never a crash of
// the host. No call changes state of the instance beyond the invocation's,
// so every call keeps an instance resettable to its snapshot image.
//
// Like every package of wasmhost/imports, it imports wazero and the leaf
// packages internal/abi and internal/invoke, nothing of wasmhost (which
// imports it), net/http, lambdaapi or emulator.
package fresco
