// Package cache is the host side of the "fresco_cache" import module
// (docs/abi.md, "Cache"): a key-value cache outside the sandbox, with a
// TTL per entry, shared by every invocation of a function and by every
// instance, and namespaced per function (a function cannot name another's
// keys).
//
// The store behind it is a Cache, which the Host owns: an in-process one
// bounded in bytes (NewEmbedded, on github.com/maypok86/otter/v2), or a
// Redis server shared by many hosts (NewRedis, on
// github.com/redis/go-redis/v9). Open chooses by URL.
//
// A get hands the value to the guest as a host-side buffer
// (wasmhost/imports/buffers), counted against the function's memory; a set
// takes the value from guest memory or from a buffer. Every call is
// bounded by the invocation's deadline. No call changes state of the
// instance beyond the invocation's, so every call keeps an instance
// resettable.
package cache
