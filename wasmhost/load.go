package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/wasmbin"
	"github.com/frescolabs/fresco/wasmhost/imports/buffers"
	"github.com/frescolabs/fresco/wasmhost/imports/cache"
	"github.com/frescolabs/fresco/wasmhost/imports/fresco"
	httpimport "github.com/frescolabs/fresco/wasmhost/imports/http"
	"github.com/frescolabs/fresco/wasmhost/imports/wasi"
)

// hostModules are the import modules the guests of a function of cfg may
// use, in the order errors name them: one package of wasmhost/imports
// each. The cache's keys are the function's own; fresco_http serves the
// function with the host's pooled client, under its allow-list.
func (h *Host) hostModules(cfg FunctionConfig, allowed *httpimport.Policy) []abi.Module {
	return []abi.Module{wasi.Module(), fresco.Module(), buffers.Module(), cache.Module(h.cache, cfg.Name),
		h.http.Module(httpimport.Function{
			Name:        cfg.Name,
			Allowed:     allowed,
			MemoryBytes: uint64(cfg.MemoryMB) << 20,
		})}
}

// Load validates and compiles wasm as the function cfg describes. All
// compilation happens here; Invoke only instantiates. Its phases: the
// module is read once (validation, before wazero decodes anything), a
// runtime is set up with the host modules, the module is compiled, its
// imports checked and its entry points found, and the snapshot policy
// decides how its instances start (and fixes the environment).
func (h *Host) Load(ctx context.Context, cfg FunctionConfig, wasm []byte) (*Module, error) {
	cfg = withDefaults(cfg)
	loadErr := func(err error, format string, a ...any) error {
		return &LoadError{Function: cfg.Name, Reason: fmt.Sprintf(format, a...), Err: err}
	}
	mod, err := validate(cfg, wasm, loadErr)
	if err != nil {
		return nil, err
	}
	allowed, err := httpimport.NewPolicy(cfg.AllowedHosts)
	if err != nil {
		return nil, loadErr(err, "%v", err)
	}
	modules := h.hostModules(cfg, allowed)
	start := time.Now()
	// The guest is stopped at its deadline by checks the rewrite adds
	// (stop.go); a module the rewrite cannot read is stopped by wazero's
	// slower WithCloseOnContextDone instead.
	stopErr := mod.AddStopChecks()
	r, err := h.newRuntime(ctx, cfg, modules, stopErr != nil)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			r.Close(ctx)
		}
	}()
	// A module that may be snapshotted is compiled from a copy of its
	// binary that exports its mutable globals, so that they can be read
	// and restored; the copy behaves exactly as the original.
	sm, snapErr := snapshotCandidate(mod)
	bin, err := mod.Binary()
	if err != nil {
		return nil, loadErr(err, "cannot bound its tables: %v", err)
	}
	if sm != nil {
		bin = sm.Binary
	}
	cctx := ctx
	if stopErr == nil {
		cctx = experimental.WithFunctionListenerFactory(ctx, yieldListeners)
	}
	unlock := h.lockModule(bin)
	compiled, err := r.CompileModule(cctx, bin)
	unlock()
	if err != nil {
		return nil, loadErr(err, "invalid module: %v", err)
	}
	if err := checkLinks(r, compiled, modules); err != nil {
		return nil, loadErr(nil, "%s", err)
	}
	f := &Module{cfg: cfg, host: h, runtime: r, compiled: compiled, stopChecks: stopErr == nil, taskFS: wasi.TaskFS(cfg.TaskRoot)}
	f.tableMin, f.tablesExported = mod.Tables()
	if err := f.findEntryPoints(); err != nil {
		return nil, loadErr(nil, "%s", err)
	}
	// A trial instantiation, without running any code, catches what
	// compilation does not (e.g. a memory minimum above the limit).
	trial, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, loadErr(err, "cannot be instantiated: %v", err)
	}
	trial.Close(ctx)
	if err := f.findSnapshotHook(); err != nil {
		return nil, loadErr(nil, "%s", err)
	}
	if err := f.startInstances(ctx, sm, f.snapshotPolicy(sm, snapErr)); err != nil {
		return nil, loadErr(err, "%v", err)
	}
	f.CompileDuration = time.Since(start)
	adviseHugeCode()
	ok = true
	return f, nil
}

// validate reads wasm once, before wazero sees it, and checks cfg.
func validate(cfg FunctionConfig, wasm []byte, loadErr func(error, string, ...any) error) (*wasmbin.Module, error) {
	if len(wasm) < 8 || string(wasm[:4]) != wasmbin.Magic {
		return nil, loadErr(nil, "not a WebAssembly module (no \\0asm header)")
	}
	// Counts that would make wazero's decoder allocate without bound
	// (internal/wasmbin's preflight).
	mod, err := wasmbin.Parse(wasm)
	if err != nil {
		return nil, loadErr(err, "invalid module: %v", err)
	}
	if cfg.MemoryMB < 1 || cfg.MemoryMB > 10240 {
		return nil, loadErr(nil, "memory size %d MB is outside 1..10240", cfg.MemoryMB)
	}
	if cfg.EphemeralStorageMB < 512 || cfg.EphemeralStorageMB > 10240 {
		return nil, loadErr(nil, "ephemeral storage %d MB is outside 512..10240", cfg.EphemeralStorageMB)
	}
	if cfg.TaskRoot != "" {
		if st, err := os.Stat(cfg.TaskRoot); err != nil || !st.IsDir() {
			return nil, loadErr(err, "task root %s (/var/task) is not a directory", cfg.TaskRoot)
		}
	}
	if err := mod.LimitTables(maxTableEntries(cfg.MemoryMB)); err != nil {
		return nil, loadErr(err, "%v (memory size %d MB; docs/abi.md)", err, cfg.MemoryMB)
	}
	return mod, nil
}

// What tables cost the host. wazero keeps a table in the Go heap, as a
// []uintptr that table.grow extends with append: tableEntrySize bytes an
// entry, which Max Memory Used counts. Growing costs more than it keeps
// (measured on wazero v1.12, amd64): 8.0 B an entry after one grow of 2^22,
// 9.6 B after 2^22 grows of one (append's spare capacity), and until the
// GC collects the arrays each grow left behind, 23 B of heap and 27 B of
// the process's memory (Sys) an entry. tableEntryCost rounds that up.
const (
	tableEntrySize = 8
	tableEntryCost = 32
	// v8TableLimit is V8's bound on one table's size, which no
	// memory size lifts the tables' bound above.
	v8TableLimit = 10_000_000
)

// maxTableEntries bounds the entries of all the tables of a function of
// memoryMB: the tables may cost the host a quarter of its memory size on
// top of its linear memory, so 8,192 entries a MB (1,048,576 at 128 MB), and
// never more than v8TableLimit. table.grow past it returns -1
// (wasmbin.Module.LimitTables), and a module whose tables' minimums exceed
// it is refused.
func maxTableEntries(memoryMB int) uint64 {
	return min(uint64(memoryMB)<<20/4/tableEntryCost, v8TableLimit)
}

// newRuntime returns a runtime for one function, with its memory cap and
// the host modules; closeOnDone: wazero stops the guest when its context
// is done (the module has no stop checks).
func (h *Host) newRuntime(ctx context.Context, cfg FunctionConfig, modules []abi.Module, closeOnDone bool) (wazero.Runtime, error) {
	rcfg := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(h.compiled).
		WithMemoryLimitPages(uint32(cfg.MemoryMB) * 16). // 64 KiB pages
		WithCloseOnContextDone(closeOnDone)
	r := wazero.NewRuntimeWithConfig(ctx, rcfg)
	if err := instantiateHostModules(ctx, r, modules); err != nil {
		r.Close(ctx)
		return nil, err
	}
	return r, nil
}

// instantiateHostModules adds the host modules to r. The calls of a module
// that keep an instance from being reset are watched (snapshot.go).
func instantiateHostModules(ctx context.Context, r wazero.Runtime, modules []abi.Module) error {
	for _, m := range modules {
		mctx := ctx
		if m.Watch != nil {
			mctx = experimental.WithFunctionListenerFactory(ctx, watchFactory(m.Watch))
		} else if m.Resettable != nil {
			mctx = experimental.WithFunctionListenerFactory(ctx, resetWatch(m.Resettable))
		}
		if err := m.Instantiate(mctx, r); err != nil {
			return fmt.Errorf("instantiate host module %s: %w", m.Name, err)
		}
	}
	return nil
}

// checkLinks checks what compiled imports and exports for linking: only
// functions the host modules of r provide, with their signatures, and a
// memory of its own.
func checkLinks(r wazero.Runtime, compiled wazero.CompiledModule, modules []abi.Module) error {
	if err := checkImports(r, compiled, modules); err != nil {
		return err
	}
	for _, mem := range compiled.ImportedMemories() {
		mod, name, _ := mem.Import()
		return fmt.Errorf("imports memory %q; a function must define and export its own memory", mod+"."+name)
	}
	if len(compiled.ExportedMemories()) == 0 {
		return errors.New("exports no memory")
	}
	return nil
}

// checkImports checks that compiled imports only functions the host
// modules of r provide, with their signatures.
func checkImports(r wazero.Runtime, compiled wazero.CompiledModule, modules []abi.Module) error {
	provided := map[string]map[string]api.FunctionDefinition{}
	names := make([]string, len(modules))
	for i, m := range modules {
		provided[m.Name] = r.Module(m.Name).ExportedFunctionDefinitions()
		names[i] = m.Name
	}
	for _, imp := range compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		defs, known := provided[mod]
		if !known {
			return fmt.Errorf("imports %q, which fresco does not provide (only %s modules are available)", mod+"."+name, listNames(names))
		}
		def, known := defs[name]
		if !known {
			return fmt.Errorf("imports %q, which fresco does not provide", mod+"."+name)
		}
		if !sameSignature(def, imp) {
			return fmt.Errorf("imports %q with signature %s, but fresco provides %s", mod+"."+name, signature(imp), signature(def))
		}
	}
	return nil
}

// listNames lists names as prose: "a", "a and b", "a, b and c".
func listNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// findEntryPoints decides the function's interface from its exports (an
// ABI function exports fresco_handle, a WASI command _start) and checks
// their signatures.
func (f *Module) findEntryPoints() error {
	exports := f.compiled.ExportedFunctions()
	switch {
	case exports["fresco_handle"] != nil:
		f.iface = InterfaceABI
		for _, name := range []string{"fresco_handle", "_initialize", "fresco_init"} {
			if err := f.noArgs(name); err != nil {
				return err
			}
		}
		f.hasInitialize = exports["_initialize"] != nil
		f.hasInit = exports["fresco_init"] != nil
	case exports["_start"] != nil:
		f.iface = InterfaceStdio
		return f.noArgs("_start")
	default:
		return errors.New("exports neither fresco_handle (an ABI function) nor _start (a WASI command); see docs/abi.md")
	}
	return nil
}

// findSnapshotHook notes whether an ABI function consents to a snapshot
// (it exports fresco_snapshot) and checks its signature.
func (f *Module) findSnapshotHook() error {
	if f.iface != InterfaceABI {
		return nil
	}
	f.hasSnapshotHook = f.compiled.ExportedFunctions()["fresco_snapshot"] != nil
	return f.noArgs("fresco_snapshot")
}

// noArgs checks that the export name, if the module has it, is () -> ().
func (f *Module) noArgs(name string) error {
	if def, ok := f.compiled.ExportedFunctions()[name]; ok && (len(def.ParamTypes()) != 0 || len(def.ResultTypes()) != 0) {
		return fmt.Errorf("exports %s with signature %s, want () -> ()", name, signature(def))
	}
	return nil
}

// snapshotCandidate is the module for the snapshot path, or nil and why
// it cannot be reset to an image (it changes its tables or data segments,
// or shares state through imports).
func snapshotCandidate(mod *wasmbin.Module) (*wasmbin.SnapshotModule, error) {
	sm, err := mod.SnapshotModule()
	switch {
	case err != nil:
		return nil, fmt.Errorf("module not understood: %w", err)
	case sm.MutatesTables:
		return nil, errMutatesTables
	case sm.DropsData:
		return nil, errDropsData
	case sm.ImportsGlobals || sm.ImportsTables || sm.ImportsMemory:
		return nil, errImportsState
	}
	return sm, nil
}

// Why a function has no snapshot, when nothing failed.
var (
	errSnapshotsOff  = errors.New("snapshots are off")
	errNoConsent     = errors.New("the guest has an init phase and does not export fresco_snapshot")
	errCommand       = errors.New("a WASI command runs from _start every time")
	errMutatesTables = errors.New("the module changes its tables")
	errDropsData     = errors.New("the module uses memory.init or data.drop")
	errImportsState  = errors.New("the module imports globals, tables or memory")
	errRefGlobal     = errors.New("a reference global cannot be restored")
	errNoStopChecks  = errors.New("the module cannot be given stop checks")
	// errInitTimeout: the snapshot's init did not end within InitTimeout,
	// a load error (a hanging init would cost every invocation as much).
	errInitTimeout = errors.New("init timed out")
)

// snapshotPolicy decides how the function's instances start: from a
// snapshot when the module allows one (sm, else snapErr says why not), the
// host has snapshots on and the guest consents. It records why not.
func (f *Module) snapshotPolicy(sm *wasmbin.SnapshotModule, snapErr error) initType {
	switch {
	case f.iface != InterfaceABI:
		f.snapErr = errCommand
	case f.host.noSnapshots:
		f.snapErr = errSnapshotsOff
	case sm == nil:
		f.snapErr = snapErr
	case !f.stopChecks:
		f.snapErr = errNoStopChecks
	case (f.hasInitialize || f.hasInit) && !f.hasSnapshotHook:
		f.snapErr = errNoConsent
	default:
		return initSnapStart
	}
	return initOnDemand
}

// startInstances fixes the environment and the instances' configuration
// for init, and takes the snapshot when init is initSnapStart. A snapshot
// that fails is not a load error, except when its init timed out: the
// init's failure, if it fails every time, is every invocation's to report,
// but an init that hangs would make every invocation wait InitTimeout.
func (f *Module) startInstances(ctx context.Context, sm *wasmbin.SnapshotModule, init initType) error {
	f.env = f.host.lambdaEnv(f.cfg, init)
	f.baseConfig = f.moduleConfig(f.iface == InterfaceABI)
	if init != initSnapStart {
		return nil
	}
	snap, err := f.takeSnapshot(ctx, sm)
	if errors.Is(err, errInitTimeout) {
		return err
	}
	if err != nil {
		f.snapErr = fmt.Errorf("taking the snapshot failed: %w", err)
		f.env = f.host.lambdaEnv(f.cfg, initOnDemand)
		f.baseConfig = f.moduleConfig(true)
		return nil
	}
	f.snap = snap
	snap.startTrimmer()
	return nil
}
