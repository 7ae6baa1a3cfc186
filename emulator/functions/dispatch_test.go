package functions

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// scriptedRunner fails its first failures invocations, then succeeds, and
// tracks how many run at once.
type scriptedRunner struct {
	failures       int64
	hold           chan struct{} // when not nil, each invocation waits for it
	calls, running atomic.Int64
	mu             sync.Mutex
	maxRunning     int64
	ids            []string
}

func (s *scriptedRunner) Invoke(ctx context.Context, req *invoke.Request) *invoke.Result {
	n := s.calls.Add(1)
	r := s.running.Add(1)
	defer s.running.Add(-1)
	s.mu.Lock()
	s.maxRunning = max(s.maxRunning, r)
	s.ids = append(s.ids, req.RequestID)
	s.mu.Unlock()
	if s.hold != nil {
		<-s.hold
	}
	if n <= s.failures {
		return invoke.ErrorResult(invoke.FunctionError, "Boom", "failed on purpose")
	}
	return &invoke.Result{Payload: []byte(`"ok"`)}
}

func (s *scriptedRunner) Close(context.Context) error { return nil }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// At its reserved concurrency, a function queues Events (202) instead of
// refusing them, and runs them one at a time.
func TestEventsQueueAtReservedConcurrency(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	r := &scriptedRunner{}
	reg.Create(ctx, Function{Name: "F", ReservedConcurrency: 1}, latest("F", "a"), r)
	q := NewMemQueue()
	inv := NewInvoker(reg, InvokerConfig{Queue: q})
	h, _ := inv.Lookup(ctx, "F", "")
	for i := range 10 {
		if err := h.InvokeAsync(&invoke.Request{RequestID: string(rune('a' + i))}); err != nil {
			t.Fatalf("Event %d refused: %v", i, err)
		}
	}
	waitFor(t, "10 runs", func() bool { return r.calls.Load() == 10 })
	inv.Close(ctx)
	if r.maxRunning != 1 {
		t.Errorf("%d ran at once, want 1 (the reserved concurrency)", r.maxRunning)
	}
	if p, _ := q.Pending(ctx); len(p) != 0 {
		t.Errorf("%d events left in the queue after they ran", len(p))
	}
	if got := r.ids[0] + r.ids[9]; got != "aj" {
		t.Errorf("order %v, want first in first out", r.ids)
	}
}

// Without reserved concurrency, Events run at most AsyncConcurrency at once.
func TestEventsBoundedByAsyncConcurrency(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	r := &scriptedRunner{hold: make(chan struct{})}
	reg.Create(ctx, Function{Name: "F"}, latest("F", "a"), r)
	inv := NewInvoker(reg, InvokerConfig{AsyncConcurrency: 3})
	h, _ := inv.Lookup(ctx, "F", "")
	for i := range 20 {
		h.InvokeAsync(&invoke.Request{RequestID: string(rune('A' + i))})
	}
	waitFor(t, "3 running", func() bool { return r.running.Load() == 3 })
	time.Sleep(20 * time.Millisecond)
	if n := r.calls.Load(); n != 3 {
		t.Errorf("%d started, want 3", n)
	}
	close(r.hold)
	waitFor(t, "20 runs", func() bool { return r.calls.Load() == 20 })
	inv.Close(ctx)
}

func TestEventRetries(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retries    int
		failures   int64
		wantCalls  int64
		wantLogged string
	}{
		{"succeeds on the last retry", 2, 2, 3, "async invocation succeeded"},
		{"retries exhausted", 1, 5, 2, "retries exhausted"},
		{"no retries", 0, 5, 1, "retries exhausted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			reg := NewRegistry(RegistryConfig{})
			r := &scriptedRunner{failures: tc.failures}
			reg.Create(ctx, Function{Name: "F", Async: AsyncConfig{MaxRetries: tc.retries}}, latest("F", "a"), r)
			q := NewMemQueue()
			var logs syncLog
			inv := NewInvoker(reg, InvokerConfig{Queue: q, RetryDelay: time.Millisecond, Logger: logs.logger()})
			h, _ := inv.Lookup(ctx, "F", "")
			h.InvokeAsync(&invoke.Request{RequestID: "r"})
			waitFor(t, tc.wantLogged, func() bool { return logs.contains(tc.wantLogged) })
			inv.Close(ctx)
			if r.calls.Load() != tc.wantCalls {
				t.Errorf("%d runs, want %d", r.calls.Load(), tc.wantCalls)
			}
			if p, _ := q.Pending(ctx); len(p) != 0 {
				t.Errorf("the event is still queued: %+v", p)
			}
		})
	}
}

// Recover runs what an earlier run left in the queue; an event older than
// the function's MaxEventAge is dropped unrun.
func TestEventsRecovered(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	r := &scriptedRunner{}
	reg.Create(ctx, Function{Name: "F", Async: AsyncConfig{MaxEventAge: time.Hour}}, latest("F", "a"), r)
	q := NewMemQueue()
	now := time.Now().UTC()
	q.Put(ctx, QueuedEvent{ID: "fresh", Function: "F", Enqueued: now, Request: invoke.Request{RequestID: "fresh"}})
	q.Put(ctx, QueuedEvent{ID: "retry", Function: "F", Enqueued: now, NotBefore: now.Add(30 * time.Millisecond), Attempts: 1, Request: invoke.Request{RequestID: "retry"}})
	q.Put(ctx, QueuedEvent{ID: "stale", Function: "F", Enqueued: now.Add(-2 * time.Hour), Request: invoke.Request{RequestID: "stale"}})
	var logs syncLog
	inv := NewInvoker(reg, InvokerConfig{Queue: q, Logger: logs.logger()})
	if n, err := inv.Recover(ctx); err != nil || n != 3 {
		t.Fatalf("Recover = %d, %v", n, err)
	}
	waitFor(t, "two runs", func() bool { return r.calls.Load() == 2 })
	waitFor(t, "the stale event dropped", func() bool { return logs.contains("event too old") })
	inv.Close(ctx)
	if p, _ := q.Pending(ctx); len(p) != 0 {
		t.Errorf("left in the queue: %+v", p)
	}
	if r.ids[0] != "fresh" || r.ids[1] != "retry" {
		t.Errorf("ran %v, want fresh then retry (at its NotBefore)", r.ids)
	}
}

// Close waits for the running Events and leaves the queued ones for the
// next start.
func TestCloseLeavesQueuedEvents(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	r := &scriptedRunner{hold: make(chan struct{})}
	reg.Create(ctx, Function{Name: "F", ReservedConcurrency: 1}, latest("F", "a"), r)
	q := NewMemQueue()
	inv := NewInvoker(reg, InvokerConfig{Queue: q})
	h, _ := inv.Lookup(ctx, "F", "")
	for _, id := range []string{"1", "2", "3"} {
		h.InvokeAsync(&invoke.Request{RequestID: id})
	}
	waitFor(t, "one running", func() bool { return r.running.Load() == 1 })
	closed := make(chan error)
	go func() { closed <- inv.Close(ctx) }()
	time.Sleep(20 * time.Millisecond)
	close(r.hold)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := h.InvokeAsync(&invoke.Request{RequestID: "late"}); err == nil {
		t.Error("an Event accepted after Close")
	}
	p, _ := q.Pending(ctx)
	if len(p) != 2 || r.calls.Load() != 1 {
		t.Errorf("after Close: %d queued, %d run; want 2 and 1", len(p), r.calls.Load())
	}
}

// recordingRunner keeps the payloads it is invoked with.
type recordingRunner struct {
	mu       sync.Mutex
	payloads [][]byte
}

func (r *recordingRunner) Invoke(_ context.Context, req *invoke.Request) *invoke.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, req.Payload)
	return &invoke.Result{Payload: []byte(`null`)}
}

func (r *recordingRunner) Close(context.Context) error { return nil }

func (r *recordingRunner) got() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.payloads)
}

// Destinations get Lambda's record of an Event invocation that succeeded
// (OnSuccess) or failed after its retries (OnFailure).
func TestDestinations(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{Region: "eu-west-1"})
	ok := &scriptedRunner{}
	bad := &scriptedRunner{failures: 100}
	onSuccess, onFailure := &recordingRunner{}, &recordingRunner{}
	async := AsyncConfig{MaxRetries: 1, OnSuccess: "OnSuccess", OnFailure: "OnFailure"}
	reg.Create(ctx, Function{Name: "Ok", Async: async}, latest("Ok", "a"), ok)
	reg.Create(ctx, Function{Name: "Bad", Async: async}, latest("Bad", "b"), bad)
	reg.Create(ctx, Function{Name: "OnSuccess"}, latest("OnSuccess", "c"), onSuccess)
	reg.Create(ctx, Function{Name: "OnFailure"}, latest("OnFailure", "d"), onFailure)
	inv := NewInvoker(reg, InvokerConfig{RetryDelay: time.Millisecond})
	for _, name := range []string{"Ok", "Bad"} {
		h, _ := inv.Lookup(ctx, name, "")
		h.InvokeAsync(&invoke.Request{RequestID: "req-" + name, Payload: []byte(`{"n":1}`)})
	}
	waitFor(t, "both records", func() bool { return len(onSuccess.got()) == 1 && len(onFailure.got()) == 1 })
	inv.Close(ctx)
	var success, failure destinationRecord
	if err := json.Unmarshal(onSuccess.got()[0], &success); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(onFailure.got()[0], &failure); err != nil {
		t.Fatal(err)
	}
	want := recordRequest{RequestID: "req-Ok", FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:Ok:$LATEST", Condition: "Success", ApproximateInvokeCount: 1}
	if success.Version != "1.0" || success.RequestContext != want || string(success.RequestPayload) != `{"n":1}` ||
		success.ResponseContext == nil || *success.ResponseContext != (recordResponse{StatusCode: 200, ExecutedVersion: "$LATEST"}) ||
		string(success.ResponsePayload) != `"ok"` {
		t.Errorf("OnSuccess record %s", onSuccess.got()[0])
	}
	if failure.RequestContext.Condition != "RetriesExhausted" || failure.RequestContext.ApproximateInvokeCount != 2 ||
		failure.ResponseContext == nil || failure.ResponseContext.FunctionError != "Unhandled" ||
		!strings.Contains(string(failure.ResponsePayload), `"errorType":"Boom"`) {
		t.Errorf("OnFailure record %s", onFailure.got()[0])
	}
	if _, err := time.Parse(time.RFC3339, success.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", success.Timestamp, err)
	}
}

// Drain lets the Event running finish and starts no other: those waiting
// and those accepted during the drain stay in the Queue.
func TestDrainLeavesEventsQueued(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	r := &scriptedRunner{hold: make(chan struct{})}
	reg.Create(ctx, Function{Name: "F", ReservedConcurrency: 1}, latest("F", "a"), r)
	q := NewMemQueue()
	inv := NewInvoker(reg, InvokerConfig{Queue: q})
	h, _ := inv.Lookup(ctx, "F", "")
	for _, id := range []string{"running", "waiting"} {
		if err := h.InvokeAsync(&invoke.Request{RequestID: id}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the first Event to run", func() bool { return r.running.Load() == 1 })
	inv.Drain()
	if err := h.InvokeAsync(&invoke.Request{RequestID: "during"}); err != nil {
		t.Fatalf("an Event during the drain: %v", err)
	}
	close(r.hold)
	if err := inv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if r.calls.Load() != 1 || r.ids[0] != "running" {
		t.Errorf("ran %v, want only the one running when the drain began", r.ids)
	}
	p, _ := q.Pending(ctx)
	var left []string
	for _, e := range p {
		left = append(left, e.ID)
	}
	slices.Sort(left)
	if strings.Join(left, ",") != "during,waiting" {
		t.Errorf("left in the queue: %v, want during and waiting", left)
	}
}
