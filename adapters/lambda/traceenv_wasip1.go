//go:build wasip1 && !fresco_snapshot

package lambda

import (
	"os"

	"github.com/frescolabs/fresco/adapters/guest"
)

// setTraceEnv makes os.Getenv(traceEnvName) the invocation's trace id
// (traceenv_snapshot_wasip1.go does it without os.Setenv).
func setTraceEnv(inv *guest.Invocation) { os.Setenv(traceEnvName, inv.TraceID) }

// prepareTraceEnv runs before a snapshot, which a guest built without the
// fresco_snapshot tag never has.
func prepareTraceEnv() { os.Unsetenv(traceEnvName) }
