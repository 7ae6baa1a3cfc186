package wasmhost_test

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/internal/wasmbin/wasmbintest"
	"github.com/frescolabs/fresco/wasmhost"
)

// heapNow collects garbage and returns the heap's live bytes and the
// memory the process has from the system.
func heapNow() (heap, sys uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.Sys
}

// TestTableBomb (issue 14): a table without a maximum grown by 2^30 and
// 2^27 entries, which once killed the host or kept 1 GB of its heap, is
// refused (table.grow returns -1) without the heap growing, a grow within
// the bound of a 128 MB function works, Max Memory Used counts the table,
// and the next invocation works too. Not parallel: it measures the heap.
func TestTableBomb(t *testing.T) {
	f := load(t, "TableBomb", fixture(t, "tablebomb"), wasmhost.FunctionConfig{})
	heap0, sys0 := heapNow()
	for i := range 3 {
		res := f.Invoke(context.Background(), request(""))
		if res.Kind != invoke.Success || len(res.Payload) != 16 {
			t.Fatalf("invocation %d: %v %q\nlog:\n%s", i, res.Kind, res.Payload, res.Log)
		}
		var got [4]int32
		for j := range got {
			got[j] = int32(binary.LittleEndian.Uint32(res.Payload[4*j:]))
		}
		if want := [4]int32{-1, -1, 1, 1 + 0x10000}; got != want {
			t.Errorf("invocation %d: table.grow by 2^30, 2^27, 2^16 and table.size = %v, want %v", i, got, want)
		}
		if want := uint64(64<<10 + (1+0x10000)*8); res.MaxMemoryBytes != want {
			t.Errorf("invocation %d: MaxMemoryBytes %d, want %d (one page and the table's entries)", i, res.MaxMemoryBytes, want)
		}
	}
	heap1, sys1 := heapNow()
	t.Logf("heap %d -> %d bytes, sys %d -> %d bytes", heap0, heap1, sys0, sys1)
	// 2^27 entries are 1 GB; the bound allows 8 MB.
	const bound = 64 << 20
	if heap1 > heap0+bound || sys1 > sys0+4*bound {
		t.Errorf("the host's memory grew: heap %d -> %d, sys %d -> %d", heap0, heap1, sys0, sys1)
	}
}

// TestTableMinimumsCountAgainstMemory: a module whose tables start with
// more entries than its memory size allows them (8,192 a MB) is refused at
// load, naming the bound; with more memory it loads.
func TestTableMinimumsCountAgainstMemory(t *testing.T) {
	t.Parallel()
	bin := wasmbintest.Module(
		"\x01\x01\x60\x00\x00",     // type 0: () -> ()
		"\x03\x01\x00",             // function 0 has type 0
		"\x04\x01\x70\x00\xa8\x46", // table 0: funcref, 9,000 entries
		"\x05\x01\x00\x01",         // memory 0: 1 page
		"\x07\x02\x06memory\x02\x00\x0dfresco_handle\x00\x00", // exports
		"\x0a\x01\x02\x00\x0b")                                // function 0: nothing
	_, err := host(t).Load(context.Background(), wasmhost.FunctionConfig{Name: "BigTable", MemoryMB: 1}, bin)
	var le *wasmhost.LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "at least 9000 entries, more than the 8192 its memory size allows (memory size 1 MB") {
		t.Fatalf("Load at 1 MB: %v, want a *LoadError about the table's 9000 entries", err)
	}
	f := load(t, "BigTable", bin, wasmhost.FunctionConfig{MemoryMB: 2})
	if res := f.Invoke(context.Background(), request("")); res.Kind != invoke.Crash || res.ErrorType != invoke.ErrNoResponse {
		t.Errorf("at 2 MB: %v %s %s", res.Kind, res.ErrorType, res.Payload)
	} else if want := uint64(64<<10 + 9000*8); res.MaxMemoryBytes != want {
		t.Errorf("MaxMemoryBytes %d, want %d", res.MaxMemoryBytes, want)
	}
}

// TestStackCountsAgainstMemory (issue 14): a recursion without end, which
// wazero would let grow its stack in the host's heap to ~100 MB whatever
// the function's memory size, is stopped when its stack and memory reach
// an 8 MB function's size: out of memory, with Max Memory Used at the
// size, and a quarter of the host's heap taken at most of what it takes
// at 128 MB (where wazero's own ceiling ends it first). Not parallel: it
// measures the heap.
func TestStackCountsAgainstMemory(t *testing.T) {
	alloc := func(memoryMB int) (*invoke.Result, uint64) {
		f := load(t, "Recurse", fixture(t, "recurse"), wasmhost.FunctionConfig{MemoryMB: memoryMB, Timeout: time.Minute})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res := f.Invoke(context.Background(), request(`{}`))
		runtime.ReadMemStats(&after)
		return res, after.TotalAlloc - before.TotalAlloc
	}
	small, smallAlloc := alloc(8)
	if d := decodeError(t, small); small.Kind != invoke.Crash || d.ErrorType != invoke.ErrOutOfMemory ||
		!strings.Contains(d.ErrorMessage, "out of memory (memory limit 8 MB)") {
		t.Errorf("at 8 MB: %v %s, want %s naming the limit\n%s", small.Kind, small.Payload, invoke.ErrOutOfMemory, small.Log)
	}
	if small.MaxMemoryBytes != 8<<20 {
		t.Errorf("at 8 MB: MaxMemoryBytes %d, want %d", small.MaxMemoryBytes, 8<<20)
	}
	big, bigAlloc := alloc(128)
	if d := decodeError(t, big); big.Kind != invoke.Crash || !strings.Contains(d.ErrorMessage, "stack overflow") {
		t.Errorf("at 128 MB: %v %s, want the stack overflow", big.Kind, big.Payload)
	}
	t.Logf("heap allocated: %d bytes at 8 MB, %d at 128 MB", smallAlloc, bigAlloc)
	if smallAlloc > bigAlloc/4 {
		t.Errorf("at 8 MB the host allocated %d bytes, at 128 MB %d: the count did not end the stack early", smallAlloc, bigAlloc)
	}
}

// TestDeepStackNotReused: an invocation whose stack went a few MB deep
// answers, and its instance (which holds that stack in the host's heap)
// is discarded rather than reused.
func TestDeepStackNotReused(t *testing.T) {
	t.Parallel()
	f := load(t, "Deep", fixture(t, "deep"), wasmhost.FunctionConfig{})
	for i := range 2 {
		res := f.Invoke(context.Background(), request(`{}`))
		wantSuccess(t, res, `{}`)
		if res.MaxMemoryBytes < 1<<20 {
			t.Errorf("invocation %d: MaxMemoryBytes %d, want the stack's MBs counted", i, res.MaxMemoryBytes)
		}
	}
	if _, _, discarded := f.SnapshotStats(); discarded != 2 {
		t.Errorf("%d instances discarded, want both invocations' (none reset for the next)", discarded)
	}
}
