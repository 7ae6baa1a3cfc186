package schedule

import (
	"context"
	"log/slog"
	"time"
)

// Clock is the time the scheduler reads and waits on: the real one in
// production, a fake one in tests (so that a rate(1 minute) fires without
// a minute's sleep).
type Clock interface {
	Now() time.Time
	// After sends on the channel it returns once d has passed.
	After(d time.Duration) <-chan time.Time
}

// The attribute keys of the scheduler's log lines.
const (
	KeyFunction   = "function"
	KeySchedule   = "schedule"
	KeyExpression = "expression"
	KeyNext       = "next"
	KeyTime       = "time"
	KeyMissed     = "missed"
	KeyError      = "error"
)

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// maxWait bounds one wait, so that the scheduler looks at the wall clock
// at least once a minute: after a machine's sleep, or a change of its
// clock, it does not wait for the monotonic timer to catch up.
const maxWait = time.Minute

// Fire is told to invoke s's function for the time at: it must queue the
// invocation and return, not wait for it to run.
type Fire func(ctx context.Context, s *Schedule, at time.Time)

// Run fires each schedule at its times until ctx is done. It logs each
// schedule's first time when it starts and, for each firing, the function,
// the schedule and the time it was due. A time is fired at most once: when
// several came and went while the scheduler could not run (the machine
// slept), the latest is fired once and the others are logged as missed.
// clock nil is the wall clock.
func Run(ctx context.Context, schedules []*Schedule, clock Clock, logger *slog.Logger, fire Fire) {
	if clock == nil {
		clock = realClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := clock.Now()
	next := make([]time.Time, len(schedules))
	for i, s := range schedules {
		next[i] = s.First(now)
		if next[i].IsZero() {
			logger.Warn("schedule never fires", KeyFunction, s.Function, KeySchedule, s.Event, KeyExpression, s.Expr.String())
			continue
		}
		logger.Info("schedule armed", KeyFunction, s.Function, KeySchedule, s.Event, KeyExpression, s.Expr.String(),
			KeyNext, next[i].UTC().Format(time.RFC3339))
	}
	for {
		var soonest time.Time
		for _, t := range next {
			if !t.IsZero() && (soonest.IsZero() || t.Before(soonest)) {
				soonest = t
			}
		}
		if soonest.IsZero() {
			return // nothing fires again
		}
		if wait := soonest.Sub(now); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-clock.After(min(wait, maxWait)):
			}
		}
		if ctx.Err() != nil {
			return
		}
		now = clock.Now()
		for i, s := range schedules {
			if next[i].IsZero() || next[i].After(now) {
				continue
			}
			due := next[i]
			missed := 0
			// The times that passed while the scheduler was not running.
			for t := s.after(due, due); !t.IsZero() && !t.After(now); t = s.after(t, t) {
				due = t
				missed++
			}
			if missed > 0 {
				logger.Warn("schedule missed times (the machine slept?): firing the latest once", KeyFunction, s.Function,
					KeySchedule, s.Event, KeyMissed, missed)
			}
			logger.Info("schedule fired", KeyFunction, s.Function, KeySchedule, s.Event,
				KeyTime, due.UTC().Format(time.RFC3339))
			fire(ctx, s, due)
			next[i] = s.after(now, due)
		}
	}
}
