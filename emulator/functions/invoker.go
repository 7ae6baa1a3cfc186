package functions

import (
	"context"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// DefaultMaxConcurrency bounds invocations in flight across all functions:
// Lambda's default account limit.
const DefaultMaxConcurrency = 1000

// InvocationType is how an invocation was asked for.
type InvocationType int

const (
	// RequestResponse: the caller waits for the result.
	RequestResponse InvocationType = iota
	// Event: queued; the caller gets a 202 and the outcome is logged.
	Event
)

func (t InvocationType) String() string {
	if t == Event {
		return "Event"
	}
	return "RequestResponse"
}

// Observation is what an Observer learns of one invocation.
type Observation struct {
	Function string
	// Version is the version that ran.
	Version   string
	Type      InvocationType
	RequestID string
	// Throttled invocations were refused (TooManyRequestsException) and
	// have no Result.
	Throttled bool
	// Result is the invocation's outcome, with its full log.
	Result *invoke.Result
}

// Observer is told of every invocation the Invoker ends or refuses, on the
// invocation's goroutine: it must be quick and must not keep the Result.
type Observer func(Observation)

// InvokerConfig configures an Invoker.
type InvokerConfig struct {
	// MaxConcurrency bounds invocations in flight across all functions
	// (default DefaultMaxConcurrency).
	MaxConcurrency int
	// Logger receives the outcome of Event invocations; nil discards it.
	Logger *slog.Logger
	// FunctionLog receives each invocation's log block (START, the
	// function's output, END, REPORT) in one Write; it must be safe for
	// concurrent use. Nil discards the blocks.
	FunctionLog io.Writer
	// Observers are told of every invocation.
	Observers []Observer
	// Queue keeps accepted Event invocations until they have run (default:
	// a MemQueue, which a crash loses).
	Queue Queue
	// AsyncConcurrency bounds the Event invocations of one function running
	// at once when it has no reserved concurrency (default
	// 4 x GOMAXPROCS); a function with one runs up to it.
	AsyncConcurrency int
	// RetryDelay is the wait before the first retry of a failed Event
	// invocation, doubled for the second (default DefaultRetryDelay).
	RetryDelay time.Duration
}

// Invoker runs invocations of a Registry's functions. It is the one path
// every invocation takes, whichever front door it came through.
type Invoker struct {
	reg       *Registry
	logger    *slog.Logger
	log       io.Writer
	observers []Observer
	inflight  chan struct{}
	async     *dispatcher

	mu       sync.Mutex
	reserved map[string]chan struct{} // by function Name; cap = its reserved concurrency
}

// NewInvoker returns the Invoker of reg's functions.
func NewInvoker(reg *Registry, cfg InvokerConfig) *Invoker {
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = DefaultMaxConcurrency
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.FunctionLog == nil {
		cfg.FunctionLog = io.Discard
	}
	if cfg.Queue == nil {
		cfg.Queue = NewMemQueue()
	}
	if cfg.AsyncConcurrency <= 0 {
		cfg.AsyncConcurrency = 4 * runtime.GOMAXPROCS(0)
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = DefaultRetryDelay
	}
	inv := &Invoker{
		reg:       reg,
		logger:    cfg.Logger,
		log:       cfg.FunctionLog,
		observers: cfg.Observers,
		inflight:  make(chan struct{}, cfg.MaxConcurrency),
		reserved:  map[string]chan struct{}{},
	}
	inv.async = newDispatcher(inv, cfg.Queue, cfg.AsyncConcurrency, cfg.RetryDelay)
	return inv
}

// Lookup resolves name and qualifier (see Registry.Lookup) to a Handle
// that invokes it through inv.
func (inv *Invoker) Lookup(ctx context.Context, name, qualifier string) (*Handle, error) {
	t, err := inv.reg.Lookup(ctx, name, qualifier)
	if err != nil {
		return nil, err
	}
	return &Handle{target: t, inv: inv}, nil
}

// Invoke runs one invocation of t and waits for its result. It is detached
// from ctx's cancellation, as on Lambda: a caller that goes away does not
// stop a running function; its deadline does. A non-nil error is a service
// error (TooManyRequestsException, or code that could not be loaded).
func (inv *Invoker) Invoke(ctx context.Context, t Target, req *invoke.Request) (*invoke.Result, error) {
	release, err := inv.acquire(t, RequestResponse, req)
	if err != nil {
		return nil, err
	}
	defer release()
	return inv.run(context.WithoutCancel(ctx), t, RequestResponse, req)
}

// InvokeAsync accepts an Event invocation of t: once it returns nil, the
// invocation is in the queue (on disk, for a durable Queue) and will run,
// at the function's concurrency, retried on failure as its AsyncConfig
// says; its outcome is logged. A function at its reserved concurrency
// queues Events rather than refusing them, as Lambda does.
func (inv *Invoker) InvokeAsync(t Target, req *invoke.Request) error {
	return inv.async.accept(t, req)
}

// Recover schedules the Events a previous run of fresco accepted and did
// not finish: call it once the registry holds the functions.
func (inv *Invoker) Recover(ctx context.Context) (int, error) { return inv.async.recover(ctx) }

// QueueStats says how many Event invocations this Invoker holds and, with
// a SharedQueue, how many it claimed from other hosts and lost to them.
func (inv *Invoker) QueueStats() QueueStats { return inv.async.stats() }

// Drain stops starting Event invocations, as a server's drain begins:
// those not yet running stay in the Queue (on disk, for a durable one) for
// the next start, or, with a SharedQueue, are released to the other hosts
// at once; Events accepted from now on are queued only; those running go
// on, and Close waits for them.
func (inv *Invoker) Drain() {
	inv.async.halt()
	inv.async.handOver()
}

// Close stops starting Event invocations and waits for those running,
// until ctx is done; the ones still queued stay in the Queue for the next
// start. It closes the Queue.
func (inv *Invoker) Close(ctx context.Context) error { return inv.async.close(ctx) }

// acquire takes a slot of the overall limit and of t's reserved
// concurrency, or refuses with TooManyRequestsException.
func (inv *Invoker) acquire(t Target, typ InvocationType, req *invoke.Request) (release func(), err error) {
	select {
	case inv.inflight <- struct{}{}:
	default:
		inv.observe(Observation{Function: t.Function.Name, Version: t.Version.Version, Type: typ, RequestID: req.RequestID, Throttled: true})
		return nil, invoke.TooManyRequests("Rate Exceeded.")
	}
	reserved := inv.reservedSlots(t.Function)
	if reserved != nil {
		select {
		case reserved <- struct{}{}:
		default:
			<-inv.inflight
			inv.observe(Observation{Function: t.Function.Name, Version: t.Version.Version, Type: typ, RequestID: req.RequestID, Throttled: true})
			return nil, invoke.TooManyRequests("Rate Exceeded. Function %s is at its reserved concurrency (%d).", t.Function.Name, cap(reserved))
		}
	}
	return func() {
		if reserved != nil {
			<-reserved
		}
		<-inv.inflight
	}, nil
}

// noSlots is the semaphore of a function whose reserved concurrency is 0:
// it has no room, so every invocation is throttled.
var noSlots = make(chan struct{})

// reservedSlots is the semaphore of fn's reserved concurrency, nil when it
// has none. A changed limit gets a new semaphore; invocations holding a
// slot of the old one give it back there.
func (inv *Invoker) reservedSlots(fn Function) chan struct{} {
	if fn.ReservedConcurrency == Throttled {
		return noSlots
	}
	if fn.ReservedConcurrency <= 0 {
		return nil
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	s := inv.reserved[fn.Name]
	if s == nil || cap(s) != fn.ReservedConcurrency {
		s = make(chan struct{}, fn.ReservedConcurrency)
		inv.reserved[fn.Name] = s
	}
	return s
}

// run invokes t's code and wraps its log in Lambda's START, END and REPORT
// lines, which it also writes to the function log.
func (inv *Invoker) run(ctx context.Context, t Target, typ InvocationType, req *invoke.Request) (*invoke.Result, error) {
	c, err := inv.reg.acquire(ctx, t)
	if err != nil {
		return nil, err
	}
	res := c.runner.Invoke(ctx, req)
	c.mu.RUnlock()
	res.Log = logBlock(req.RequestID, t.Version.Version, res, t.Version.Config.MemoryMB)
	inv.log.Write(res.Log)
	inv.observe(Observation{Function: t.Function.Name, Version: t.Version.Version, Type: typ, RequestID: req.RequestID, Result: res})
	return res, nil
}

func (inv *Invoker) observe(o Observation) {
	for _, f := range inv.observers {
		f(o)
	}
}

// logBlock is an invocation's log as Lambda writes it: START, the
// function's output, its error when it failed, END and REPORT. It is built
// with appends: it is on every invocation's path.
func logBlock(requestID, version string, res *invoke.Result, memoryMB int) []byte {
	b := make([]byte, 0, len(res.Log)+len(res.Payload)+256)
	b = append(b, "START RequestId: "...)
	b = append(b, requestID...)
	b = append(b, " Version: "...)
	b = append(b, version...)
	b = append(b, '\n')
	b = append(b, res.Log...)
	if len(res.Log) > 0 && res.Log[len(res.Log)-1] != '\n' {
		b = append(b, '\n')
	}
	if res.Kind != invoke.Success {
		// Lambda logs the error of a failed invocation.
		b = append(b, res.Payload...)
		b = append(b, '\n')
	}
	b = append(b, "END RequestId: "...)
	b = append(b, requestID...)
	b = append(b, '\n')
	b = appendReport(b, requestID, res, memoryMB)
	return append(b, '\n')
}

// ReportLine formats Lambda's REPORT line: durations with microsecond
// precision, billed duration rounded up to the millisecond, memory in MB.
func ReportLine(requestID string, res *invoke.Result, memoryMB int) string {
	return string(appendReport(nil, requestID, res, memoryMB))
}

func appendReport(b []byte, requestID string, res *invoke.Result, memoryMB int) []byte {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	billed := int64(math.Ceil(ms(res.Duration)))
	if billed < 1 {
		billed = 1
	}
	usedMB := (res.MaxMemoryBytes + (1<<20 - 1)) >> 20
	b = append(b, "REPORT RequestId: "...)
	b = append(b, requestID...)
	b = append(b, "\tDuration: "...)
	b = strconv.AppendFloat(b, ms(res.Duration), 'f', 3, 64)
	b = append(b, " ms\tBilled Duration: "...)
	b = strconv.AppendInt(b, billed, 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(memoryMB), 10)
	b = append(b, " MB\tMax Memory Used: "...)
	b = strconv.AppendUint(b, usedMB, 10)
	b = append(b, " MB"...)
	if res.InitDuration > 0 {
		b = append(b, "\tInit Duration: "...)
		b = strconv.AppendFloat(b, ms(res.InitDuration), 'f', 3, 64)
		b = append(b, " ms"...)
	}
	if res.RestoreDuration > 0 {
		b = append(b, "\tRestore Duration: "...)
		b = strconv.AppendFloat(b, ms(res.RestoreDuration), 'f', 3, 64)
		b = append(b, " ms"...)
	}
	if res.Kind == invoke.Timeout {
		b = append(b, "\tStatus: timeout"...)
	}
	return b
}

// Handle is a resolved target bound to its Invoker: what the front doors
// invoke (it implements the Invoke API's Function).
type Handle struct {
	target Target
	inv    *Invoker
}

// Target returns the resolved function version.
func (h *Handle) Target() Target { return h.target }

// Name is the FunctionName.
func (h *Handle) Name() string { return h.target.Function.Name }

// ARN is the unqualified function ARN.
func (h *Handle) ARN() string { return h.target.ARN }

// Version is the version that runs (X-Amz-Executed-Version).
func (h *Handle) Version() string { return h.target.Version.Version }

// Invoke runs one invocation synchronously (see Invoker.Invoke).
func (h *Handle) Invoke(ctx context.Context, req *invoke.Request) (*invoke.Result, error) {
	return h.inv.Invoke(ctx, h.target, req)
}

// InvokeAsync queues an Event invocation (see Invoker.InvokeAsync).
func (h *Handle) InvokeAsync(req *invoke.Request) error {
	return h.inv.InvokeAsync(h.target, req)
}

// acquireWait takes a slot of the overall limit and of t's reserved
// concurrency, waiting for them (an Event invocation waits; only a
// synchronous one is refused), until stop is closed.
func (inv *Invoker) acquireWait(t Target, stop <-chan struct{}) (release func(), err error) {
	select {
	case inv.inflight <- struct{}{}:
	case <-stop:
		return nil, errStopped
	}
	reserved := inv.reservedSlots(t.Function)
	if reserved != nil {
		select {
		case reserved <- struct{}{}:
		case <-stop:
			<-inv.inflight
			return nil, errStopped
		}
	}
	return func() {
		if reserved != nil {
			<-reserved
		}
		<-inv.inflight
	}, nil
}
