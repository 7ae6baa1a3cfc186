package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// dispatcher runs accepted Event invocations: each function has a FIFO of
// due events and runs at most its limit of them at once (its reserved
// concurrency, else the AsyncConcurrency), taking the same concurrency
// slots as synchronous invocations but waiting for them instead of
// refusing. Failed runs are retried after a delay as the function's
// AsyncConfig says; every change of an event's state is written to the
// Queue before it takes effect, so a restart finds what is left. With a
// SharedQueue it also keeps the leases of the events it holds and claims
// those other hosts let lapse.
type dispatcher struct {
	inv        *Invoker
	queue      Queue
	shared     SharedQueue // queue, when many hosts share it; else nil
	limit      int
	retryDelay time.Duration
	stop       chan struct{} // closed by halt: no Event starts any more
	stopOnce   sync.Once
	leaseDone  chan struct{} // closed by close: the lease loop ends
	leaseEnded chan struct{} // closed when it has

	mu      sync.Mutex
	fns     map[string]*fnEvents
	timers  map[string]*time.Timer // retries waiting, by event id
	held    map[string]struct{}    // every event scheduled here and not yet done, by id
	closed  bool
	running sync.WaitGroup

	claimed, lost atomic.Int64 // QueueStats'
}

// QueueStats counts the Event invocations a host holds and, with a
// SharedQueue, those it took from other hosts and lost to them.
type QueueStats struct {
	// Held are the accepted or claimed Event invocations this host is to
	// run: waiting, running or waiting for a retry.
	Held int
	// Claimed counts those taken from the shared queue after their lease
	// lapsed (a host that died, or that this host started after).
	Claimed int64
	// Lost counts those held here that another host claimed first.
	Lost int64
}

func (d *dispatcher) stats() QueueStats {
	d.mu.Lock()
	held := len(d.held)
	d.mu.Unlock()
	return QueueStats{Held: held, Claimed: d.claimed.Load(), Lost: d.lost.Load()}
}

// fnEvents are one function's due events and how many of them run.
type fnEvents struct {
	due    []QueuedEvent
	active int
}

func newDispatcher(inv *Invoker, q Queue, limit int, retryDelay time.Duration) *dispatcher {
	d := &dispatcher{
		inv: inv, queue: q, limit: limit, retryDelay: retryDelay,
		stop:       make(chan struct{}),
		leaseDone:  make(chan struct{}),
		leaseEnded: make(chan struct{}),
		fns:        map[string]*fnEvents{},
		timers:     map[string]*time.Timer{},
		held:       map[string]struct{}{},
	}
	if sq, ok := q.(SharedQueue); ok {
		d.shared = sq
		go d.leaseLoop()
	} else {
		close(d.leaseEnded)
	}
	return d
}

// accept queues an Event invocation of t, durably, and schedules it.
func (d *dispatcher) accept(t Target, req *invoke.Request) error {
	now := time.Now().UTC()
	e := QueuedEvent{
		ID:        req.RequestID,
		Function:  t.Function.Name,
		Qualifier: t.Qualifier,
		Request:   *req,
		Enqueued:  now,
		NotBefore: now,
	}
	e.Request.Deadline = time.Time{} // set when it runs
	if e.ID == "" {
		e.ID = invoke.NewRequestID()
		e.Request.RequestID = e.ID
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return invoke.ServiceFailure("The function is shutting down.")
	}
	if err := d.queue.Put(context.Background(), e); err != nil {
		return fmt.Errorf("queue Event invocation: %w", err)
	}
	d.schedule(e)
	return nil
}

// recover schedules the events the Queue holds from an earlier run. A
// SharedQueue's are other hosts' too: only those whose lease ran out are
// claimed (and the lease loop claims the others' as they lapse).
func (d *dispatcher) recover(ctx context.Context) (int, error) {
	if d.shared != nil {
		return d.claim(ctx)
	}
	// A queue that could not read some entries still returns the others,
	// which run.
	events, err := d.queue.Pending(ctx)
	for _, e := range events {
		d.schedule(e)
	}
	if err != nil {
		return len(events), fmt.Errorf("read the Event queue: %w", err)
	}
	return len(events), nil
}

// schedule makes e due now, or at its NotBefore.
func (d *dispatcher) schedule(e QueuedEvent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.held[e.ID] = struct{}{}
	if wait := time.Until(e.NotBefore); wait > 0 {
		var timer *time.Timer
		timer = time.AfterFunc(wait, func() {
			d.mu.Lock()
			if d.timers[e.ID] != timer {
				d.mu.Unlock()
				return // stopped: the event was lost to another host
			}
			delete(d.timers, e.ID)
			d.mu.Unlock()
			e.NotBefore = time.Time{}
			d.schedule(e)
		})
		d.timers[e.ID] = timer
		return
	}
	f := d.fns[e.Function]
	if f == nil {
		f = &fnEvents{}
		d.fns[e.Function] = f
	}
	f.due = append(f.due, e)
	d.pump(e.Function, f)
}

// pump starts due events of fn while it is under its limit; d.mu is held.
func (d *dispatcher) pump(fn string, f *fnEvents) {
	limit := d.limit
	if rec, err := d.inv.reg.store.Function(context.Background(), fn); err == nil && rec.ReservedConcurrency > 0 {
		limit = rec.ReservedConcurrency
	}
	for !d.closed && !d.halted() && f.active < limit && len(f.due) > 0 {
		e := f.due[0]
		f.due = f.due[1:]
		f.active++
		d.running.Add(1)
		go d.run(e)
	}
}

// run runs one event and decides what becomes of it.
func (d *dispatcher) run(e QueuedEvent) {
	defer d.running.Done()
	defer func() {
		d.mu.Lock()
		if f := d.fns[e.Function]; f != nil {
			f.active--
			d.pump(e.Function, f)
		}
		d.mu.Unlock()
	}()
	ctx := context.Background()
	attrs := []any{"function", e.Function, "request_id", e.ID}
	t, err := d.inv.reg.Lookup(ctx, e.Function, e.Qualifier)
	if err != nil {
		if d.shared != nil && time.Since(e.Enqueued) <= DefaultMaxEventAge {
			// Another host may serve it (a deployment under way): the
			// lease lapses and a host that has it claims it.
			d.forget(e.ID)
			d.inv.logger.Warn("async invocation left to another host: the function is not served here", append(attrs, "error", err)...)
			return
		}
		d.drop(e, append(attrs, "reason", "function gone", "error", err)...)
		return
	}
	if age := time.Since(e.Enqueued); age > maxEventAge(t.Function.Async) {
		d.drop(e, append(attrs, "reason", "event too old", "age", age.Round(time.Second).String())...)
		d.sendRecord(t, t.Function.Async.OnFailure, e, conditionEventAgeExceeded, nil)
		return
	}
	release, err := d.inv.acquireWait(t, d.stop)
	if err != nil {
		return // shutting down: the event stays queued for the next start
	}
	if d.halted() {
		// A slot and the drain came at once (acquireWait's select took the
		// slot): the drain wins, and the event stays queued.
		release()
		return
	}
	e.Attempts++
	req := e.Request
	res, err := d.inv.run(ctx, t, Event, &req)
	release()
	attrs = append(attrs, "attempt", e.Attempts)
	switch {
	case err != nil:
		attrs = append(attrs, "error", err)
	case res.Kind == invoke.Success:
		if err := d.queue.Delete(ctx, e.ID); err != nil {
			d.inv.logger.Error("Event queue: cannot forget a finished invocation", append(attrs, "error", err)...)
		}
		d.forget(e.ID)
		d.inv.logger.Info("async invocation succeeded", append(attrs, "outcome", res.Kind.String())...)
		d.sendRecord(t, t.Function.Async.OnSuccess, e, conditionSuccess, res)
		return
	default:
		attrs = append(attrs, "outcome", res.Kind.String(), "error_type", res.ErrorType, "error", string(res.Payload))
	}
	if e.Attempts > t.Function.Async.MaxRetries {
		d.drop(e, append(attrs, "reason", "retries exhausted")...)
		d.sendRecord(t, t.Function.Async.OnFailure, e, conditionRetriesExhausted, res)
		return
	}
	delay := d.retryDelay << (e.Attempts - 1) // Lambda: 1 min, then 2 min
	e.NotBefore = time.Now().UTC().Add(delay)
	if err := d.queue.Put(ctx, e); err != nil {
		d.inv.logger.Error("Event queue: cannot keep a retry", append(attrs, "error", err)...)
	}
	d.inv.logger.Warn("async invocation failed; it will be retried", append(attrs, "retry_in", delay.String())...)
	d.schedule(e)
}

// drop gives an event up, logging why.
func (d *dispatcher) drop(e QueuedEvent, attrs ...any) {
	if err := d.queue.Delete(context.Background(), e.ID); err != nil {
		attrs = append(attrs, "queue_error", err)
	}
	d.forget(e.ID)
	d.inv.logger.Warn("async invocation failed", attrs...)
}

func maxEventAge(c AsyncConfig) time.Duration {
	if c.MaxEventAge > 0 {
		return c.MaxEventAge
	}
	return DefaultMaxEventAge
}

// close stops scheduling, waits for the running events until ctx is done,
// and closes the queue.
func (d *dispatcher) close(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		d.halt()
		for id, t := range d.timers {
			t.Stop()
			delete(d.timers, id)
		}
		close(d.leaseDone)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.running.Wait(); <-d.leaseEnded; close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("close: asynchronous invocations still running: %w", ctx.Err())
	}
	var err error
	if d.shared != nil {
		// What is still queued here is another host's to run, now.
		d.mu.Lock()
		ids := slices.Collect(maps.Keys(d.held))
		clear(d.held)
		d.mu.Unlock()
		if len(ids) > 0 {
			if err = d.shared.Release(context.Background(), ids); err != nil {
				err = fmt.Errorf("release queued Event invocations: %w", err)
			}
		}
	}
	return errors.Join(err, d.queue.Close())
}

// handOver releases, with a SharedQueue, the held events not running (due
// or waiting for a retry) so that other hosts run them now, as a drain
// begins; those running go on here.
func (d *dispatcher) handOver() {
	if d.shared == nil {
		return
	}
	d.mu.Lock()
	var ids []string
	for _, f := range d.fns {
		for _, e := range f.due {
			ids = append(ids, e.ID)
		}
		f.due = nil
	}
	for id, t := range d.timers {
		t.Stop()
		delete(d.timers, id)
		ids = append(ids, id)
	}
	for _, id := range ids {
		delete(d.held, id)
	}
	d.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	if err := d.shared.Release(context.Background(), ids); err != nil {
		d.inv.logger.Error("Event queue: cannot hand queued invocations over; they run elsewhere once their lease lapses", "count", len(ids), "error", err)
		return
	}
	d.inv.logger.Info("Event queue: queued invocations handed over to the other hosts", "count", len(ids))
}

// forget stops holding the event of id: it is done, or another host's.
func (d *dispatcher) forget(id string) {
	d.mu.Lock()
	delete(d.held, id)
	d.mu.Unlock()
}

// claimBatch bounds one Claim call; the lease loop claims batches until
// fewer come back.
const claimBatch = 256

// leaseLoop renews the leases of the events held here and claims the
// lapsed ones, every third of the lease, until close.
func (d *dispatcher) leaseLoop() {
	defer close(d.leaseEnded)
	tick := time.NewTicker(d.shared.Lease() / 3)
	defer tick.Stop()
	for {
		select {
		case <-d.leaseDone:
			return
		case <-tick.C:
		}
		d.renew(context.Background())
		if _, err := d.claim(context.Background()); err != nil {
			d.inv.logger.Error("Event queue: cannot claim lapsed invocations", "error", err)
		}
	}
}

// renew extends the leases of the held events, and forgets the scheduled
// ones another host has claimed meanwhile (one running here goes on: at
// least once).
func (d *dispatcher) renew(ctx context.Context) {
	d.mu.Lock()
	ids := slices.Collect(maps.Keys(d.held))
	d.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	lost, err := d.shared.Renew(ctx, ids)
	if err != nil {
		d.inv.logger.Error("Event queue: cannot renew the leases of queued invocations", "count", len(ids), "error", err)
	}
	if len(lost) == 0 {
		return
	}
	gone := make(map[string]bool, len(lost))
	d.mu.Lock()
	for _, id := range lost {
		gone[id] = true
		delete(d.held, id)
		if t := d.timers[id]; t != nil {
			t.Stop()
			delete(d.timers, id)
		}
	}
	for _, f := range d.fns {
		f.due = slices.DeleteFunc(f.due, func(e QueuedEvent) bool { return gone[e.ID] })
	}
	d.mu.Unlock()
	d.lost.Add(int64(len(lost)))
	d.inv.logger.Warn("Event queue: invocations held here were claimed by another host", "count", len(lost))
}

// claim takes the events whose lease ran out and schedules them here.
func (d *dispatcher) claim(ctx context.Context) (int, error) {
	n := 0
	for {
		if d.halted() {
			return n, nil // draining: no new work for this host
		}
		events, err := d.shared.Claim(ctx, claimBatch)
		for _, e := range events {
			d.mu.Lock()
			_, mine := d.held[e.ID] // its lease lapsed while it waited here
			d.mu.Unlock()
			if !mine {
				d.claimed.Add(1)
				d.schedule(e)
			}
		}
		n += len(events)
		if len(events) > 0 {
			d.inv.logger.Info("Event invocations claimed from the shared queue", "count", len(events))
		}
		if err != nil {
			return n, fmt.Errorf("claim from the Event queue: %w", err)
		}
		if len(events) < claimBatch {
			return n, nil
		}
	}
}

// halt stops starting Event invocations: those waiting for a slot give up
// and stay in the Queue; those running go on.
func (d *dispatcher) halt() { d.stopOnce.Do(func() { close(d.stop) }) }

// halted says whether halt was called: no event starts after it.
func (d *dispatcher) halted() bool {
	select {
	case <-d.stop:
		return true
	default:
		return false
	}
}

// errStopped is what acquireWait returns when the dispatcher stops first.
var errStopped = errors.New("stopped")

// Conditions of a destination record.
const (
	conditionSuccess          = "Success"
	conditionRetriesExhausted = "RetriesExhausted"
	conditionEventAgeExceeded = "EventAgeExceeded"
)

// destinationRecord is the document Lambda sends to a destination.
type destinationRecord struct {
	Version        string          `json:"version"`
	Timestamp      string          `json:"timestamp"`
	RequestContext recordRequest   `json:"requestContext"`
	RequestPayload json.RawMessage `json:"requestPayload"`
	// ResponseContext and ResponsePayload are absent when the function
	// never ran (EventAgeExceeded).
	ResponseContext *recordResponse `json:"responseContext,omitempty"`
	ResponsePayload json.RawMessage `json:"responsePayload,omitempty"`
}

type recordRequest struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

type recordResponse struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// sendRecord sends Lambda's destination record of e to dest (a function
// name, or name:qualifier), as an Event invocation of its own; res is nil
// when e never ran.
func (d *dispatcher) sendRecord(t Target, dest string, e QueuedEvent, condition string, res *invoke.Result) {
	if dest == "" {
		return
	}
	rec := destinationRecord{
		Version:   "1.0",
		Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: recordRequest{
			RequestID:              e.ID,
			FunctionARN:            t.ARN + ":" + t.Version.Version,
			Condition:              condition,
			ApproximateInvokeCount: e.Attempts,
		},
		RequestPayload: jsonOrString(e.Request.Payload),
	}
	if res != nil {
		rec.ResponseContext = &recordResponse{StatusCode: 200, ExecutedVersion: t.Version.Version}
		if res.Kind != invoke.Success {
			rec.ResponseContext.FunctionError = invoke.FunctionErrorUnhandled
		}
		rec.ResponsePayload = jsonOrString(res.Payload)
	}
	payload, err := json.Marshal(rec)
	attrs := []any{"function", t.Function.Name, "request_id", e.ID, "destination", dest, "condition", condition}
	if err == nil {
		name, qualifier, _ := strings.Cut(dest, ":")
		var to Target
		if to, err = d.inv.reg.Lookup(context.Background(), name, qualifier); err == nil {
			err = d.accept(to, &invoke.Request{
				RequestID:          invoke.NewRequestID(),
				Payload:            payload,
				InvokedFunctionARN: to.QualifiedARN(),
				TraceID:            e.Request.TraceID,
			})
		}
	}
	if err != nil {
		d.inv.logger.Error("destination not sent", append(attrs, "error", err)...)
		return
	}
	d.inv.logger.Info("destination sent", attrs...)
}

// jsonOrString is b when it is JSON, else b as a JSON string.
func jsonOrString(b []byte) json.RawMessage {
	if len(b) > 0 && json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}
