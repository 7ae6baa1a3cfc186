//go:build !(linux || darwin || freebsd)

package wasmhost

import "github.com/tetratelabs/wazero/experimental"

// memoryAllocator is nil elsewhere: wazero's default, Go-heap memory.
var memoryAllocator experimental.MemoryAllocator
