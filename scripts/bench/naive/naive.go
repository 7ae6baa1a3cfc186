package naive

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost/imports/fresco"
	httpimport "github.com/frescolabs/fresco/wasmhost/imports/http"
)

// Baseline runs a module the naive way, the yardstick fresco's benchmarks
// measure wasmhost.Module.Invoke against: a wazero runtime with default settings
// and, per invocation, a plain InstantiateModule with a default
// ModuleConfig, the module's entry points called in turn, then Close. It
// has no limits, no timeout, no log capture and no classification of
// failures; do not serve functions with it.
type Baseline struct {
	runtime  wazero.Runtime
	compiled wazero.CompiledModule
	entries  []string
}

// New compiles wasm (an ABI function) in a default runtime.
func New(ctx context.Context, wasm []byte) (*Baseline, error) {
	r := wazero.NewRuntime(ctx)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		r.Close(ctx)
		return nil, err
	}
	if err := fresco.Instantiate(ctx, r); err != nil {
		r.Close(ctx)
		return nil, err
	}
	// Go guests import fresco_http (their net/http goes through the
	// host); the baseline links it, with a client of its own, so that
	// they instantiate.
	client, err := httpimport.NewClient(httpimport.Config{})
	if err != nil {
		r.Close(ctx)
		return nil, err
	}
	if err := client.Module(httpimport.Function{Name: "naive", MemoryBytes: 128 << 20}).Instantiate(ctx, r); err != nil {
		r.Close(ctx)
		return nil, err
	}
	compiled, err := r.CompileModule(ctx, wasm)
	if err != nil {
		r.Close(ctx)
		return nil, err
	}
	b := &Baseline{runtime: r, compiled: compiled}
	exports := compiled.ExportedFunctions()
	for _, name := range []string{"_initialize", "fresco_init", "fresco_handle"} {
		if exports[name] != nil {
			b.entries = append(b.entries, name)
		}
	}
	if exports["fresco_handle"] == nil {
		r.Close(ctx)
		return nil, fmt.Errorf("baseline: module does not export fresco_handle")
	}
	return b, nil
}

// Invoke runs one invocation in a fresh instance and returns the response.
func (b *Baseline) Invoke(ctx context.Context, req *invoke.Request) ([]byte, error) {
	inv := abi.New(req)
	inv.StartInvoke(time.Now().Add(time.Minute))
	ctx = abi.With(ctx, inv)
	mod, err := b.runtime.InstantiateModule(ctx, b.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions().
		// The ABI's one environment variable, which tells an unchanged
		// aws-lambda-go handler's start function that it runs in fresco.
		WithEnv("FRESCO_ABI", strconv.Itoa(fresco.ABIVersion)))
	if err != nil {
		return nil, err
	}
	defer mod.Close(ctx)
	for _, name := range b.entries {
		if _, err := mod.ExportedFunction(name).Call(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if inv.ErrBody != nil {
		return nil, fmt.Errorf("function error: %s", inv.ErrBody)
	}
	return inv.Response, nil
}

// Close releases the runtime.
func (b *Baseline) Close(ctx context.Context) error { return b.runtime.Close(ctx) }
