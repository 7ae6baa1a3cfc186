//go:build !linux

package wasmhost

// defaultReadyMemory is 1 GB where the machine's memory is not read.
func defaultReadyMemory() int64 { return 1 << 30 }
