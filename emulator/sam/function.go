package sam

import (
	"fmt"
	"time"
)

// FunctionSpec is one function of the template, with Globals merged, defaults
// applied and intrinsics (!Ref, !Sub) resolved.
type FunctionSpec struct {
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
	// EphemeralMB is EphemeralStorage's Size: /tmp's bound (default 512).
	EphemeralMB int
	Timeout     time.Duration
	// Env is Environment.Variables after --env-vars overrides.
	Env map[string]string
	// ReservedConcurrency is ReservedConcurrentExecutions; 0 means unlimited.
	ReservedConcurrency int
	// Description, for logs and listings.
	Description string
	// AutoPublishAlias, when set, makes fresco publish version 1 of the
	// function at start-up and point this alias at it, and publish a new
	// version (and move the alias) whenever a rebuild changes the code, as
	// SAM does on each deployment. AutoPublishCodeSha256 counts as part of
	// the code; VersionDescription describes the versions published.
	AutoPublishAlias      string
	AutoPublishCodeSha256 string
	VersionDescription    string
	// MaxRetries and MaxEventAge are EventInvokeConfig's
	// MaximumRetryAttempts and MaximumEventAgeInSeconds, how Event
	// invocations are retried; nil and 0 when the template leaves them to
	// Lambda's defaults (2 retries, 6 hours).
	MaxRetries  *int
	MaxEventAge time.Duration
	// OnSuccess and OnFailure are the functions (name or name:qualifier)
	// that EventInvokeConfig's Lambda destinations send records to.
	OnSuccess, OnFailure string
	// URL is FunctionUrlConfig; nil when the function has no URL.
	URL *FunctionURL
	// Events are the function's Api and HttpApi events, sorted by name;
	// other event types, but for Schedules, are not read.
	Events []Event
	// Schedules are the function's Schedule and ScheduleV2 events, sorted
	// by name: fresco start --schedules fires them.
	Schedules []ScheduleEvent
	// Mode is how the function runs: as wasm (the default), or as
	// processes speaking the Runtime API (see Mode's constants).
	Mode Mode
	// AllowedHosts is Metadata FrescoAllowedHosts: the only hosts a wasm
	// function may send HTTP requests to (nil: any but the cloud
	// instance-metadata addresses).
	AllowedHosts []string
}

// Mode is how a function runs.
//
// The rule: a function whose resource Metadata has FrescoMode: native is a
// Go main package built natively and run as Runtime API processes; one whose
// CodeUri directory holds an executable file named bootstrap (and no
// FrescoMode) runs that file as Runtime API processes; everything else is
// WebAssembly. FrescoMode: wasm forces the default.
type Mode int

const (
	// ModeWasm: a Go package built to wasm, or a .wasm file; a fresh
	// instance per invocation.
	ModeWasm Mode = iota
	// ModeNative: a Go main package built for the host (go build,
	// CGO_ENABLED=0) into a bootstrap executable, run as ModeBootstrap.
	ModeNative
	// ModeBootstrap: CodeUri/bootstrap, run as it is, in a pool of
	// processes that take invocations from the Runtime API over HTTP.
	ModeBootstrap
)

func (m Mode) String() string {
	switch m {
	case ModeWasm:
		return "wasm"
	case ModeNative:
		return "native"
	case ModeBootstrap:
		return "bootstrap"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Process tells whether functions of this mode run as Runtime API
// processes.
func (m Mode) Process() bool { return m == ModeNative || m == ModeBootstrap }
