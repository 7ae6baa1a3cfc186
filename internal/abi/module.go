package abi

import (
	"context"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// Module describes a host module: an import module the host provides to
// guests, one package of wasmhost/imports each.
type Module struct {
	// Name is the import module's name, as guests import it.
	Name string
	// Instantiate adds the module to r. The host functions find the
	// invocation they serve with From(ctx).
	Instantiate func(ctx context.Context, r wazero.Runtime) error
	// Resettable reports whether a call of the module's function named
	// name leaves the calling instance resettable to its snapshot image:
	// it changes no state of the instance that a reset of its memory and
	// globals would not restore. The host watches the other calls and
	// discards an instance whose guest made one. Nil: every call keeps
	// the instance resettable (its state is the invocation's), and no
	// call is watched.
	Resettable func(name string) bool
	// Watch, when set, replaces Resettable for a module whose calls keep an
	// instance resettable or not depending on their arguments (WASI's,
	// by descriptor): it returns the listener of the function named name,
	// which taints the invocation (Invocation.Taint) or counts its open
	// files (Invocation.OpenFiles), or nil for a call never watched.
	Watch func(name string) experimental.FunctionListener
}
