//go:build wasip1 && !fresco_snapshot

package lambdart

import "os"

// SetTraceEnv makes os.Getenv(TraceEnvName) the invocation's trace id,
// traceID; traceEnv is TraceEnvName + "=" + traceID, as the guest binding
// makes it (guest.Invocation.TraceEnv), or empty (traceenv_snapshot_wasip1.go
// stores it without os.Setenv).
func SetTraceEnv(traceEnv, traceID string) { os.Setenv(TraceEnvName, traceID) }

// PrepareTraceEnv runs before a snapshot, which a guest built without the
// fresco_snapshot tag never has.
func PrepareTraceEnv() { os.Unsetenv(TraceEnvName) }
