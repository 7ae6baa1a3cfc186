package functions

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Lambda's defaults for asynchronous invocation (EventInvokeConfig).
const (
	DefaultMaxRetries  = 2
	DefaultMaxEventAge = 6 * time.Hour
	// DefaultRetryDelay is Lambda's wait before the first retry; the second
	// waits twice as long.
	DefaultRetryDelay = time.Minute
)

// AsyncConfig is how a function's Event invocations are retried: its
// EventInvokeConfig.
type AsyncConfig struct {
	// MaxRetries is MaximumRetryAttempts (0 to 2): how many times an Event
	// invocation that fails (a function error, a timeout, a crash) runs
	// again.
	MaxRetries int
	// MaxEventAge is MaximumEventAgeInSeconds: an Event older than this is
	// dropped instead of run (0: DefaultMaxEventAge).
	MaxEventAge time.Duration
	// OnSuccess and OnFailure name the functions (name or name:qualifier)
	// that receive Lambda's destination record of an Event invocation
	// that succeeded, or failed for good; "" for none.
	OnSuccess, OnFailure string
}

// DefaultAsyncConfig is Lambda's: two retries, events kept six hours.
func DefaultAsyncConfig() AsyncConfig {
	return AsyncConfig{MaxRetries: DefaultMaxRetries, MaxEventAge: DefaultMaxEventAge}
}

// QueuedEvent is an accepted Event invocation waiting to run (again).
type QueuedEvent struct {
	// ID is the invocation's request id, unique in the queue.
	ID        string
	Function  string // the function's Name
	Qualifier string // as asked: "", a version or an alias
	Request   invoke.Request
	// Attempts counts the runs so far.
	Attempts int
	// Enqueued is when the Event was accepted; NotBefore when it may run.
	Enqueued, NotBefore time.Time
}

// Queue keeps accepted Event invocations until they have run. Put is
// durable when it returns for a durable Queue: a 202 is answered after it.
// The Invoker schedules in memory; the Queue only remembers, so that a
// shared engine (Redis Streams) can implement it for many hosts.
type Queue interface {
	// Put stores e, replacing an event of the same ID.
	Put(ctx context.Context, e QueuedEvent) error
	// Delete removes the event of id (run, or given up).
	Delete(ctx context.Context, id string) error
	// Pending returns every stored event, oldest first: what a restart
	// runs. Entries it cannot read are reported in the error, beside the
	// events it could.
	Pending(ctx context.Context) ([]QueuedEvent, error)
	// Close releases the queue.
	Close() error
}

// SharedQueue is a Queue that many fresco hosts share (redisqueue). Each
// event is held by one host under a lease: the host that accepted it (Put
// takes the lease), or the one that claimed it. The Invoker renews the
// leases of the events it holds, scheduled, waiting for a retry or
// running, and claims the events whose lease ran out, those of a host
// that crashed or was killed; they run there. Delivery is at least once,
// as on Lambda: a host cut off from the queue for longer than the lease
// may run an event that another host has claimed.
type SharedQueue interface {
	Queue
	// Lease is how long a Put or a claim holds an event; the Invoker
	// renews well within it.
	Lease() time.Duration
	// Renew extends the lease of the events of ids that this queue still
	// holds, and returns the ids it no longer holds (claimed by another
	// host, or deleted).
	Renew(ctx context.Context, ids []string) (lost []string, err error)
	// Claim takes up to max events whose lease ran out, oldest first, and
	// holds them. Entries it cannot read are reported in the error, beside
	// the events it could (and are left for an operator, not claimed
	// again).
	Claim(ctx context.Context, max int) ([]QueuedEvent, error)
	// Release gives up the leases of ids, so that another host may claim
	// them at once (a shutdown with events still queued).
	Release(ctx context.Context, ids []string) error
}

// MemQueue is a Queue in memory: Events accepted are lost with the process.
type MemQueue struct {
	mu     sync.Mutex
	events map[string]QueuedEvent
}

// NewMemQueue returns an empty MemQueue.
func NewMemQueue() *MemQueue { return &MemQueue{events: map[string]QueuedEvent{}} }

func (q *MemQueue) Put(_ context.Context, e QueuedEvent) error {
	if e.ID == "" {
		return fmt.Errorf("queue event: no id")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	e.Request.Payload = slices.Clone(e.Request.Payload)
	q.events[e.ID] = e
	return nil
}

func (q *MemQueue) Delete(_ context.Context, id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.events, id)
	return nil
}

func (q *MemQueue) Pending(context.Context) ([]QueuedEvent, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]QueuedEvent, 0, len(q.events))
	for _, e := range q.events {
		out = append(out, e)
	}
	SortEvents(out)
	return out, nil
}

func (q *MemQueue) Close() error { return nil }

// SortEvents sorts events oldest first (by Enqueued, then ID).
func SortEvents(events []QueuedEvent) {
	slices.SortFunc(events, func(a, b QueuedEvent) int {
		if c := a.Enqueued.Compare(b.Enqueued); c != 0 {
			return c
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}
