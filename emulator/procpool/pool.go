package procpool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// DefaultMaxProcesses is how many runtime processes a process function
// may have at once when it sets no ReservedConcurrentExecutions
// (Options.MaxProcesses, fresco start --max-processes).
const DefaultMaxProcesses = 16

// DefaultShutdownGrace is how long a process has to exit after SIGTERM
// when its pool is closed, before it is killed: Lambda's shutdown phase
// for a runtime with an internal extension (500 ms; 2 s with an external
// one; a runtime alone is killed at once).
const DefaultShutdownGrace = 500 * time.Millisecond

// errPoolClosed is what an invocation gets from a pool closed by a
// rebuild or by Emulator.Close.
var errPoolClosed = errors.New("function is shutting down")

// Config describes the function a Pool runs.
type Config struct {
	// ID names the function in logs (the template's logical id).
	ID string
	// Name, Runtime, Handler, MemoryMB, Timeout and Env are the function's
	// configuration; Region and ARN where it runs.
	Name, Runtime, Handler string
	MemoryMB               int
	Timeout                time.Duration
	Env                    map[string]string
	Region, ARN            string
	// Bootstrap is the executable; Dir its working directory and
	// LAMBDA_TASK_ROOT.
	Bootstrap, Dir string
	// MaxProcesses bounds the processes alive at once (default
	// DefaultMaxProcesses).
	MaxProcesses int
	// ShutdownGrace is how long Close lets a process run after SIGTERM
	// before killing it (default DefaultShutdownGrace; negative: none).
	// A timed-out process is killed at once, as on Lambda.
	ShutdownGrace time.Duration
	// Logger receives the pool's own logs.
	Logger *slog.Logger
	// Middleware, if not nil, wraps every process's Runtime API handler
	// (the server's request metrics).
	Middleware func(http.Handler) http.Handler
	// Output receives what a process writes between invocations and after
	// its last one, which belongs to no invocation's log.
	Output func([]byte)
}

// Pool runs one process function (FrescoMode native, or a bootstrap): a
// pool of runtime processes, each serving one invocation at a time. It is
// a functions.Runner.
//
// Processes are started on demand, up to max, and kept while they live:
// an invocation takes an idle process (warm, as on Lambda) or, when none
// is idle and the pool is below max, starts one; otherwise it waits for a
// process to become free. A process that times out, exits or fails its init
// is killed and its slot freed, so the next invocation gets a fresh one.
type Pool struct {
	cfg       Config
	arn       string
	bin       string   // the bootstrap executable
	dir       string   // its working directory and LAMBDA_TASK_ROOT
	env       []string // without AWS_LAMBDA_RUNTIME_API
	logger    *slog.Logger
	apiLogger *slog.Logger // the processes' Runtime API requests
	// output receives what a process writes between invocations and after
	// its last one, which belongs to no invocation's log.
	output func([]byte)

	slots chan struct{} // a token per process alive or starting; cap max
	idle  chan *process // cap max, so a release never blocks
	done  chan struct{} // closed by close

	mu     sync.Mutex
	all    map[*process]struct{}
	closed bool

	started atomic.Int64 // processes started, for tests and logs
}

// Stats reports the pool's processes: alive or starting, idle (waiting for
// an invocation), the most it runs, and how many it started so far.
func (p *Pool) Stats() (alive, idle, max int, started int64) {
	return len(p.slots), len(p.idle), cap(p.slots), p.started.Load()
}

// New returns the pool of cfg; its processes start on demand.
func New(cfg Config) *Pool {
	if cfg.MaxProcesses <= 0 {
		cfg.MaxProcesses = DefaultMaxProcesses
	}
	if cfg.ShutdownGrace == 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Output == nil {
		cfg.Output = func([]byte) {}
	}
	max := cfg.MaxProcesses
	return &Pool{
		cfg:       cfg,
		arn:       cfg.ARN,
		bin:       cfg.Bootstrap,
		dir:       cfg.Dir,
		env:       processEnv(cfg, filepath.Dir(cfg.Bootstrap)),
		logger:    cfg.Logger.With("function", cfg.ID),
		apiLogger: slog.New(demoteInfo{cfg.Logger.Handler()}).With("runtime_api", cfg.ID),
		output:    cfg.Output,
		slots:     make(chan struct{}, max),
		idle:      make(chan *process, max),
		done:      make(chan struct{}),
		all:       map[*process]struct{}{},
	}
}

// Invoke runs one invocation on a process of the pool. The result's Log is
// the process's output while it held the invocation (and its init output
// for its first); Duration runs from the hand-over of the invocation to
// the answer, InitDuration (first invocation of a process only) from the
// spawn to its first next.
func (pl *Pool) Invoke(ctx context.Context, req *invoke.Request) *invoke.Result {
	for {
		p, fresh, err := pl.acquire()
		if errors.Is(err, errPoolClosed) {
			return invoke.ErrorResult(invoke.Crash, invoke.ErrCanceled,
				fmt.Sprintf("RequestId: %s Error: %v", req.RequestID, err))
		}
		if err != nil {
			// Lambda's type for a bootstrap it cannot run.
			return invoke.ErrorResult(invoke.Crash, "Runtime.InvalidEntrypoint",
				fmt.Sprintf("RequestId: %s Error: %v", req.RequestID, err))
		}
		if res := pl.invokeOn(ctx, p, fresh, req); res != nil {
			return res
		}
		// A warm process exited before it took the invocation (aws-lambda-go
		// exits after reporting a panic, a moment after its answer): the
		// invocation never started, so it goes to another process.
	}
}

// invokeOn runs req on p, which the caller acquired, and releases or
// discards p. It returns nil when p was warm and exited before taking req.
func (pl *Pool) invokeOn(ctx context.Context, p *process, fresh bool, req *invoke.Request) *invoke.Result {
	var initDuration time.Duration
	if fresh {
		if res := p.awaitInit(req.RequestID); res != nil {
			res.InitDuration = time.Since(p.spawned)
			res.MaxMemoryBytes = p.peakMemory()
			pl.discard(p, "init failed", res.ErrorType)
			res.Log = p.out.take()
			return res
		}
		initDuration = p.readyAt.Sub(p.spawned)
	} else if idle := p.out.take(); len(idle) > 0 {
		pl.output(idle)
	}
	p.served++

	r := *req
	if r.Deadline.IsZero() {
		// The handler's time starts now, after init, as on Lambda.
		r.Deadline = time.Now().Add(pl.cfg.Timeout)
	}
	taken := p.taken.Load()
	start := time.Now()
	ictx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(p.exited, func() { cancel(errProcessExited) })
	res, err := p.queue.Invoke(ictx, &r)
	stop()
	cancel(nil)
	exited := p.hasExited()
	switch {
	case err != nil && exited && !fresh && p.taken.Load() == taken:
		p.served--
		pl.discard(p, "exited while idle", "")
		if out := p.out.take(); len(out) > 0 {
			pl.output(out)
		}
		return nil
	case err != nil && exited:
		res = p.exitResult(req.RequestID)
		res.Duration = time.Since(start)
	case err != nil:
		res = invoke.ErrorResult(invoke.Crash, invoke.ErrCanceled,
			fmt.Sprintf("RequestId: %s Error: invocation canceled: %v", req.RequestID, err))
		res.Duration = time.Since(start)
	}
	res.InitDuration = initDuration
	res.MaxMemoryBytes = p.peakMemory()

	switch {
	case exited || err != nil:
		pl.discard(p, "exited during an invocation", res.ErrorType)
	case res.Kind == invoke.Timeout:
		pl.discard(p, "timed out", res.ErrorType)
	default:
		p.out.settle(20 * time.Millisecond)
		res.Log = p.out.take()
		pl.release(p)
		return res
	}
	res.Log = p.out.take()
	return res
}

// acquire returns an idle process, or a new one (fresh) when the pool has
// room, or waits for either.
func (pl *Pool) acquire() (p *process, fresh bool, err error) {
	for {
		select {
		case p := <-pl.idle:
			if pl.usable(p) {
				return p, false, nil
			}
			continue
		default:
		}
		select {
		case p := <-pl.idle:
			if pl.usable(p) {
				return p, false, nil
			}
		case pl.slots <- struct{}{}:
			p, err := pl.start()
			if err != nil {
				<-pl.slots
				return nil, false, err
			}
			return p, true, nil
		case <-pl.done:
			return nil, false, errPoolClosed
		}
	}
}

// usable tells whether an idle process may take an invocation, discarding
// it when it exited while idle.
func (pl *Pool) usable(p *process) bool {
	if !p.hasExited() {
		return true
	}
	if out := p.out.take(); len(out) > 0 {
		pl.output(out)
	}
	pl.discard(p, "exited while idle", "")
	return false
}

// start spawns a process and registers it.
func (pl *Pool) start() (*process, error) {
	pl.mu.Lock()
	closed := pl.closed
	pl.mu.Unlock()
	if closed {
		return nil, errPoolClosed
	}
	p, err := startProcess(pl)
	if err != nil {
		pl.logger.Error("runtime process failed to start", "bootstrap", pl.bin, "error", err.Error())
		return nil, fmt.Errorf("start %s: %w", pl.bin, err)
	}
	pl.mu.Lock()
	if pl.closed {
		pl.mu.Unlock()
		p.close()
		return nil, errPoolClosed
	}
	pl.all[p] = struct{}{}
	pl.mu.Unlock()
	pl.started.Add(1)
	pl.logger.Info("runtime process started", "pid", p.pid, "bootstrap", pl.bin)
	return p, nil
}

// release makes p idle again, or closes it if the pool was closed.
func (pl *Pool) release(p *process) {
	pl.mu.Lock()
	if !pl.closed {
		pl.idle <- p
		pl.mu.Unlock()
		return
	}
	pl.mu.Unlock()
	pl.discard(p, "pool closed", "")
}

// discard kills p, waits for its output and frees its slot.
func (pl *Pool) discard(p *process, why, errType string) {
	p.close()
	pl.mu.Lock()
	delete(pl.all, p)
	pl.mu.Unlock()
	<-pl.slots
	attrs := []any{"pid", p.pid, "reason", why, "invocations", p.served}
	if p.exitErr != nil {
		attrs = append(attrs, "exit", p.exitErr.Error())
	}
	if errType != "" {
		attrs = append(attrs, "error_type", errType)
	}
	pl.logger.Info("runtime process discarded", attrs...)
}

// Close stops every process of the pool, idle or busy: SIGTERM, then,
// after ShutdownGrace, SIGKILL to what is left of it and its family.
// Invocations still running on one end with Runtime.ExitError, and later
// ones get an error. It returns when every process has exited.
func (pl *Pool) Close(context.Context) error {
	pl.mu.Lock()
	if pl.closed {
		pl.mu.Unlock()
		return nil
	}
	pl.closed = true
	close(pl.done)
	procs := make([]*process, 0, len(pl.all))
	for p := range pl.all {
		procs = append(procs, p)
	}
	pl.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { p.stop(pl.cfg.ShutdownGrace) })
	}
	wg.Wait()
	// Idle ones are gone; let their leftover output reach the log.
	for {
		select {
		case p := <-pl.idle:
			if out := p.out.take(); len(out) > 0 {
				pl.output(out)
			}
			pl.discard(p, "shutdown", "")
			continue
		default:
		}
		return nil
	}
}

// demoteInfo logs Info records at Debug: every Runtime API request would
// otherwise double the server log of a process function.
type demoteInfo struct{ slog.Handler }

func (h demoteInfo) level(l slog.Level) slog.Level {
	if l == slog.LevelInfo {
		return slog.LevelDebug
	}
	return l
}

func (h demoteInfo) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, h.level(l))
}

func (h demoteInfo) Handle(ctx context.Context, r slog.Record) error {
	r.Level = h.level(r.Level)
	return h.Handler.Handle(ctx, r)
}

func (h demoteInfo) WithAttrs(attrs []slog.Attr) slog.Handler {
	return demoteInfo{h.Handler.WithAttrs(attrs)}
}

func (h demoteInfo) WithGroup(name string) slog.Handler {
	return demoteInfo{h.Handler.WithGroup(name)}
}
