//go:build wasip1 && fresco_snapshot

package lambdart

import (
	"os"
	"strings"
	_ "unsafe" // go:linkname
)

// The trace id reaches os.Getenv without os.Setenv on every invocation.
// Setenv validates both strings, takes the environment's lock, concatenates
// "name=value", looks the name up in a map and stores it: about a tenth of
// a Hello invocation's guest time today. An image instead holds the
// variable, empty; the snapshot learns where package syscall keeps its
// "name=value" string, and every invocation stores the guest binding's
// Invocation.TraceEnv there, a string it already made. Reaching syscall's
// unexported state needs go:linkname, like the reseed in adapters/guest,
// hence this file's build tag; the position is checked (a direct store
// must be what os.Getenv reads) before it is used, and os.Setenv stays the
// fallback. wasm runs one goroutine at a time, and none between the
// store's two words, so the store needs the lock no more than a read does.

//go:linkname syscallEnvs syscall.envs
var syscallEnvs []string

//go:linkname syscallEnv syscall.env
var syscallEnv map[string]int

// traceEnvIndex is the index in syscallEnvs of the trace id's variable, or
// -1 when every invocation uses os.Setenv.
var traceEnvIndex = -1

// SetTraceEnv makes os.Getenv(TraceEnvName) the invocation's trace id,
// traceID. traceEnv is TraceEnvName + "=" + traceID, as the guest binding
// makes it (guest.Invocation.TraceEnv), or empty: then, or before
// PrepareTraceEnv found the variable, it is os.Setenv.
func SetTraceEnv(traceEnv, traceID string) {
	if i := traceEnvIndex; i >= 0 && i < len(syscallEnvs) && traceEnv != "" &&
		strings.HasPrefix(syscallEnvs[i], TraceEnvName+"=") {
		syscallEnvs[i] = traceEnv
		return
	}
	os.Setenv(TraceEnvName, traceID)
}

// PrepareTraceEnv runs before the snapshot (from guest.OnSnapshot): it
// leaves the variable in the image, empty, and learns where syscall keeps
// it.
func PrepareTraceEnv() {
	const empty = TraceEnvName + "="
	os.Setenv(TraceEnvName, "")
	i, ok := syscallEnv[TraceEnvName]
	if !ok || i < 0 || i >= len(syscallEnvs) || syscallEnvs[i] != empty {
		return
	}
	syscallEnvs[i] = TraceEnvName + "=fresco-probe"
	ok = os.Getenv(TraceEnvName) == "fresco-probe"
	syscallEnvs[i] = empty
	if ok {
		traceEnvIndex = i
	}
}
