//go:build linux || darwin || freebsd

package wasmhost

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tetratelabs/wazero/experimental"
)

// memoryPool backs instances' linear memory with anonymous mappings,
// each reserved at the memory's maximum and never moved, and keeps freed
// mappings for the next instance.
//
// Growing such a memory never copies (a Go slice's growth would copy all
// of it), its pages come zeroed from the kernel and cost only once
// touched, and the garbage collector neither scans nor zeroes them. A
// freed mapping is reset over the part the guest could reach (zeroed, or
// dropped with madvise(MADV_DONTNEED) when large): the next instance sees
// zeros, and the reset costs in proportion to what the guest used, not to
// the memory's size. Nothing of one guest's memory can reach the next. A
// memory over which an image was mapped (mapImage) gets a fresh anonymous
// mapping over that part instead.
//
// wazero frees memory on the goroutine that runs the guest (a timeout's
// close is deferred to the guest's next check), so a mapping is never
// reset or unmapped under running code.
type memoryPool struct {
	mu   sync.Mutex
	free map[uint64][]*mmapMemory // by reserved size
	max  int                      // mappings kept per size
	huge bool                     // madvise(MADV_HUGEPAGE) new mappings
	// byAddr finds the mapping of an instance's memory (mapImage).
	byAddr map[uintptr]*mmapMemory
}

func newMemoryPool(keep int, huge bool) *memoryPool {
	return &memoryPool{free: map[uint64][]*mmapMemory{}, max: keep, huge: huge, byAddr: map[uintptr]*mmapMemory{}}
}

// mapImage maps img copy-on-write over buf, the start of one of the pool's
// memories (an instance's, at the image's size), and reports whether it
// did; buf keeps what it held when it did not.
func (p *memoryPool) mapImage(buf []byte, img *imageFile) bool {
	if len(buf) == 0 {
		return false
	}
	p.mu.Lock()
	m := p.byAddr[uintptr(unsafe.Pointer(unsafe.SliceData(buf)))]
	p.mu.Unlock()
	if m == nil || len(buf) > len(m.buf) || img.mapInto(m.buf[:len(buf)]) != nil {
		return false
	}
	m.imageBytes = uint64(len(buf))
	return true
}

func (p *memoryPool) Allocate(capacity, max uint64) experimental.LinearMemory {
	if max == 0 {
		max = capacity
	}
	if max == 0 {
		return &heapMemory{}
	}
	p.mu.Lock()
	if list := p.free[max]; len(list) > 0 {
		m := list[len(list)-1]
		p.free[max] = list[:len(list)-1]
		p.mu.Unlock()
		return m
	}
	p.mu.Unlock()
	b, err := unix.Mmap(-1, 0, int(max), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|mapNoReserve)
	if err != nil {
		// Out of address space or mappings: fall back to the Go heap rather
		// than failing the invocation.
		return &heapMemory{max: max}
	}
	if p.huge {
		hugePages(b)
	}
	m := &mmapMemory{pool: p, buf: b}
	p.mu.Lock()
	p.byAddr[uintptr(unsafe.Pointer(unsafe.SliceData(b)))] = m
	p.mu.Unlock()
	return m
}

// unmap gives m's mapping back to the kernel.
func (p *memoryPool) unmap(m *mmapMemory) {
	p.mu.Lock()
	delete(p.byAddr, uintptr(unsafe.Pointer(unsafe.SliceData(m.buf))))
	p.mu.Unlock()
	unix.Munmap(m.buf)
}

// clearInPlace is the size up to which a freed memory is reset by zeroing
// it rather than by madvise. On the virtual machines fresco runs on,
// madvise(MADV_DONTNEED) costs tens of microseconds even for one page (it
// must shoot down other cores' TLB entries), and every dropped page costs a
// fault when the next guest touches it; zeroing a few megabytes is cheaper
// than both, and the next instance writes its data segments over the same
// pages anyway. Past this size the pages go back to the kernel, which bounds
// what the pool keeps resident.
const clearInPlace = 16 << 20

// put resets m and keeps it, or unmaps it when the pool is full.
func (p *memoryPool) put(m *mmapMemory) {
	size := uint64(len(m.buf))
	p.mu.Lock()
	full := len(p.free[size]) >= p.max
	p.mu.Unlock()
	if full {
		p.unmap(m)
		return
	}
	// The part that mapped an image goes back to zero pages by a mapping
	// of its own: clearing it would copy every page of the image first.
	from := uint64(0)
	if m.imageBytes > 0 {
		if err := dropMapping(m.buf[:m.imageBytes]); err != nil {
			p.unmap(m)
			return
		}
		from, m.imageBytes = m.imageBytes, 0
	}
	switch {
	case m.used <= from:
	case m.used <= clearInPlace:
		clear(m.buf[from:m.used])
	default:
		if err := unix.Madvise(m.buf[from:m.used], unix.MADV_DONTNEED); err != nil {
			p.unmap(m)
			return
		}
	}
	m.used = 0
	p.mu.Lock()
	if len(p.free[size]) < p.max {
		p.free[size] = append(p.free[size], m)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.unmap(m)
}

// stats reports the free mappings the pool keeps and the bytes they
// reserve.
func (p *memoryPool) stats() (free int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for size, list := range p.free {
		free += len(list)
		bytes += int64(size) * int64(len(list))
	}
	return free, bytes
}

// release unmaps the free mappings.
func (p *memoryPool) release() {
	p.mu.Lock()
	free := p.free
	p.free = map[uint64][]*mmapMemory{}
	p.mu.Unlock()
	for _, list := range free {
		for _, m := range list {
			p.unmap(m)
		}
	}
}

type mmapMemory struct {
	pool *memoryPool
	buf  []byte
	used uint64 // the largest length handed out: what the guest could touch
	// imageBytes is how much of buf maps an image (mapImage), 0 for none.
	imageBytes uint64
}

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	if size > m.used {
		m.used = size
	}
	return m.buf[:size:size]
}

func (m *mmapMemory) Free() { m.pool.put(m) }

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

// newMemoryAllocator returns the allocator of a host's instances.
func newMemoryAllocator(keep int, huge bool) experimental.MemoryAllocator {
	return newMemoryPool(keep, huge)
}
