package emulator

import (
	"context"
	"time"

	"github.com/frescolabs/fresco/emulator/schedule"
	"github.com/frescolabs/fresco/internal/invoke"
)

// Schedules are the enabled Schedule and ScheduleV2 events of the loaded
// functions, in the template's order, and how many are disabled.
func (e *Emulator) Schedules() (enabled []*schedule.Schedule, disabled int) {
	for _, fn := range e.fns {
		for i := range fn.Schedules {
			ev := &fn.Schedules[i]
			if !ev.Enabled {
				disabled++
				continue
			}
			enabled = append(enabled, ev.Schedule(fn))
		}
	}
	return enabled, disabled
}

// RunSchedules fires the enabled schedules of the loaded functions until
// ctx is done (fresco start --schedules): each firing is an Event
// invocation, queued and retried as one sent through the Invoke API, of
// the event AWS delivers. Options.ScheduleClock, when set, is its clock.
func (e *Emulator) RunSchedules(ctx context.Context) {
	enabled, disabled := e.Schedules()
	if disabled > 0 {
		e.logger.Info("schedules disabled in the template (Enabled: false or State: DISABLED) do not fire", "count", disabled)
	}
	if len(enabled) == 0 {
		return
	}
	schedule.Run(ctx, enabled, e.opts.ScheduleClock, e.logger, e.fireSchedule)
}

// fireSchedule queues the Event invocation of s's function for time at.
func (e *Emulator) fireSchedule(ctx context.Context, s *schedule.Schedule, at time.Time) {
	if err := e.InvokeSchedule(ctx, s, at); err != nil {
		e.logger.Error("schedule: the invocation was not queued", schedule.KeyFunction, s.Function, schedule.KeySchedule, s.Event, schedule.KeyError, err)
	}
}

// InvokeSchedule queues an Event invocation of s's function with the
// event s delivers at time at.
func (e *Emulator) InvokeSchedule(ctx context.Context, s *schedule.Schedule, at time.Time) error {
	h, err := e.inv.Lookup(ctx, s.Function, "")
	if err != nil {
		return err
	}
	payload, err := s.Payload(at, e.region, invoke.DefaultAccountID)
	if err != nil {
		return err
	}
	return h.InvokeAsync(&invoke.Request{
		RequestID:          invoke.NewRequestID(),
		Payload:            payload,
		InvokedFunctionARN: h.ARN(),
		TraceID:            invoke.NewTraceID(),
	})
}
