//go:build linux || darwin || freebsd

package wasmhost

import (
	"golang.org/x/sys/unix"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapAllocator backs each instance's linear memory with its own anonymous
// mapping, reserved at the memory's maximum and never moved. Growing it is
// free (no copy of the memory so far, as a Go slice's growth would do), the
// pages come zeroed from the kernel and are only paid for when touched, and
// the garbage collector neither scans nor zeroes them. Free unmaps it.
//
// wazero frees memory from the goroutine that runs the guest (a
// context-done close is deferred to the guest's next check), so the mapping
// never disappears under running code.
type mmapAllocator struct{}

func (mmapAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	if max == 0 {
		max = capacity
	}
	if max == 0 {
		return &mmapMemory{}
	}
	b, err := unix.Mmap(-1, 0, int(max), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|mapNoReserve)
	if err != nil {
		// Out of address space or mappings: fall back to the Go heap rather
		// than failing the invocation.
		return &heapMemory{max: max}
	}
	return &mmapMemory{buf: b}
}

type mmapMemory struct{ buf []byte }

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size:size]
}

func (m *mmapMemory) Free() {
	if m.buf != nil {
		unix.Munmap(m.buf)
		m.buf = nil
	}
}

// memoryAllocator is the allocator instances use.
var memoryAllocator experimental.MemoryAllocator = mmapAllocator{}

// heapMemory is a Go-heap linear memory, grown by copying.
type heapMemory struct {
	buf []byte
	max uint64
}

func (m *heapMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	b := make([]byte, size, min(max(size, 2*uint64(cap(m.buf))), m.max))
	copy(b, m.buf)
	m.buf = b
	return b
}

func (m *heapMemory) Free() { m.buf = nil }
