package fresco

import (
	"context"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
)

// ModuleName is the import module of the guest ABI (docs/abi.md).
const ModuleName = "fresco"

// errno values of the ABI.
const (
	errnoOK              = 0
	errnoAlreadySent     = 1
	errnoTooLarge        = 2
	errnoNotInInvocation = 3
	errnoStreamClosed    = 4
)

// ABIVersion is the version of the ABI this module implements
// (docs/abi.md): 2 added the streamed response calls.
const ABIVersion = 2

// Module describes the fresco host module. Its calls only read and write
// the invocation's state, so none of them is watched for snapshot resets.
func Module() abi.Module {
	return abi.Module{Name: ModuleName, Instantiate: Instantiate}
}

// function is one host function of the module.
type function struct {
	name            string
	params, results []api.ValueType
	fn              api.GoModuleFunc
}

var (
	i32  = api.ValueTypeI32
	none = []api.ValueType{}
	one  = []api.ValueType{i32}
	two  = []api.ValueType{i32, i32}
	four = []api.ValueType{i32, i32, i32, i32}
)

// functions lists the module's host functions.
var functions = []function{
	{"invocation_event_size", none, one, eventSize},
	{"invocation_event_read", two, one, eventRead},
	{"invocation_context", four, one, contextLookup},
	{"invocation_context_all", two, one, contextAll},
	{"invocation_response", two, one, response},
	{"invocation_error", four, one, postError("invocation_error", false)},
	{"init_error", four, one, postError("init_error", true)},
	{"invocation_stream_start", two, one, streamStart},
	{"invocation_stream_write", two, one, streamWrite},
}

// Instantiate adds the fresco import module to r.
func Instantiate(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(ModuleName)
	for _, f := range functions {
		b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).WithName(f.name).Export(f.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}
