//go:build wasip1 && fresco_snapshot

package guest

import (
	"crypto/rand"
	"runtime"
	"unsafe"
)

// This file makes a Go guest snapshot-safe (docs/abi.md, "Snapshots"). fresco
// build compiles it in (-tags fresco_snapshot); it reaches into the Go
// runtime with go:linkname, which the linker allows only with
// -ldflags=-checklinkname=0, so a guest built without the tag simply runs
// its init on every invocation.
//
// The Go runtime seeds its random generator during its own init: the global
// chacha8 state, then each M's state from it. An image taken after init
// would hand every invocation the same math/rand and math/rand/v2 sequence,
// the same map iteration order and the same hash/maphash seeds. So every
// invocation starts by reseeding: fresh entropy from the host becomes
// the global state's key, and the runtime's own mrandinit derives the M's
// state from it, exactly as at start-up. The runtime's hash key (alginit)
// is left as is: maps made during init hash with it.
//
// The entropy comes with the invocation's context (invocation_context_all),
// so reseeding costs no host call of its own.

// globalRandLayout mirrors runtime.globalRand (runtime/rand.go) on wasm:
// a mutex (one uintptr without lock ranking), the 32-byte seed buffer, the
// internal/chacha8rand.State, and the init flag.
type globalRandLayout struct {
	lock  uintptr
	seed  [32]byte
	state struct {
		buf     [32]uint64
		seed    [4]uint64
		i, n, c uint32
	}
	init bool
}

//go:linkname runtimeGlobalRand runtime.globalRand
var runtimeGlobalRand globalRandLayout

// runtimeM0 is the runtime's m0; wasm has no threads, so it is the only M.
//
//go:linkname runtimeM0 runtime.m0
var runtimeM0 [1]byte

//go:linkname runtimeMrandinit runtime.mrandinit
func runtimeMrandinit(mp unsafe.Pointer)

func init() {
	reseed = reseedRuntime
}

// prepareSnapshot runs in fresco_snapshot, before the image is taken.
func prepareSnapshot() {
	// The layout is checked where it can be: after randinit the flag is
	// set, and a state whose buffer is exhausted has i == n.
	if !runtimeGlobalRand.init || runtimeGlobalRand.state.i > runtimeGlobalRand.state.n || runtimeGlobalRand.state.n > 32 {
		panic("fresco: this Go runtime's random state has an unknown layout; snapshots are off")
	}
	// Reseeding's own first use belongs in the image, not in every
	// invocation.
	reseedRuntime([32]byte{}, false)
	for _, warm := range warmers {
		warm()
	}
	// Leave garbage out of the image, then warm again: a collection
	// empties the allocator's per-P span caches, and an image taken right
	// after it would have every invocation refill them (and sweep) anew.
	runtime.GC()
	reseedRuntime([32]byte{}, false)
	for _, warm := range warmers {
		warm()
	}
}

// reseedRuntime makes key the runtime's random key; without one (!ok:
// during init, or from a host that sent none) it draws one from
// crypto/rand.
func reseedRuntime(key [32]byte, ok bool) {
	if !ok {
		rand.Read(key[:])
	}
	st := &runtimeGlobalRand.state
	for i := range st.seed {
		st.seed[i] = uint64(key[8*i]) | uint64(key[8*i+1])<<8 | uint64(key[8*i+2])<<16 | uint64(key[8*i+3])<<24 |
			uint64(key[8*i+4])<<32 | uint64(key[8*i+5])<<40 | uint64(key[8*i+6])<<48 | uint64(key[8*i+7])<<56
	}
	// An exhausted buffer makes the next draw refill it from the new key.
	st.i = st.n
	runtimeMrandinit(unsafe.Pointer(&runtimeM0))
}

//go:wasmexport fresco_snapshot
func frescoSnapshot() { prepareSnapshot() }
