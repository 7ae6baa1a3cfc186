package wasmhost

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// readyStack holds a function's instances at the image, waiting for an
// invocation. It is a stack: an invocation takes the instance reset last,
// whose pages the caches of this core most likely still hold (a queue
// cycles through every ready instance in turn). An instance pushed while
// callers wait for one (wait) goes to the longest waiting of them.
//
// Every instance kept counts the memory it holds (charge) against the
// host's budget for ready instances (Config.ReadyMemoryMB); past it, push
// keeps nothing.
type readyStack struct {
	mu      sync.Mutex
	items   []*instance
	max     int
	waiters []chan *instance
	// budget is the host's; charge what an instance counts against it.
	budget *readyBudget
	charge func(*instance) int64
}

func newReadyStack(max int, budget *readyBudget, charge func(*instance) int64) *readyStack {
	return &readyStack{max: max, budget: budget, charge: charge}
}

// readyBudget bounds the memory the ready instances of all of a host's
// functions hold.
type readyBudget struct {
	limit int64
	used  atomic.Int64
}

// take reserves n bytes, or reports false.
func (b *readyBudget) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *readyBudget) give(n int64) { b.used.Add(-n) }

// push adds in, or hands it to a waiting caller, and reports false
// (keeping nothing) when the stack is full.
func (r *readyStack) push(in *instance) bool {
	n := r.charge(in) // before the lock: it may scan the page table
	r.mu.Lock()
	if len(r.waiters) > 0 {
		w := r.waiters[0]
		r.waiters = r.waiters[1:]
		r.mu.Unlock()
		w <- in // buffered: never blocks
		return true
	}
	if len(r.items) >= r.max {
		r.mu.Unlock()
		return false
	}
	if !r.budget.take(n) {
		r.mu.Unlock()
		return false
	}
	in.charged = n
	r.items = append(r.items, in)
	r.mu.Unlock()
	return true
}

// pop takes the instance pushed last, nil if none.
func (r *readyStack) pop() *instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.popLocked()
}

func (r *readyStack) popLocked() *instance {
	n := len(r.items)
	if n == 0 {
		return nil
	}
	in := r.items[n-1]
	r.items[n-1] = nil
	r.items = r.items[:n-1]
	r.budget.give(in.charged)
	in.charged = 0
	return in
}

// wait pops an instance, waiting up to d for one to be pushed; nil when
// none came in time or ctx is done.
func (r *readyStack) wait(ctx context.Context, d time.Duration) *instance {
	r.mu.Lock()
	if in := r.popLocked(); in != nil {
		r.mu.Unlock()
		return in
	}
	w := make(chan *instance, 1)
	r.waiters = append(r.waiters, w)
	r.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case in := <-w:
		return in
	case <-t.C:
	case <-ctx.Done():
	}
	r.mu.Lock()
	i := slices.Index(r.waiters, w)
	if i >= 0 {
		r.waiters = slices.Delete(r.waiters, i, i+1)
	}
	r.mu.Unlock()
	if i < 0 {
		// A push handed it an instance as it gave up: take it.
		return <-w
	}
	return nil
}

// len is the number of ready instances.
func (r *readyStack) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.items)
}

// Provision makes ready instances of f until it has n (at most
// readyInstances, within the host's budget), as Lambda's provisioned
// concurrency keeps instances initialised ahead of invocations, and
// returns how many are ready. A function without a snapshot has none.
func (f *Module) Provision(ctx context.Context, n int) (int, error) {
	s := f.snap
	if s == nil {
		return 0, nil
	}
	n = min(n, readyInstances)
	for s.ready.len() < n {
		in, err := s.newInstance(ctx, time.Now().Add(f.host.initTimeout))
		if err != nil {
			return s.ready.len(), err
		}
		if !s.ready.push(in) {
			s.discard(in)
			break
		}
	}
	return s.ready.len(), nil
}

// Ready reports how many instances of f are ready.
func (f *Module) Ready() int {
	if f.snap == nil {
		return 0
	}
	return f.snap.ready.len()
}
