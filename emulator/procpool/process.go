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

// process is one running bootstrap. It has its own Runtime API, a
// RuntimeQueue served on its own loopback listener, so whoever gives it an
// invocation knows which process holds it, and can kill exactly that one
// when the invocation times out.
type process struct {
	cmd     *exec.Cmd
	pid     int
	queue   *Queue
	server  *http.Server
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API listener: %w", err)
	}
	p := &process{
		queue:      NewQueue(pool.arn, pool.cfg.Timeout),
		ready:      make(chan struct{}),
		initFailed: make(chan struct{}),
	}
	p.server = &http.Server{
		Handler:           runtimeapi.NewHandler(processRuntime{p.queue, p}, pool.apiLogger),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go p.server.Serve(ln)

	r, w, err := os.Pipe()
	if err != nil {
		p.server.Close()
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	cmd := exec.Command(pool.bin)
	cmd.Dir = pool.dir
	cmd.Env = append(pool.env[:len(pool.env):len(pool.env)], "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	cmd.Stdout = w
	cmd.Stderr = w
	setProcessGroup(cmd)
	p.spawned = time.Now()
	err = cmd.Start()
	w.Close() // the process has its own copy
	if err != nil {
		r.Close()
		p.server.Close()
		return nil, err
	}
	p.cmd = cmd
	p.pid = cmd.Process.Pid
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

// kill kills the process and its process group, and waits for it to have
// exited.
func (p *process) kill() {
	killProcessGroup(p.cmd)
	<-p.exited.Done()
}

// close kills the process group, stops its Runtime API and its output
// reader. It is safe to call more than once, and concurrently.
func (p *process) close() {
	p.closeOnce.Do(func() {
		p.kill()
		p.server.Close()
		p.out.wait(100 * time.Millisecond)
		p.out.close()
	})
}
