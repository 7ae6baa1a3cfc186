package wasmhost

import (
	"context"
	"slices"
	"sync"
	"time"
)

// readyStack holds a function's instances at the image, waiting for an
// invocation. It is a stack: an invocation takes the instance reset last,
// whose pages the caches of this core most likely still hold (a queue
// cycles through every ready instance in turn). An instance pushed while
// callers wait for one (wait) goes to the longest waiting of them.
type readyStack struct {
	mu      sync.Mutex
	items   []*instance
	max     int
	waiters []chan *instance
}

func newReadyStack(max int) *readyStack { return &readyStack{max: max} }

// push adds in, or hands it to a waiting caller, and reports false
// (keeping nothing) when the stack is full.
func (r *readyStack) push(in *instance) bool {
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
