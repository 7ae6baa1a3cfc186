package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/invokeapi"
	"github.com/frescolabs/fresco/wasmhost"
)

// Account and region of the ARNs fresco reports.
const (
	DefaultAccountID = "123456789012"
	DefaultRegion    = "us-east-1"
)

// Options configures an Emulator.
type Options struct {
	// Template is the path of the SAM template (default template.yaml).
	Template string
	// EnvVars is the path of a SAM --env-vars JSON file; empty for none.
	EnvVars string
	// Parameters override the template's Parameters.
	Parameters map[string]string
	// CacheDir holds build artifacts and compiled code (default
	// os.UserCacheDir()/fresco).
	CacheDir string
	// Logger receives the server's own logs.
	Logger *slog.Logger
	// FunctionLog receives each invocation's log block (START, the
	// function's output, END, REPORT); default os.Stderr.
	FunctionLog io.Writer
	// BuildOutput receives build progress; nil for none.
	BuildOutput io.Writer
	// Only, when non-empty, loads just these functions (logical ids or
	// names); fresco invoke uses it so that one invocation does not build
	// and compile the whole template.
	Only []string
	// MaxConcurrency bounds invocations in flight across all functions
	// (default 1000, Lambda's default account limit).
	MaxConcurrency int
	// Watch makes Serve rebuild functions whose sources change and swap
	// them in without a restart (fresco start --watch), polling every
	// WatchInterval (default DefaultWatchInterval).
	Watch         bool
	WatchInterval time.Duration
	// NoSnapshots runs every invocation's init again (fresco start
	// --no-snapshots); VerifyResets checks every reset instance against
	// its snapshot (--verify-resets). See wasmhost.Config.
	NoSnapshots, VerifyResets bool
	// MaxProcesses bounds the runtime processes of each process function
	// (FrescoMode native, or a bootstrap) that sets no
	// ReservedConcurrentExecutions (default DefaultMaxProcesses).
	MaxProcesses int
}

// Emulator serves a template's functions: it implements invokeapi.Backend.
type Emulator struct {
	opts     Options
	logger   *slog.Logger
	tmpl     *Template
	host     *wasmhost.Host
	fns      []*function
	byName   map[string]*function
	inflight chan struct{}
	async    sync.WaitGroup
	logMu    sync.Mutex
}

// New loads the template, builds what is stale and compiles every function
// ahead of time.
func New(ctx context.Context, opts Options) (*Emulator, error) {
	if opts.Template == "" {
		opts.Template = "template.yaml"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if opts.FunctionLog == nil {
		opts.FunctionLog = os.Stderr
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = 1000
	}
	if opts.MaxProcesses <= 0 {
		opts.MaxProcesses = DefaultMaxProcesses
	}
	opts.CacheDir = defaultCacheDir(opts.CacheDir)
	topts := TemplateOptions{Parameters: opts.Parameters}
	if opts.EnvVars != "" {
		ev, err := LoadEnvVars(opts.EnvVars)
		if err != nil {
			return nil, err
		}
		topts.EnvVars = ev
	}
	tmpl, err := LoadTemplate(opts.Template, topts)
	if err != nil {
		return nil, err
	}
	for _, w := range tmpl.Warnings {
		opts.Logger.Warn("template", "template", opts.Template, "warning", w)
	}
	fns := tmpl.Functions
	if len(opts.Only) > 0 {
		fns = nil
		for _, name := range opts.Only {
			fn, ok := tmpl.Function(name)
			if !ok {
				return nil, &UnknownFunctionError{Name: name, Known: templateNames(tmpl)}
			}
			fns = append(fns, fn)
		}
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("template %s declares no AWS::Serverless::Function", opts.Template)
	}

	builder := &Builder{CacheDir: buildCacheDir(opts.CacheDir), Out: opts.BuildOutput}
	artifacts, err := builder.Build(ctx, fns)
	if err != nil {
		return nil, err
	}
	host, err := wasmhost.New(wasmhost.Config{
		CacheDir:     filepath.Join(opts.CacheDir, "wazero"),
		NoSnapshots:  opts.NoSnapshots,
		VerifyResets: opts.VerifyResets,
	})
	if err != nil {
		return nil, err
	}
	e := &Emulator{
		opts:     opts,
		logger:   opts.Logger,
		tmpl:     tmpl,
		host:     host,
		byName:   map[string]*function{},
		inflight: make(chan struct{}, opts.MaxConcurrency),
	}
	// Compile in parallel, one function per core: compilation is CPU-bound
	// and takes seconds for a Go module.
	loaded := make([]*function, len(fns))
	errs := make([]error, len(fns))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, cfg := range fns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			loaded[i], errs[i] = e.load(ctx, cfg, artifacts[cfg.LogicalID])
		}()
	}
	wg.Wait()
	for i, f := range loaded {
		if f != nil {
			e.fns = append(e.fns, f)
			e.byName[fns[i].LogicalID] = f
			e.byName[fns[i].Name] = f
		}
	}
	if err := errors.Join(errs...); err != nil {
		e.Close(ctx)
		return nil, err
	}
	return e, nil
}

func (e *Emulator) load(ctx context.Context, cfg *Function, path string) (*function, error) {
	c, err := e.loadCode(ctx, cfg, path)
	if err != nil {
		return nil, err
	}
	f := &function{
		e:   e,
		cfg: cfg,
		arn: functionARN(cfg),
	}
	f.code.Store(c)
	if cfg.ReservedConcurrency > 0 {
		f.reserved = make(chan struct{}, cfg.ReservedConcurrency)
	}
	return f, nil
}

// loadCode compiles the artifact at path as cfg's code, or, for a process
// function, makes the pool that runs path, whose processes start on demand.
func (e *Emulator) loadCode(ctx context.Context, cfg *Function, path string) (*code, error) {
	if cfg.Mode.Process() {
		max := e.opts.MaxProcesses
		if cfg.ReservedConcurrency > 0 {
			max = cfg.ReservedConcurrency
		}
		pool := newProcessPool(cfg, functionARN(cfg), path, max, e.logger, e.writeFunctionLog)
		e.logger.Info("function ready",
			"function", cfg.LogicalID, "name", cfg.Name, "mode", cfg.Mode.String(),
			"memory_mb", cfg.MemoryMB, "timeout", cfg.Timeout.String(),
			"bootstrap", path, "max_processes", max)
		return &code{pool: pool, artifact: path}, nil
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load function %s: %w", cfg.LogicalID, err)
	}
	start := time.Now()
	wf, err := e.host.Load(ctx, wasmhost.FunctionConfig{
		Name:     cfg.Name,
		MemoryMB: cfg.MemoryMB,
		Timeout:  cfg.Timeout,
		Env:      cfg.Env,
		Region:   region(),
		Handler:  cfg.Handler,
	}, wasm)
	if err != nil {
		return nil, err
	}
	attrs := []any{"function", cfg.LogicalID, "name", cfg.Name, "mode", wf.Mode().String(),
		"memory_mb", cfg.MemoryMB, "timeout", cfg.Timeout.String(),
		"wasm_bytes", len(wasm), "load", time.Since(start).Round(time.Millisecond).String()}
	if on, why := wf.Snapshot(); on {
		initLog, took := wf.SnapshotInit()
		attrs = append(attrs, "snapshot", true, "snapshot_init", took.Round(time.Microsecond).String())
		// The init ran once, at load: its output is logged once, here.
		if len(initLog) > 0 {
			e.logMu.Lock()
			fmt.Fprintf(e.opts.FunctionLog, "INIT %s (snapshot)\n%s", cfg.LogicalID, initLog)
			if initLog[len(initLog)-1] != '\n' {
				fmt.Fprintln(e.opts.FunctionLog)
			}
			e.logMu.Unlock()
		}
	} else {
		attrs = append(attrs, "snapshot", false, "snapshot_off", why)
	}
	e.logger.Info("function ready", attrs...)
	return &code{wasm: wf, artifact: path}, nil
}

// functionARN is the unqualified ARN of cfg.
func functionARN(cfg *Function) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region(), DefaultAccountID, cfg.Name)
}

// writeFunctionLog writes to the function log, one block at a time.
func (e *Emulator) writeFunctionLog(b []byte) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	e.opts.FunctionLog.Write(b)
}

func region() string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return DefaultRegion
}

// Functions lists the loaded functions' logical ids, sorted.
func (e *Emulator) Functions() []string {
	var ids []string
	for _, f := range e.fns {
		ids = append(ids, f.cfg.LogicalID)
	}
	sort.Strings(ids)
	return ids
}

// Lookup implements invokeapi.Backend: a logical id or FunctionName, and a
// qualifier that must be empty or $LATEST (fresco has no published versions
// or aliases yet).
func (e *Emulator) Lookup(name, qualifier string) (invokeapi.Function, error) {
	f, ok := e.byName[name]
	if !ok {
		return nil, invoke.NotFound("Function not found: arn:aws:lambda:%s:%s:function:%s", region(), DefaultAccountID, name)
	}
	if qualifier != "" && qualifier != "$LATEST" {
		return nil, invoke.NotFound("Function not found: %s:%s", f.arn, qualifier)
	}
	return f, nil
}

// Function returns a function by logical id or name.
func (e *Emulator) Function(name string) (invokeapi.Function, error) { return e.Lookup(name, "") }

// Close waits for asynchronous invocations to finish, then releases the
// compiled functions and stops every runtime process.
func (e *Emulator) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() { e.async.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("close: asynchronous invocations still running: %w", ctx.Err())
	}
	var errs []error
	for _, f := range e.fns {
		errs = append(errs, f.code.Load().close())
	}
	errs = append(errs, e.host.Close(context.Background()))
	return errors.Join(errs...)
}

// UnknownFunctionError names a function the template does not declare.
type UnknownFunctionError struct {
	Name  string
	Known []string
}

func (e *UnknownFunctionError) Error() string {
	return fmt.Sprintf("function %q not found in the template (functions: %v)", e.Name, e.Known)
}

func templateNames(t *Template) []string {
	var names []string
	for _, f := range t.Functions {
		names = append(names, f.LogicalID)
	}
	return names
}

// defaultCacheDir is dir, or the user's cache directory's fresco folder.
func defaultCacheDir(dir string) string {
	if dir != "" {
		return dir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "fresco")
}

func buildCacheDir(dir string) string { return filepath.Join(defaultCacheDir(dir), "build") }
