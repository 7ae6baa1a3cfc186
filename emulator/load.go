package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/emulator/build"
	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/procpool"
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

// loadAll compiles (or, for process functions, prepares) every function in
// parallel, one per core: compilation is CPU-bound and takes seconds for a
// Go module. Then it registers them, publishing version 1 of those with an
// AutoPublishAlias.
//
// A function that failed to build (failed) or fails to load is reported and
// registered all the same, answering every invocation with the cause, so
// that the others serve (as SAM fails only that function's requests) and
// --watch can bring it back; when functions were asked for by name
// (opts.Only), its error is returned instead.
func (e *Emulator) loadAll(ctx context.Context, fns []*sam.FunctionSpec, artifacts map[string]string, failed map[string]error) error {
	runners := make([]functions.Runner, len(fns))
	codes := make([]functions.Code, len(fns))
	errs := make([]error, len(fns))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, cfg := range fns {
		if cause := failed[cfg.LogicalID]; cause != nil {
			runners[i] = e.failedFunction(cfg, "build", cause)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			codes[i], runners[i], errs[i] = e.loadCode(ctx, cfg, artifacts[cfg.LogicalID])
			if errs[i] != nil && len(e.opts.Only) == 0 {
				runners[i], errs[i] = e.failedFunction(cfg, "load", errs[i]), nil
			}
		}()
	}
	wg.Wait()
	for i, cfg := range fns {
		if runners[i] == nil {
			continue
		}
		if err := e.register(ctx, cfg, codes[i], runners[i]); err != nil {
			runners[i].Close(ctx)
			if errors.Is(err, functions.ErrExists) {
				// A function uploaded through the API has the name.
				e.logger.Error("template function not served: a function uploaded through the API has its name (delete that one, or rename this one)", "function", cfg.LogicalID, "name", cfg.Name)
				continue
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// register adds a loaded template function to the registry.
func (e *Emulator) register(ctx context.Context, cfg *sam.FunctionSpec, c functions.Code, r functions.Runner) error {
	fn := functions.Function{
		Name:                cfg.Name,
		ReservedConcurrency: cfg.ReservedConcurrency,
		AutoPublishAlias:    cfg.AutoPublishAlias,
		Async:               functions.DefaultAsyncConfig(),
	}
	if cfg.MaxRetries != nil {
		fn.Async.MaxRetries = *cfg.MaxRetries
	}
	if cfg.MaxEventAge > 0 {
		fn.Async.MaxEventAge = cfg.MaxEventAge
	}
	fn.Async.OnSuccess, fn.Async.OnFailure = cfg.OnSuccess, cfg.OnFailure
	if cfg.LogicalID != cfg.Name {
		fn.OtherNames = []string{cfg.LogicalID}
	}
	latest := functions.Version{Config: versionConfig(cfg), Code: c, Description: cfg.VersionDescription}
	if err := e.reg.Create(ctx, fn, latest, r); err != nil {
		return err
	}
	e.loaded[cfg.Name] = cfg
	e.fns = append(e.fns, cfg)
	if cfg.AutoPublishAlias == "" {
		return nil
	}
	v, err := e.reg.AutoPublish(ctx, cfg.Name)
	if err != nil {
		return err
	}
	e.logger.Info("version published", "function", cfg.LogicalID, "version", v.Version, "alias", cfg.AutoPublishAlias)
	return nil
}

// versionConfig is the version configuration of a template function.
func versionConfig(cfg *sam.FunctionSpec) functions.Config {
	return functions.Config{
		Description:  cfg.Description,
		Runtime:      cfg.Runtime,
		Handler:      cfg.Handler,
		Architecture: cfg.Architecture,
		MemoryMB:     cfg.MemoryMB,
		Timeout:      cfg.Timeout,
		Env:          cfg.Env,
	}
}

// loadVersion is the registry's Loader: it loads the code of a published
// version again, with that version's configuration.
func (e *Emulator) loadVersion(ctx context.Context, v functions.Version) (functions.Runner, error) {
	spec, ok := e.loaded[v.Function]
	if !ok {
		// An uploaded function: its version says all.
		return e.loadManaged(ctx, v)
	}
	cfg := *spec
	cfg.Description, cfg.Runtime, cfg.Handler = v.Config.Description, v.Config.Runtime, v.Config.Handler
	cfg.MemoryMB, cfg.Timeout, cfg.Env = v.Config.MemoryMB, v.Config.Timeout, v.Config.Env
	_, r, err := e.loadCode(ctx, &cfg, v.Code.Artifact)
	return r, err
}

// loadCode compiles the artifact at path as cfg's code, or, for a process
// function, makes the pool that runs path, whose processes start on demand.
func (e *Emulator) loadCode(ctx context.Context, cfg *sam.FunctionSpec, path string) (functions.Code, functions.Runner, error) {
	// The artifact is read once: its hash is CodeSha256, and a module's
	// bytes are what wasmhost compiles.
	data, err := os.ReadFile(path)
	if err != nil {
		return functions.Code{}, nil, fmt.Errorf("load function %s: %w", cfg.LogicalID, err)
	}
	c := codeOf(path, data, cfg.AutoPublishCodeSha256)
	if cfg.Mode.Process() {
		max := e.opts.MaxProcesses
		if cfg.ReservedConcurrency > 0 {
			max = cfg.ReservedConcurrency
		}
		pool := procpool.New(procpool.Config{
			ID: cfg.LogicalID, Name: cfg.Name, Runtime: cfg.Runtime, Handler: cfg.Handler,
			MemoryMB: cfg.MemoryMB, Timeout: cfg.Timeout, Env: cfg.Env,
			Region: e.region, ARN: e.reg.ARN(cfg.Name),
			Bootstrap: path, Dir: cfg.CodeURI, MaxProcesses: max,
			Logger: e.logger, Output: e.writeFunctionLog,
			Middleware: e.opts.RuntimeAPIMiddleware,
		})
		e.logger.Info("function ready",
			"function", cfg.LogicalID, "name", cfg.Name, "mode", cfg.Mode.String(),
			"memory_mb", cfg.MemoryMB, "timeout", cfg.Timeout.String(),
			"bootstrap", path, "max_processes", max)
		return c, pool, nil
	}
	r, err := e.loadWasm(ctx, cfg, data)
	return c, r, err
}

// codeOf describes the artifact at path, whose bytes are data: its size
// and CodeSha256.
func codeOf(path string, data []byte, revision string) functions.Code {
	sum := sha256.Sum256(data)
	return functions.Code{
		Sha256:   base64.StdEncoding.EncodeToString(sum[:]),
		Size:     int64(len(data)),
		Artifact: path,
		Revision: revision,
	}
}

// taskRoot is the directory a function's /var/task shows: CodeUri when it
// is a directory, else the directory of the .wasm file it names.
func taskRoot(codeURI string) string {
	if st, err := os.Stat(codeURI); err == nil && !st.IsDir() {
		return filepath.Dir(codeURI)
	}
	return codeURI
}

// loadWasm compiles the module wasm and makes its snapshot.
func (e *Emulator) loadWasm(ctx context.Context, cfg *sam.FunctionSpec, wasm []byte) (functions.Runner, error) {
	start := time.Now()
	wf, err := e.host.Load(ctx, wasmhost.FunctionConfig{
		Name:     cfg.Name,
		MemoryMB: cfg.MemoryMB,
		Timeout:  cfg.Timeout,
		Env:      cfg.Env,
		Region:   e.region,
		Handler:  cfg.Handler,
		Runtime:  cfg.Runtime,
		// The files of CodeUri (a Go package's directory, or the one
		// holding a .wasm file) are the guest's /var/task.
		TaskRoot:           taskRoot(cfg.CodeURI),
		EphemeralStorageMB: cfg.EphemeralMB,

		AllowedHosts: cfg.AllowedHosts,
	}, wasm)
	if err != nil {
		return nil, err
	}
	attrs := []any{"function", cfg.LogicalID, "name", cfg.Name, "mode", wf.Interface().String(),
		"memory_mb", cfg.MemoryMB, "timeout", cfg.Timeout.String(),
		"wasm_bytes", len(wasm), "load", time.Since(start).Round(time.Millisecond).String()}
	if on, why := wf.Snapshot(); on {
		initLog, took := wf.SnapshotInit()
		attrs = append(attrs, "snapshot", true, "snapshot_init", took.Round(time.Microsecond).String())
		// The init ran once, at load: its output is logged once, here.
		if len(initLog) > 0 {
			block := fmt.Appendf(nil, "INIT %s (snapshot)\n%s", cfg.LogicalID, initLog)
			if initLog[len(initLog)-1] != '\n' {
				block = append(block, '\n')
			}
			e.writeFunctionLog(block)
		}
	} else {
		attrs = append(attrs, "snapshot", false, "snapshot_off", why)
	}
	e.logger.Info("function ready", attrs...)
	return wf, nil
}

// failedFunction logs why cfg cannot serve and returns the Runner that
// answers its invocations with that cause.
func (e *Emulator) failedFunction(cfg *sam.FunctionSpec, phase string, cause error) functions.Runner {
	e.logger.Error("function failed to "+phase+"; its invocations fail until it "+phase+"s (fresco start --watch rebuilds it on a change)",
		"function", cfg.LogicalID, "error", cause)
	return failedRunner{name: cfg.LogicalID, phase: phase, cause: cause}
}

// failedRunner answers every invocation of a function that did not build
// or load with Runtime.InvalidEntrypoint, naming the cause.
type failedRunner struct {
	name, phase string
	cause       error
}

func (f failedRunner) Invoke(_ context.Context, req *invoke.Request) *invoke.Result {
	return invoke.ErrorResult(invoke.Crash, invoke.ErrInvalidEntrypoint,
		fmt.Sprintf("RequestId: %s Error: function %s failed to %s: %v", req.RequestID, f.name, f.phase, f.cause))
}

func (failedRunner) Close(context.Context) error { return nil }

// buildFailures gives each function of fns that has no artifact the part
// of the build's error err that names it (all of it when none does).
func buildFailures(fns []*sam.FunctionSpec, artifacts map[string]string, err error) map[string]error {
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	failed := map[string]error{}
	for _, fn := range fns {
		if artifacts[fn.LogicalID] != "" {
			continue
		}
		failed[fn.LogicalID] = err
		for _, p := range parts {
			var be *build.BuildError
			if errors.As(p, &be) && slices.Contains(be.Functions, fn.LogicalID) || strings.HasPrefix(p.Error(), "build "+fn.LogicalID+":") {
				failed[fn.LogicalID] = p
				break
			}
		}
	}
	return failed
}
