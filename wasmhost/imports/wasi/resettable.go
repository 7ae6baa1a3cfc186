package wasi

import (
	"context"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/frescolabs/fresco/internal/abi"
)

// Which WASI calls keep an instance resettable to its snapshot image.
//
// The reset restores an instance's memory and globals, empties its /tmp
// (TmpFS.Reset) and leaves its descriptor table as instantiation made it:
// the standard descriptors, then /var/task and /tmp (FirstFD and on for the
// guest's own files). So a call keeps the instance resettable when it
// changes no WASI state, or only state the reset restores:
//
//   - calls on the file systems (path_*, and the guest's own descriptors,
//     FirstFD and up) change files in /tmp, which the reset empties, and
//     descriptors the guest closes before it ends: path_open and fd_close
//     count them (abi.Invocation.OpenFiles), and an instance left with a
//     file open is discarded rather than reset;
//   - a call that changes one of the descriptors instantiation made
//     (closes, seeks, renumbers, reads a preopen's listing), or a socket,
//     taints the invocation, and its instance is discarded.

// FirstFD is the first descriptor of a guest's own files: 0, 1 and 2 are
// the standard ones, 3 /var/task and 4 /tmp.
const FirstFD = 5

// Resettable reports whether the WASI function name keeps an instance
// resettable whatever its arguments: it is never watched.
func Resettable(name string) bool { return stateless[name] || pathCall[name] }

var stateless = map[string]bool{
	"args_get": true, "args_sizes_get": true, "environ_get": true, "environ_sizes_get": true,
	"clock_res_get": true, "clock_time_get": true, "random_get": true, "sched_yield": true,
	"poll_oneoff": true, "proc_exit": true,
	// On a standard descriptor: stdout and stderr write to the invocation's
	// log, stdin is empty. On a preopen, reads and writes fail (a
	// directory); its status and prestat are fixed. On the guest's own
	// files: their state goes when they are closed.
	"fd_write": true, "fd_read": true, "fd_fdstat_get": true, "fd_filestat_get": true,
	"fd_prestat_get": true, "fd_prestat_dir_name": true,
}

// pathCall: calls that change only the file systems (TmpFS.Reset restores
// /tmp; /var/task is read-only), not the descriptor table.
var pathCall = map[string]bool{
	"path_create_directory": true, "path_filestat_get": true, "path_filestat_set_times": true,
	"path_link": true, "path_readlink": true, "path_remove_directory": true, "path_rename": true,
	"path_symlink": true, "path_unlink_file": true,
}

// onStdio: calls on a descriptor that change nothing when it is a standard
// one. fresco's are never *os.File (stdin is wazero's no-op reader, stdout
// and stderr are io.Writers), and for those wazero's fd_fdstat_set_flags
// changes nothing: they are neither pollable nor regular files, so
// NONBLOCK and APPEND have nowhere to go. Go's runtime calls it on them
// during init.
var onStdio = map[string]bool{"fd_fdstat_set_flags": true, "fd_fdstat_set_rights": true}

// byDescriptor: calls whose first argument is a descriptor and which
// change its state.
var byDescriptor = map[string]bool{
	"fd_advise": true, "fd_allocate": true, "fd_datasync": true, "fd_fdstat_set_flags": true,
	"fd_fdstat_set_rights": true, "fd_filestat_set_size": true, "fd_filestat_set_times": true,
	"fd_pread": true, "fd_pwrite": true, "fd_readdir": true, "fd_seek": true, "fd_sync": true,
	"fd_tell": true,
}

// Watch returns the listener of the WASI function name (abi.Module.Watch).
func Watch(name string) experimental.FunctionListener {
	switch {
	case Resettable(name):
		return nil
	case name == "path_open":
		return openListener{}
	case name == "fd_close":
		return closeListener{}
	case byDescriptor[name]:
		return fdListener(name)
	}
	return taintListener(name) // fd_renumber, sock_*, and any call added later
}

// ownFD reports whether a call of name on fd keeps the instance
// resettable.
func ownFD(name string, fd int32) bool {
	return fd >= FirstFD || fd >= 0 && fd <= 2 && onStdio[name]
}

type listener struct{}

func (listener) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
}
func (listener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}
func (listener) Abort(context.Context, api.Module, api.FunctionDefinition, error)    {}

// taintListener taints every call.
type taintListener string

func (l taintListener) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	abi.From(ctx).Taint(ModuleName + "." + string(l))
}
func (taintListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}
func (taintListener) Abort(context.Context, api.Module, api.FunctionDefinition, error)    {}

// fdListener taints a call on a descriptor instantiation made.
type fdListener string

func (l fdListener) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, params []uint64, _ experimental.StackIterator) {
	if !ownFD(string(l), int32(api.DecodeU32(params[0]))) {
		abi.From(ctx).Taint(ModuleName + "." + string(l))
	}
}
func (fdListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}
func (fdListener) Abort(context.Context, api.Module, api.FunctionDefinition, error)    {}

// openListener counts the files path_open opens.
type openListener struct{ listener }

func (openListener) After(ctx context.Context, _ api.Module, _ api.FunctionDefinition, results []uint64) {
	if inv := abi.From(ctx); inv != nil && len(results) > 0 && results[0] == 0 {
		inv.OpenFiles++
	}
}

// closeListener taints the close of a descriptor instantiation made, and
// counts the guest's own files it closes.
type closeListener struct{ listener }

func (closeListener) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, params []uint64, _ experimental.StackIterator) {
	if !ownFD("fd_close", int32(api.DecodeU32(params[0]))) {
		abi.From(ctx).Taint(ModuleName + ".fd_close")
	}
}

func (closeListener) After(ctx context.Context, _ api.Module, _ api.FunctionDefinition, results []uint64) {
	if inv := abi.From(ctx); inv != nil && len(results) > 0 && results[0] == 0 {
		inv.OpenFiles--
	}
}
