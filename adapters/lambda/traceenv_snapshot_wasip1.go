//go:build wasip1 && fresco_snapshot

package lambda

import (
	"os"
	"strings"
	_ "unsafe" // go:linkname

	"github.com/frescolabs/fresco/adapters/guest"
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

// setTraceEnv makes os.Getenv(traceEnvName) the invocation's trace id.
func setTraceEnv(inv *guest.Invocation) {
	if i := traceEnvIndex; i >= 0 && i < len(syscallEnvs) && inv.TraceEnv != "" &&
		strings.HasPrefix(syscallEnvs[i], traceEnvName+"=") {
		syscallEnvs[i] = inv.TraceEnv
		return
	}
	os.Setenv(traceEnvName, inv.TraceID)
}

// prepareTraceEnv runs before the snapshot: it leaves the variable in the
// image, empty, and learns where syscall keeps it.
func prepareTraceEnv() {
	const empty = traceEnvName + "="
	os.Setenv(traceEnvName, "")
	i, ok := syscallEnv[traceEnvName]
	if !ok || i < 0 || i >= len(syscallEnvs) || syscallEnvs[i] != empty {
		return
	}
	syscallEnvs[i] = traceEnvName + "=fresco-probe"
	ok = os.Getenv(traceEnvName) == "fresco-probe"
	syscallEnvs[i] = empty
	if ok {
		traceEnvIndex = i
	}
}
