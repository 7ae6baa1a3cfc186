package procpool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/runtimeapi"
)

// processInitTimeout is Lambda's limit on a runtime's init phase: from the
// spawn to its first next.
const processInitTimeout = 10 * time.Second

// errProcessExited is the cause of an invocation's context being cancelled
// because its process exited.
var errProcessExited = errors.New("runtime process exited")

// errNotStarted refuses a Runtime API connection of a process that failed
// to start.
var errNotStarted = errors.New("runtime process not started")

// process is one running bootstrap. It has its own Runtime API, a
// RuntimeQueue served on its own loopback listener, so whoever gives it an
// invocation knows which process holds it, and can kill exactly that one
// when the invocation times out.
type process struct {
	cmd     *exec.Cmd
	pid     int
	api     string   // its Runtime API's address
	sweeper *sweeper // which sweeps its family if fresco is killed
	queue   *Queue
	server  *http.Server
	fam     *family // the process, its descendants and their orphans
	out     *processOutput
	spawned time.Time

	ready     chan struct{} // closed at its first next
	readyOnce sync.Once
	readyAt   time.Time // written before ready is closed

	initFailed chan struct{} // closed when it posts init/error
	initOnce   sync.Once

	// exited is done once the process has exited; exitErr (cmd.Wait's
	// error) is written before.
	exited  context.Context
	exitErr error

	closeOnce sync.Once

	// taken counts the invocations it took with next.
	taken atomic.Int64

	// served counts the invocations it was given; only the invoker that
	// holds the process touches it.
	served int
}

// processRuntime is the process's queue as its Runtime API sees it, noting
// the first next (the end of init) and init errors.
type processRuntime struct {
	*Queue
	p *process
}

func (rt processRuntime) Next(ctx context.Context) (*invoke.Request, error) {
	rt.p.readyOnce.Do(func() {
		rt.p.readyAt = time.Now()
		close(rt.p.ready)
	})
	req, err := rt.Queue.Next(ctx)
	if err == nil {
		// Before the answer is written: the process cannot have acted on
		// the invocation yet.
		rt.p.taken.Add(1)
	}
	return req, err
}

func (rt processRuntime) InitFail(errType string, body []byte) error {
	err := rt.Queue.InitFail(errType, body)
	rt.p.initOnce.Do(func() { close(rt.p.initFailed) })
	return err
}

// startProcess spawns one bootstrap of pool, with its Runtime API listening
// on a free loopback port.
func startProcess(pool *Pool) (*process, error) {
	if err := becomeSubreaper(); err != nil {
		pool.logger.Warn("cannot become a child subreaper: orphans of runtime processes may outlive them", "error", err.Error())
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API listener: %w", err)
	}
	ln := &peerListener{Listener: tcp, logger: pool.logger, started: make(chan struct{})}
	p := &process{
		queue:      NewQueue(pool.arn, pool.cfg.Timeout),
		ready:      make(chan struct{}),
		initFailed: make(chan struct{}),
	}
	var api http.Handler = runtimeapi.NewHandler(processRuntime{p.queue, p}, pool.apiLogger)
	if pool.cfg.Middleware != nil {
		api = pool.cfg.Middleware(api)
	}
	p.server = &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go p.server.Serve(ln)

	r, w, err := os.Pipe()
	if err != nil {
		close(ln.started)
		p.server.Close()
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	p.api = ln.Addr().String()
	newCmd := func() *exec.Cmd {
		cmd := exec.Command(pool.bin)
		cmd.Dir = pool.dir
		cmd.Env = append(pool.env[:len(pool.env):len(pool.env)], "AWS_LAMBDA_RUNTIME_API="+p.api)
		cmd.Stdout = w
		cmd.Stderr = w
		setProcessGroup(cmd)
		return cmd
	}
	// Before the start: from then on, a kill -9 of fresco does not leave
	// the family behind.
	p.sweeper = sweeperFor(pool.logger)
	p.sweeper.watch(p.api)
	cmd := newCmd()
	inCgroup := p.sweeper.place(cmd)
	p.spawned = time.Now()
	err = cmd.Start()
	if err != nil && inCgroup {
		// The cgroup may be what failed (clone3 refused): try without.
		cmd = newCmd()
		p.spawned = time.Now()
		err2 := cmd.Start()
		if err2 == nil {
			p.sweeper.cgroupFailed(err)
		}
		err = err2
	}
	w.Close() // the process has its own copy
	if err != nil {
		close(ln.started)
		r.Close()
		p.sweeper.forget(p.api)
		p.server.Close()
		return nil, err
	}
	p.cmd = cmd
	p.pid = cmd.Process.Pid
	// Not yet reaped: cmd.Wait runs below.
	p.fam = newFamily(p.pid, tcp.Addr().String())
	ln.fam = p.fam
	close(ln.started)
	p.out = newProcessOutput(r)
	exited, markExited := context.WithCancelCause(context.Background())
	p.exited = exited
	go func() {
		p.exitErr = cmd.Wait()
		markExited(errProcessExited)
	}()
	return p, nil
}

// hasExited tells whether the process has exited.
func (p *process) hasExited() bool { return p.exited.Err() != nil }

// awaitInit waits for the end of a new process's init phase: nil once it
// asks for its first invocation; otherwise the result of the invocation
// that started it: the init error it posted, Runtime.ExitError if it
// exited, Sandbox.Timedout after processInitTimeout.
func (p *process) awaitInit(requestID string) *invoke.Result {
	t := time.NewTimer(processInitTimeout)
	defer t.Stop()
	select {
	case <-p.ready:
		return nil
	case <-p.initFailed:
	case <-p.exited.Done():
	case <-t.C:
		return invoke.ErrorResult(invoke.Timeout, invoke.ErrTimeout,
			fmt.Sprintf("RequestId: %s Error: Init timed out after %.2f seconds", requestID, processInitTimeout.Seconds()))
	}
	if res := p.queue.TakeInitError(); res != nil {
		return res
	}
	<-p.exited.Done() // initFailed is closed before the error is kept
	return p.exitResult(requestID)
}

// exitResult is Runtime.ExitError for an exited process, worded as Lambda
// words it.
func (p *process) exitResult(requestID string) *invoke.Result {
	if p.exitErr == nil {
		return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
			fmt.Sprintf("RequestId: %s Error: Runtime exited without providing a reason", requestID))
	}
	// *exec.ExitError says "exit status 3" or "signal: killed", as Lambda.
	return invoke.ErrorResult(invoke.Crash, invoke.ErrExit,
		fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", requestID, p.exitErr))
}

// kill kills the process, its process group and the rest of its family
// (descendants in sessions or groups of their own, and their orphans),
// and waits for the process to have exited.
// before lists members seen earlier (see family.kill).
func (p *process) kill(before []int) {
	before = append(before, p.fam.members()...)
	killProcessGroup(p.cmd)
	p.fam.kill(before)
	<-p.exited.Done()
}

// terminate asks the process and its family to stop (SIGTERM) and waits,
// for at most grace, for the process to exit. It tells whether it did.
func (p *process) terminate(grace time.Duration) bool {
	if err := signalProcessGroup(p.cmd, syscall.SIGTERM); err != nil {
		return p.hasExited()
	}
	p.fam.signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited.Done():
		return true
	case <-t.C:
		return false
	}
}

// close kills the process and its family, stops its Runtime API and its
// output reader. It is safe to call more than once, and concurrently.
func (p *process) close() { p.stop(0) }

// stop is close, but with grace > 0 the process is first given SIGTERM and
// up to grace to exit (as on Lambda's shutdown) before what is left of its
// family is killed.
func (p *process) stop(grace time.Duration) {
	p.closeOnce.Do(func() {
		var before []int
		if grace > 0 {
			// Members that die of SIGTERM after their parent are fresco's
			// zombies then, which only this list can name.
			before = p.fam.members()
			p.terminate(grace)
		}
		p.kill(before)
		// Before the address is released, and may be another's.
		p.sweeper.forget(p.api)
		p.server.Close()
		p.out.wait(100 * time.Millisecond)
		p.out.close()
	})
}
