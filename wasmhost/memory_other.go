//go:build !(linux || darwin || freebsd)

package wasmhost

import "github.com/tetratelabs/wazero/experimental"

// newMemoryAllocator returns nil elsewhere: wazero's default, Go-heap
// memory.
func newMemoryAllocator(keep int, huge bool) experimental.MemoryAllocator { return nil }
