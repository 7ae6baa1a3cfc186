package abi

import "github.com/tetratelabs/wazero/api"

// Host-side data buffers (docs/abi.md, "Buffers"): bytes the host holds on
// a guest's behalf, which the guest names by a handle and can pass to
// another host call, or post as its response, without copying them into
// its memory. The table is per invocation: it goes with the Invocation
// when the invocation ends, so no handle outlives it.

// MaxBuffers bounds the handles an invocation may hold at once.
const MaxBuffers = 1024

// Buffer is what a handle names. Bytes returns the buffer's contents,
// which neither the host nor the guest changes once the buffer is made.
// A host module with bytes it produces lazily (an HTTP response body)
// implements it to hand them over without a copy; Size must not need them
// read. Release is called once when the handle is released or its
// invocation ends.
type Buffer interface {
	Size() int
	Bytes() []byte
	Release()
}

// Bytes is a Buffer over a slice the host holds; cost is what it counts
// against the instance's memory (zero for bytes the host holds anyway,
// such as the event).
type Bytes struct {
	B    []byte
	mem  *HostMemory
	cost int64
}

func (b *Bytes) Size() int     { return len(b.B) }
func (b *Bytes) Bytes() []byte { return b.B }

// Release gives back what the buffer counted against the instance's
// memory.
func (b *Bytes) Release() {
	if b.mem != nil {
		b.mem.Release(b.cost)
		b.mem = nil
	}
}

// Buffers is an invocation's handle table. Handle 0 is never issued: the
// ABI uses it for "none" (a cache miss).
type Buffers struct {
	slots []Buffer // slot i holds handle i+1
	free  []int32
}

// Put adds b and returns its handle, or 0 when the table is full.
func (t *Buffers) Put(b Buffer) int32 {
	if n := len(t.free); n > 0 {
		i := t.free[n-1]
		t.free = t.free[:n-1]
		t.slots[i] = b
		return i + 1
	}
	if len(t.slots) >= MaxBuffers {
		return 0
	}
	t.slots = append(t.slots, b)
	return int32(len(t.slots))
}

// Get returns the buffer of handle h, or nil.
func (t *Buffers) Get(h int32) Buffer {
	if h < 1 || int(h) > len(t.slots) {
		return nil
	}
	return t.slots[h-1]
}

// Delete releases handle h; false if it names no buffer.
func (t *Buffers) Delete(h int32) bool {
	b := t.Get(h)
	if b == nil {
		return false
	}
	b.Release()
	t.slots[h-1] = nil
	t.free = append(t.free, h-1)
	return true
}

// Len is the number of live handles.
func (t *Buffers) Len() int { return len(t.slots) - len(t.free) }

// ReleaseAll releases every handle: the end of the invocation.
func (t *Buffers) ReleaseAll() {
	for i, b := range t.slots {
		if b != nil {
			b.Release()
			t.slots[i] = nil
		}
	}
	t.slots, t.free = nil, nil
}

// HostMemory counts what the host holds on behalf of one instance, beyond
// its linear memory: its buffers and its /tmp. Together with the linear
// memory it stays within the function's memory size, as everything a
// Lambda function holds counts against its memory. One goroutine at a time
// uses it (the one running the guest); the instance's reset zeroes it.
type HostMemory struct {
	// Limit is the function's memory size in bytes.
	Limit int64
	// Memory is the instance's linear memory, once instantiated.
	Memory     api.Memory
	used, peak int64
}

// Reserve counts n more bytes, and reports false (counting nothing) if
// they would take the instance past its memory size.
func (m *HostMemory) Reserve(n int64) bool {
	if m == nil {
		return true
	}
	var linear int64
	if m.Memory != nil {
		linear = int64(m.Memory.Size())
	}
	if n < 0 || m.used+n+linear > m.Limit {
		return false
	}
	m.used += n
	m.peak = max(m.peak, m.used)
	return true
}

// Release gives back n bytes.
func (m *HostMemory) Release(n int64) {
	if m != nil {
		m.used = max(m.used-n, 0)
	}
}

// Used is what the host holds now; Peak the most it held since Reset.
func (m *HostMemory) Used() int64 { return m.used }
func (m *HostMemory) Peak() int64 { return m.peak }

// Reset forgets what was counted: the instance's buffers and /tmp are
// gone.
func (m *HostMemory) Reset() { m.used, m.peak = 0, 0 }

// NewBytes returns a buffer holding a copy of b counted against mem, or
// nil if mem has no room for it.
func NewBytes(mem *HostMemory, b []byte) *Bytes {
	if !mem.Reserve(int64(len(b))) {
		return nil
	}
	return &Bytes{B: append([]byte(nil), b...), mem: mem, cost: int64(len(b))}
}

// HeldBytes returns a buffer over b, which the host holds anyway, counting
// nothing.
func HeldBytes(b []byte) *Bytes { return &Bytes{B: b} }

// AdoptBytes returns a buffer over b, a slice the host made for the guest
// (a cache value), counted against mem; nil if mem has no room.
func AdoptBytes(mem *HostMemory, b []byte) *Bytes {
	if !mem.Reserve(int64(len(b))) {
		return nil
	}
	return &Bytes{B: b, mem: mem, cost: int64(len(b))}
}
