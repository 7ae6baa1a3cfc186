package emulator

import "time"

// Function is one function of the template, with Globals merged, defaults
// applied and intrinsics (!Ref, !Sub) resolved.
type Function struct {
	// LogicalID is the template's resource name (e.g. "Hello").
	LogicalID string
	// Name is FunctionName when the template sets it, else LogicalID.
	Name string
	// CodeURI is the resolved CodeUri: an absolute path to a Go package
	// directory, or to a ready .wasm file.
	CodeURI      string
	Handler      string
	Runtime      string
	Architecture string // "arm64" or "x86_64"
	MemoryMB     int    // default 128
	Timeout      time.Duration
	// Env is Environment.Variables after --env-vars overrides.
	Env map[string]string
	// ReservedConcurrency is ReservedConcurrentExecutions; 0 means unlimited.
	ReservedConcurrency int
	// Description, for logs and listings.
	Description string
	// Events are the function's Api and HttpApi events, sorted by name;
	// other event types are not read.
	Events []Event
}
