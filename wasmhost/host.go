package wasmhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/lambdaenv"
	"github.com/frescolabs/fresco/wasmhost/imports/cache"
	"github.com/frescolabs/fresco/wasmhost/imports/fresco"
	httpimport "github.com/frescolabs/fresco/wasmhost/imports/http"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Config configures a Host.
type Config struct {
	// CacheDir holds wazero's compilation cache, so that a restart does not
	// recompile. Empty means compile in memory only.
	CacheDir string
	// InitConcurrency bounds how many instances are in their init phase
	// (instantiation plus the guest's one-time init) at once, across all
	// functions; the rest queue. Default: 2 × GOMAXPROCS. See RATIONALE.md.
	InitConcurrency int
	// NoSnapshots runs every invocation in a fresh instance that runs the
	// guest's init, even for guests that allow a pre-initialised snapshot.
	NoSnapshots bool
	// VerifyResets checks, after every reset of a snapshot instance, that
	// it is byte for byte at the image (memory, its size, globals), and
	// panics if not. A debugging aid: it doubles the cost of a reset.
	VerifyResets bool
	// ReadyMemoryMB bounds the memory the ready instances of all functions
	// hold (their images), in MB; an instance reset past it is discarded.
	// Default: a quarter of the machine's memory, at most 4096.
	ReadyMemoryMB int
	// FullResets resets instances by copying the whole image even where
	// the kernel tracks the pages a guest writes (reset.go): for tests of
	// the fallback and for comparisons.
	FullResets bool
	// Logger receives the host's warnings (nil: discarded).
	Logger *slog.Logger

	// Cache is the store of the cache calls (docs/abi.md, "Cache"): empty
	// for the embedded cache of CacheMB, or redis://HOST:PORT/DB for a
	// Redis server many hosts share.
	Cache string
	// CacheMB bounds the embedded cache (default 64).
	CacheMB int
	// HTTP configures the guests' outbound HTTP (the fresco_http module):
	// the pooled client all functions share, the server-wide allow-list,
	// the host's AWS credentials, direct invocations.
	HTTP httpimport.Config
}

// Host loads functions. It is safe for concurrent use.
type Host struct {
	compiled wazero.CompilationCache
	// compiling serialises compiles of the same module bytes: wazero's
	// file cache is not safe for concurrent compiles of one module (wazero
	// issue 2547, see RATIONALE.md). Different modules compile in parallel.
	compilingMu sync.Mutex
	compiling   map[[32]byte]*sync.Mutex
	// initSlots admits instances to their init phase.
	initSlots chan struct{}
	// memory backs instances' linear memory (nil: wazero's default).
	memory experimental.MemoryAllocator

	noSnapshots, verifyResets bool
	// dirty: resets copy only written pages (reset.go); resetDesc says
	// which mechanism and, for a full copy, why.
	dirty     bool
	resetDesc string
	logger    *slog.Logger
	// initTimeout bounds a guest's init: InitTimeout, shorter in tests.
	initTimeout time.Duration
	// ready bounds the ready instances' memory (Config.ReadyMemoryMB).
	ready *readyBudget
	// procs is GOMAXPROCS at New: the invocations that can run at once.
	procs int
	// cache is the store of the cache calls, shared by every function
	// (each in its own namespace).
	cache cache.Cache
	// http is the guests' pooled HTTP client.
	http *httpimport.Client
}

// New returns a Host.
func New(cfg Config) (*Host, error) {
	if cfg.InitConcurrency <= 0 {
		cfg.InitConcurrency = 2 * runtime.GOMAXPROCS(0)
	}
	dirty, desc := resetMechanism(cfg)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Host{
		initSlots: make(chan struct{}, cfg.InitConcurrency),
		compiling: map[[32]byte]*sync.Mutex{},
		// Keep enough free memories for every core's instance in init and
		// handler at once; the rest are unmapped. Huge pages only help a
		// full copy: write protection splits them at the first write.
		memory:       newMemoryAllocator(4*runtime.GOMAXPROCS(0), !dirty),
		noSnapshots:  cfg.NoSnapshots,
		verifyResets: cfg.VerifyResets,
		dirty:        dirty,
		resetDesc:    desc,
		logger:       logger,
		initTimeout:  InitTimeout,
		procs:        runtime.GOMAXPROCS(0),
		ready:        &readyBudget{limit: int64(cfg.ReadyMemoryMB) << 20},
	}
	if cfg.ReadyMemoryMB <= 0 {
		h.ready.limit = defaultReadyMemory()
	}
	store, err := cache.Open(cfg.Cache, cfg.CacheMB)
	if err != nil {
		return nil, err
	}
	h.cache = store
	client, err := httpimport.NewClient(cfg.HTTP)
	if err != nil {
		return nil, err
	}
	h.http = client
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("open compilation cache %s: %w", cfg.CacheDir, err)
		}
		h.compiled = c
	} else {
		h.compiled = wazero.NewCompilationCache()
	}
	return h, nil
}

// ReadyMemory reports the budget of the ready instances' memory, in
// bytes, and how much of it they hold now.
func (h *Host) ReadyMemory() (limit, used int64) { return h.ready.limit, h.ready.used.Load() }

// MemoryPool reports the linear memories the host keeps free for the next
// instances (mappings, on Linux and the BSDs) and the bytes of address
// space they reserve; zero where wazero's own allocator is used.
func (h *Host) MemoryPool() (free int, reserved int64) {
	if p, ok := h.memory.(interface{ stats() (int, int64) }); ok {
		return p.stats()
	}
	return 0, 0
}

// giveBackMemory returns to the operating system what idle functions no
// longer hold: the pool's free linear memories and the Go heap's free
// pages.
func (h *Host) giveBackMemory() {
	if p, ok := h.memory.(interface{ release() }); ok {
		p.release()
	}
	debug.FreeOSMemory()
}

// Close releases the compilation cache, the cache calls' store and the
// idle connections of the guests' HTTP client. Functions must be closed
// first.
func (h *Host) Close(ctx context.Context) error {
	h.http.Close()
	return errors.Join(h.compiled.Close(ctx), h.cache.Close())
}

// CacheStore describes the store of the cache calls, for the log.
func (h *Host) CacheStore() string { return h.cache.String() }

// FunctionConfig describes a function to load.
type FunctionConfig struct {
	// Name is the function's name: errors and AWS_LAMBDA_FUNCTION_NAME.
	Name    string
	Version string // default "$LATEST"
	// MemoryMB caps the guest's linear memory (default 128).
	MemoryMB int
	// Timeout bounds init plus handler (default 3s).
	Timeout time.Duration
	// Env holds the function's environment variables; they win over the
	// standard Lambda variables of the same name.
	Env     map[string]string
	Region  string // default us-east-1
	Handler string
	// Runtime names AWS_EXECUTION_ENV (default provided.al2023).
	Runtime string
	// MaxLogBytes bounds the log kept per invocation (default 1 MiB).
	MaxLogBytes int
	// TaskRoot is the directory on the host whose files the guest reads,
	// read-only, at /var/task (LAMBDA_TASK_ROOT): the function's CodeUri.
	// Empty: /var/task is an empty directory.
	TaskRoot string
	// EphemeralStorageMB bounds the guest's /tmp (default 512, as on
	// Lambda); its files count against MemoryMB too.
	EphemeralStorageMB int
	// AllowedHosts, if not nil, are the only hosts the function may send
	// HTTP requests to (patterns as in wasmhost/imports/http.Policy); nil
	// allows any host but the cloud instance-metadata addresses.
	AllowedHosts []string
}

// Interface is how a module is driven: the interface between the host and
// the guest's code (docs/abi.md).
type Interface int

const (
	// InterfaceABI modules export fresco_handle (docs/abi.md).
	InterfaceABI Interface = iota
	// InterfaceStdio modules are WASI commands: event on stdin, response on
	// stdout.
	InterfaceStdio
)

// String is the interface's name in logs: "abi" or "stdio".
func (i Interface) String() string {
	if i == InterfaceStdio {
		return "stdio"
	}
	return "abi"
}

// initType is how a function's instances are initialised, as Lambda names
// it in AWS_LAMBDA_INITIALIZATION_TYPE.
type initType string

const (
	// initOnDemand: every invocation's instance runs the guest's init.
	initOnDemand initType = "on-demand"
	// initSnapStart: instances start from the image of one init, taken at
	// load (snapshot.go).
	initSnapStart initType = "snap-start"
)

// LoadError is returned by Load for a module that cannot serve as the
// function.
type LoadError struct {
	Function string
	Reason   string
	Err      error
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("load function %s: %s", e.Function, e.Reason)
}

func (e *LoadError) Unwrap() error { return e.Err }

// Snapshot reports whether invocations start from a pre-initialised image,
// and if not, why (for the log).
func (f *Module) Snapshot() (on bool, reason string) {
	if f.snapErr == nil {
		return f.snap != nil, ""
	}
	return f.snap != nil, f.snapErr.Error()
}

// SnapshotInit returns the output of the snapshot's init and how long it
// took; empty without a snapshot.
func (f *Module) SnapshotInit() (log []byte, took time.Duration) {
	if f.snap == nil {
		return nil, 0
	}
	return f.snap.initLog, f.snap.initDuration
}

// SnapshotStats counts instances made from the image, invocations served by
// a reset instance, and instances discarded.
func (f *Module) SnapshotStats() (made, reused, discarded int64) {
	if f.snap == nil {
		return 0, 0, 0
	}
	return f.snap.made.Load(), f.snap.reused.Load(), f.snap.discarded.Load()
}

// lockModule takes the compile lock of one module's bytes.
func (h *Host) lockModule(wasm []byte) (unlock func()) {
	key := sha256.Sum256(wasm)
	h.compilingMu.Lock()
	mu, ok := h.compiling[key]
	if !ok {
		mu = &sync.Mutex{}
		h.compiling[key] = mu
	}
	h.compilingMu.Unlock()
	mu.Lock()
	return mu.Unlock
}

func withDefaults(cfg FunctionConfig) FunctionConfig {
	if cfg.Version == "" {
		cfg.Version = "$LATEST"
	}
	if cfg.MemoryMB == 0 {
		cfg.MemoryMB = 128
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.MaxLogBytes == 0 {
		cfg.MaxLogBytes = 1 << 20
	}
	if cfg.EphemeralStorageMB == 0 {
		cfg.EphemeralStorageMB = 512
	}
	return cfg
}

func sameSignature(a, b api.FunctionDefinition) bool {
	return slices.Equal(a.ParamTypes(), b.ParamTypes()) && slices.Equal(a.ResultTypes(), b.ResultTypes())
}

func signature(def api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(s, ", ") + ")"
	}
	return names(def.ParamTypes()) + " -> " + names(def.ResultTypes())
}

// lambdaEnv is the guest's environment: the standard Lambda variables
// (internal/lambdaenv, the table process functions get too) at the paths a
// Lambda sandbox has, then the function's own, sorted for a deterministic
// environ.
func (h *Host) lambdaEnv(cfg FunctionConfig, init initType) [][2]string {
	std := lambdaenv.Standard(lambdaenv.Function{
		Name:       cfg.Name,
		Version:    cfg.Version,
		Runtime:    cfg.Runtime,
		Handler:    cfg.Handler,
		Region:     cfg.Region,
		MemoryMB:   cfg.MemoryMB,
		InitType:   string(init),
		RuntimeAPI: "127.0.0.1:9001",
		TaskRoot:   "/var/task",
		RuntimeDir: "/var/runtime",
	})
	std["FRESCO_ABI"] = strconv.Itoa(fresco.ABIVersion)
	// Credentials stay in the host: a guest's SDK signs with these
	// placeholders (so it never probes for an instance role), and the host
	// signs again, with its own, what goes to AWS (imports/http).
	for k, v := range PlaceholderCredentials {
		std[k] = v
	}
	if e := h.http.LambdaEndpoint(); e != "" {
		std["AWS_ENDPOINT_URL_LAMBDA"] = e
	}
	return lambdaenv.Merge(std, cfg.Env)
}

// PlaceholderCredentials are the AWS credentials every guest finds in its
// environment: not secrets, only something for its SDK to sign with.
var PlaceholderCredentials = map[string]string{
	"AWS_ACCESS_KEY_ID":     "AKIAFRESCOPLACEHOLDR",
	"AWS_SECRET_ACCESS_KEY": "fresco-placeholder-the-host-signs-aws-requests",
	"AWS_SESSION_TOKEN":     "fresco-placeholder",
}

// errorsAs is errors.As with the target allocated for the caller.
func errorsAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}
