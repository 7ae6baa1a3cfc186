package abi

import "testing"

func TestBuffersTable(t *testing.T) {
	mem := &HostMemory{Limit: 100}
	var tab Buffers
	a := NewBytes(mem, make([]byte, 60))
	if a == nil || mem.Used() != 60 {
		t.Fatalf("reserve: %v, used %d", a, mem.Used())
	}
	if NewBytes(mem, make([]byte, 50)) != nil {
		t.Fatal("a buffer past the memory was made")
	}
	ha := tab.Put(a)
	hb := tab.Put(HeldBytes([]byte("event")))
	if ha != 1 || hb != 2 || tab.Get(hb).Size() != 5 || tab.Get(0) != nil || tab.Get(3) != nil || tab.Get(-1) != nil {
		t.Fatalf("handles %d %d", ha, hb)
	}
	if !tab.Delete(ha) || tab.Delete(ha) || mem.Used() != 0 {
		t.Fatalf("delete: used %d", mem.Used())
	}
	if h := tab.Put(HeldBytes(nil)); h != ha {
		t.Errorf("a freed handle is not reused: %d", h)
	}
	for tab.Len() < MaxBuffers {
		if tab.Put(HeldBytes(nil)) == 0 {
			t.Fatalf("full at %d", tab.Len())
		}
	}
	if tab.Put(HeldBytes(nil)) != 0 {
		t.Error("more than MaxBuffers handles")
	}
	c := NewBytes(mem, make([]byte, 10))
	tab.Delete(5)
	tab.Put(c)
	tab.ReleaseAll()
	if tab.Len() != 0 || tab.Get(1) != nil || mem.Used() != 0 || mem.Peak() != 60 {
		t.Errorf("after ReleaseAll: %d handles, used %d, peak %d", tab.Len(), mem.Used(), mem.Peak())
	}
}
