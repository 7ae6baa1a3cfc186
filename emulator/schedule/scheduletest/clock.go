// Package scheduletest has a fake schedule.Clock, so that tests of what
// schedules fire run in milliseconds instead of minutes.
package scheduletest

import (
	"sync"
	"time"
)

// Clock is a schedule.Clock that moves only when Set says. The scheduler
// is parked (waiting on it) while a timer is pending: Parked tells.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []timer
}

type timer struct {
	at time.Time
	c  chan time.Time
}

// NewClock returns a Clock that reads now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After sends on the channel it returns once Set moves the clock d past
// its time now.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, timer{c.now.Add(d), ch})
	return ch
}

// Parked reports whether a timer is pending: the scheduler waits on it.
func (c *Clock) Parked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers) > 0
}

// WaitParked waits until the scheduler waits on the clock (true), done is
// closed (false), or timeout passes (false).
func (c *Clock) WaitParked(done <-chan struct{}, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !c.Parked() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-done:
			return false
		case <-time.After(time.Millisecond):
		}
	}
	return true
}

// Set moves the clock to t and fires the timers due by then.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(t) {
			kept = append(kept, tm)
			continue
		}
		tm.c <- t
	}
	c.timers = kept
}
