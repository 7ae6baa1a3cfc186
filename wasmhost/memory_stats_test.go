//go:build linux || darwin || freebsd

package wasmhost

import "testing"

// TestMemoryPoolStats: the pool reports the free mappings it keeps and the
// address space they reserve (fresco_memory_pool_* read them).
func TestMemoryPoolStats(t *testing.T) {
	p := newMemoryPool(2, false)
	a, b := p.Allocate(1<<16, 1<<20), p.Allocate(1<<16, 1<<20)
	a.Reallocate(1 << 16)
	if free, reserved := p.stats(); free != 0 || reserved != 0 {
		t.Fatalf("with both in use: %d free, %d bytes", free, reserved)
	}
	a.Free()
	b.Free()
	if free, reserved := p.stats(); free != 2 || reserved != 2<<20 {
		t.Fatalf("after two frees: %d free, %d bytes, want 2 and %d", free, reserved, 2<<20)
	}
	p.release()
	if free, reserved := p.stats(); free != 0 || reserved != 0 {
		t.Fatalf("after release: %d free, %d bytes", free, reserved)
	}
	h := &Host{memory: newMemoryPool(1, false)}
	h.memory.Allocate(1<<16, 1<<20).Free()
	if free, reserved := h.MemoryPool(); free != 1 || reserved != 1<<20 {
		t.Fatalf("Host.MemoryPool: %d free, %d bytes", free, reserved)
	}
}
