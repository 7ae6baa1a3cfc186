package emulator

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/frescolabs/fresco/emulator/build"
	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/functions/boltqueue"
	"github.com/frescolabs/fresco/emulator/functions/boltstore"
	"github.com/frescolabs/fresco/emulator/functions/redisqueue"
	"github.com/frescolabs/fresco/emulator/procpool"
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/emulator/schedule"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
	httpimport "github.com/frescolabs/fresco/wasmhost/imports/http"
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
	// FullResets resets snapshot instances by copying their whole image,
	// even where the kernel tracks the pages a guest writes (fresco start
	// --full-resets).
	FullResets bool
	// ReadyMemoryMB bounds the memory of ready snapshot instances, all
	// functions together (0: a quarter of the machine's, at most 4 GB).
	ReadyMemoryMB int
	// MaxProcesses bounds the runtime processes of each process function
	// (FrescoMode native, or a bootstrap) that sets no
	// ReservedConcurrentExecutions (default procpool.DefaultMaxProcesses).
	MaxProcesses int
	// Schedules fires the template's enabled Schedule and ScheduleV2
	// events (fresco start --schedules; see Emulator.RunSchedules).
	// ScheduleClock, for tests, is the clock they fire on (nil: the wall
	// clock).
	Schedules     bool
	ScheduleClock schedule.Clock
	// StateDir, when set, keeps accepted Event invocations on disk
	// (StateDir/events.db) until they have run, so that a crash or a kill
	// loses none: the next start runs what is left. Empty keeps them in
	// memory (fresco invoke, tests). fresco start sets it (DefaultStateDir).
	StateDir string
	// Queue, when set, is the Redis server (redis://HOST:PORT/DB) of an
	// Event queue that many fresco hosts share, in place of StateDir's:
	// each host runs what it accepted, under a lease of QueueLease
	// (default redisqueue.DefaultLease) that it renews, and claims what a
	// host that died leaves. See redisqueue.
	Queue      string
	QueueLease time.Duration
	// Observers are told of every invocation the Invoker ends or refuses
	// (the server's metrics).
	Observers []functions.Observer
	// RuntimeAPIMiddleware, if not nil, wraps the Runtime API handler of
	// every runtime process (the server's request metrics).
	RuntimeAPIMiddleware func(http.Handler) http.Handler
	// AsyncRetryDelay is the wait before the first retry of a failed Event
	// invocation (default functions.DefaultRetryDelay, as Lambda).
	AsyncRetryDelay time.Duration
	// Cache is the store of the functions' cache calls: empty for the
	// in-process one of CacheMB, or redis://HOST:PORT/DB (fresco start
	// --cache). See wasmhost.Config.
	Cache   string
	CacheMB int
	// AllowedHosts, if not nil, are the only hosts any wasm function may
	// send HTTP requests to (fresco start --egress-hosts); each function's
	// Metadata FrescoAllowedHosts restricts it further. See docs/abi.md.
	AllowedHosts []string
	// RootCAs, if set, are the roots the functions' HTTPS servers are
	// verified against, in place of the system's (fresco start --ca-file).
	RootCAs *x509.CertPool
	// LambdaEndpoint is the base URL of this fresco's Invoke API, which
	// wasm guests find in AWS_ENDPOINT_URL_LAMBDA (the server sets it to
	// the address it listens on).
	LambdaEndpoint string
	// AWSEndpoints are more host:port pairs whose requests the host signs
	// with its AWS credentials, as it signs AWS's (a local stack).
	AWSEndpoints []string
	// Credentials are the host's AWS credentials, which sign the guests'
	// AWS requests. Nil: the default chain (environment, profile, role),
	// resolved at the first signed request.
	Credentials aws.CredentialsProvider
}

// DefaultStateDir is where fresco start keeps the state of template: a
// folder of cacheDir's state folder named by the template's absolute path,
// so that two templates never share a queue.
func DefaultStateDir(cacheDir, template string) string {
	abs, err := filepath.Abs(template)
	if err != nil {
		abs = template
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(build.DefaultCacheDir(cacheDir), "state", hex.EncodeToString(sum[:8]))
}

// Emulator serves a template's functions: it seeds the core's registry
// (emulator/functions) with them; the front doors reach them through its
// Invoker.
type Emulator struct {
	opts   Options
	logger *slog.Logger
	tmpl   *sam.Template
	host   *wasmhost.Host
	region string
	log    *lockedWriter
	reg    *functions.Registry
	inv    *functions.Invoker
	// fns are the template's functions that were loaded, in the template's
	// order; loaded has them by Name.
	fns    []*sam.FunctionSpec
	loaded map[string]*sam.FunctionSpec
	// apiBase is the API port's base URL, once the server listens
	// (SetAPIAddress); started is when New made the emulator.
	apiBase atomic.Pointer[string]
	started time.Time
	// mgr is the control plane's backend; closeStore releases its store.
	mgr        *manager
	closeStore func() error
}

// New loads the template, builds what is stale and compiles every function
// ahead of time.
func New(ctx context.Context, opts Options) (*Emulator, error) {
	p, err := Prepare(opts)
	if err != nil {
		return nil, err
	}
	return p.Start(ctx)
}

// Plan is a read template and the functions to load from it: what Start
// builds and loads.
type Plan struct {
	opts Options
	tmpl *sam.Template
	fns  []*sam.FunctionSpec
}

// Prepare reads the template (with --env-vars) and picks the functions to
// load (all, or opts.Only). It builds nothing, and takes milliseconds.
func Prepare(opts Options) (*Plan, error) {
	opts = opts.withDefaults()
	tmpl, fns, err := loadFunctions(opts)
	if err != nil {
		return nil, err
	}
	return &Plan{opts: opts, tmpl: tmpl, fns: fns}, nil
}

// HasAPIEvents tells whether a function to load has Api or HttpApi events.
func (p *Plan) HasAPIEvents() bool {
	for _, f := range p.fns {
		if len(f.Events) > 0 || f.URL != nil { // Function URLs share the API port
			return true
		}
	}
	return false
}

// Start builds what is stale and compiles every function ahead of time.
func (p *Plan) Start(ctx context.Context) (*Emulator, error) {
	opts, tmpl, fns := p.opts, p.tmpl, p.fns
	builder := &build.Builder{CacheDir: filepath.Join(opts.CacheDir, "build"), Out: opts.BuildOutput}
	artifacts, err := builder.Build(ctx, fns)
	var failed map[string]error // by logical id: what keeps a function from serving
	if err != nil {
		if len(opts.Only) > 0 {
			return nil, err // fresco invoke, or functions asked for by name
		}
		failed = buildFailures(fns, artifacts, err)
	}
	direct := &directInvoker{}
	host, err := wasmhost.New(wasmhost.Config{
		CacheDir:      compileCacheDir(opts),
		NoSnapshots:   opts.NoSnapshots,
		VerifyResets:  opts.VerifyResets,
		FullResets:    opts.FullResets,
		ReadyMemoryMB: opts.ReadyMemoryMB,
		Logger:        opts.Logger,
		Cache:         opts.Cache,
		CacheMB:       opts.CacheMB,
		HTTP: httpimport.Config{
			RootCAs:        opts.RootCAs,
			AllowedHosts:   opts.AllowedHosts,
			Credentials:    hostCredentials(opts.Credentials),
			LambdaEndpoint: opts.LambdaEndpoint,
			AWSEndpoints:   opts.AWSEndpoints,
			Invoke:         direct.invoke,
		},
	})
	if err != nil {
		return nil, err
	}
	readyLimit, _ := host.ReadyMemory()
	opts.Logger.Info("snapshot instances are reset by "+host.ResetMechanism(), "ready_memory_mb", readyLimit>>20, "cache", host.CacheStore())
	e := &Emulator{
		started: time.Now(),
		opts:    opts,
		logger:  opts.Logger,
		tmpl:    tmpl,
		host:    host,
		region:  invoke.RegionFromEnv(),
		log:     &lockedWriter{w: opts.FunctionLog},
		loaded:  map[string]*sam.FunctionSpec{},
	}
	store, codeDir, closeStore, err := openRegistry(ctx, opts)
	if err != nil {
		host.Close(ctx)
		return nil, err
	}
	e.closeStore = closeStore
	e.reg = functions.NewRegistry(functions.RegistryConfig{
		Store:  store,
		Loader: functions.LoaderFunc(e.loadVersion),
		Region: e.region,
	})
	e.mgr = &manager{e: e, code: &codeStore{dir: codeDir}, gen: map[string]uint64{}}
	queue, err := openQueue(ctx, opts)
	if err != nil {
		closeStore()
		host.Close(ctx)
		return nil, err
	}
	e.inv = functions.NewInvoker(e.reg, functions.InvokerConfig{
		MaxConcurrency: opts.MaxConcurrency,
		Logger:         opts.Logger,
		FunctionLog:    e.log,
		Queue:          queue,
		RetryDelay:     opts.AsyncRetryDelay,
		Observers:      opts.Observers,
	})
	direct.set(e.inv)
	if err := e.loadAll(ctx, fns, artifacts, failed); err != nil {
		e.Close(ctx)
		return nil, err
	}
	// Functions uploaded through the control plane in earlier runs.
	start := time.Now()
	if err := e.mgr.restore(ctx); err != nil {
		e.Close(ctx)
		return nil, err
	}
	if n := e.mgr.count(ctx); n > 0 {
		e.logger.Info("uploaded functions restored", "count", n, "took", time.Since(start).Round(time.Millisecond).String())
	}
	// Events an earlier run accepted and did not finish run now.
	// With a shared queue, those whose host let their lease lapse.
	where := []any{"state_dir", opts.StateDir}
	if opts.Queue != "" {
		where = []any{"queue", redactURL(opts.Queue)}
	}
	n, err := e.inv.Recover(ctx)
	if err != nil {
		e.logger.Error("Event queue: some accepted invocations cannot be read", append(where, "error", err)...)
	}
	if n > 0 {
		e.logger.Info("Event invocations recovered", append(where, "count", n)...)
	}
	return e, nil
}

// compileCacheDir is wazero's compilation cache, for the template's
// functions and uploaded ones alike: content-addressed and per host, in
// the cache folder, so that a restart (or another state folder) compiles
// nothing it compiled before.
func compileCacheDir(opts Options) string {
	return filepath.Join(opts.CacheDir, "wazero")
}

// withDefaults fills in what opts leaves unset.
func (opts Options) withDefaults() Options {
	if opts.Template == "" {
		opts.Template = sam.FindTemplate(".")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if opts.FunctionLog == nil {
		opts.FunctionLog = os.Stderr
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = functions.DefaultMaxConcurrency
	}
	if opts.MaxProcesses <= 0 {
		opts.MaxProcesses = procpool.DefaultMaxProcesses
	}
	opts.CacheDir = build.DefaultCacheDir(opts.CacheDir)
	return opts
}

// loadFunctions reads the template (with --env-vars) and picks the
// functions to load: all, or opts.Only.
func loadFunctions(opts Options) (*sam.Template, []*sam.FunctionSpec, error) {
	topts := sam.TemplateOptions{Parameters: opts.Parameters}
	if opts.EnvVars != "" {
		ev, err := sam.LoadEnvVars(opts.EnvVars)
		if err != nil {
			return nil, nil, err
		}
		topts.EnvVars = ev
	}
	tmpl, err := sam.LoadTemplate(opts.Template, topts)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range tmpl.Warnings {
		opts.Logger.Warn("template", "template", opts.Template, "warning", w)
	}
	if len(tmpl.NotEmulated) > 0 {
		opts.Logger.Warn("what the template asks for that fresco does not emulate locally (one line each)", "count", len(tmpl.NotEmulated))
		for _, n := range tmpl.NotEmulated {
			opts.Logger.Warn("not emulated", "function", n.Function, "feature", n.Feature, "instead", n.Instead)
		}
	}
	fns, err := tmpl.Select(opts.Only)
	if err != nil {
		return nil, nil, err
	}
	if len(fns) == 0 {
		return nil, nil, fmt.Errorf("template %s declares no AWS::Serverless::Function", opts.Template)
	}
	return tmpl, fns, nil
}

// lockedWriter writes each block to the function log in one piece.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// writeFunctionLog writes to the function log, one block at a time.
func (e *Emulator) writeFunctionLog(b []byte) { e.log.Write(b) }

// Functions lists the loaded functions' logical ids, sorted.
func (e *Emulator) Functions() []string {
	var ids []string
	for _, f := range e.fns {
		ids = append(ids, f.LogicalID)
	}
	sort.Strings(ids)
	return ids
}

// Invoker returns the invoker of the loaded functions.
func (e *Emulator) Invoker() *functions.Invoker { return e.inv }

// Host is the wasm host of the loaded functions: its reset mechanism, its
// ready-memory budget and memory pool, read by the server's metrics.
func (e *Emulator) Host() *wasmhost.Host { return e.host }

// Loaded lists the Runners loaded now (wasm functions, process pools),
// each with its function's name.
func (e *Emulator) Loaded() []functions.Loaded { return e.reg.Loaded() }

// EventQueue counts the Event invocations this host holds, claimed and
// lost (see functions.QueueStats).
func (e *Emulator) EventQueue() functions.QueueStats { return e.inv.QueueStats() }

// Function resolves a function by logical id or name, $LATEST, for an
// invocation through the core.
func (e *Emulator) Function(name string) (*functions.Handle, error) {
	return e.inv.Lookup(context.Background(), name, "")
}

// Close waits for asynchronous invocations to finish, then releases the
// compiled functions and stops every runtime process.
func (e *Emulator) Close(ctx context.Context) error {
	if err := e.inv.Close(ctx); err != nil {
		return err
	}
	e.mgr.wait()
	return errors.Join(e.reg.Close(), e.host.Close(context.Background()), e.closeStore())
}

// openRegistry opens the registry's store: in opts.StateDir when set (a
// bbolt file, registry.db, with uploaded code beside it in code/, kept
// across runs; the template's functions from an earlier run are dropped,
// as the template seeds them again), else in memory, with uploads in a
// temporary folder.
func openRegistry(ctx context.Context, opts Options) (functions.Store, string, func() error, error) {
	if opts.StateDir == "" {
		dir, err := os.MkdirTemp("", "fresco-code-")
		if err != nil {
			return nil, "", nil, fmt.Errorf("open registry: %w", err)
		}
		return functions.NewMemStore(), dir, func() error { return os.RemoveAll(dir) }, nil
	}
	s, err := boltstore.Open(filepath.Join(opts.StateDir, "registry.db"))
	if errors.Is(err, boltstore.ErrLocked) {
		return nil, "", nil, fmt.Errorf("%w: another fresco serves this template; give this one its own --state-dir", err)
	}
	if err != nil {
		return nil, "", nil, err
	}
	if err := s.DeleteUnmanaged(ctx); err != nil {
		s.Close()
		return nil, "", nil, fmt.Errorf("open registry: %w", err)
	}
	return s, filepath.Join(opts.StateDir, "code"), s.Close, nil
}

// redactURL is raw with its password, if any, as xxxxx: for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}

// openQueue opens the shared Event queue of opts.Queue, or the durable one
// in opts.StateDir, or returns an in-memory one when there is neither.
func openQueue(ctx context.Context, opts Options) (functions.Queue, error) {
	if opts.Queue != "" {
		q, err := redisqueue.Open(ctx, opts.Queue, redisqueue.Options{Lease: opts.QueueLease})
		if err != nil {
			return nil, err
		}
		attrs := []any{"addr", q.Addr(), "owner", q.Owner(), "lease", q.Lease().String()}
		switch p, everyWrite, err := q.Persistence(ctx); {
		case err != nil:
			opts.Logger.Info("Event queue shared on Redis", append(attrs, "persistence", "unknown: "+err.Error())...)
		case !everyWrite:
			opts.Logger.Warn("Event queue shared on Redis, which does not keep every accepted invocation across its own restart: give it appendonly yes", append(attrs, "persistence", p)...)
		default:
			opts.Logger.Info("Event queue shared on Redis", append(attrs, "persistence", p)...)
		}
		return q, nil
	}
	if opts.StateDir == "" {
		return functions.NewMemQueue(), nil
	}
	q, err := boltqueue.Open(filepath.Join(opts.StateDir, "events.db"))
	if errors.Is(err, boltqueue.ErrLocked) {
		return nil, fmt.Errorf("%w: another fresco serves this template; give this one its own --state-dir", err)
	}
	return q, err
}
