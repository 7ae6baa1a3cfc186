package schedule

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Kind is the template event type of a schedule.
type Kind string

// The two kinds of schedule a SAM template declares.
const (
	// Rule is a Schedule event: an EventBridge rule, always in UTC.
	Rule Kind = "Schedule"
	// Scheduler is a ScheduleV2 event: an EventBridge Scheduler schedule,
	// in its ScheduleExpressionTimezone.
	Scheduler Kind = "ScheduleV2"
)

// DefaultGroup is EventBridge Scheduler's schedule group when a ScheduleV2
// event names none.
const DefaultGroup = "default"

// Schedule is one schedule of the template, ready to fire.
type Schedule struct {
	// Function is the name the invocation targets; Event is the event's
	// key under the function's Events.
	Function, Event string
	Kind            Kind
	// Name is the rule's or schedule's name; Group is a Scheduler
	// schedule's group (DefaultGroup when empty).
	Name, Group string
	// Expr is the parsed expression, in its timezone.
	Expr Expression
	// Input, when not nil, is the event delivered verbatim in place of
	// AWS's default one.
	Input json.RawMessage
	// Start and End bound when a Scheduler schedule fires (zero: no
	// bound).
	Start, End time.Time
}

// ARN is the rule's or schedule's ARN, the event's resources.
func (s *Schedule) ARN(region, account string) string {
	if s.Kind == Scheduler {
		group := s.Group
		if group == "" {
			group = DefaultGroup
		}
		return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", region, account, group, s.Name)
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", region, account, s.Name)
}

// Payload is the event AWS delivers to the function when s fires at at:
// Input verbatim when set; otherwise, for a rule, the CloudWatch
// "Scheduled Event" (source aws.events, detail {}), and for a Scheduler
// schedule its default notification, the same envelope with source
// aws.scheduler and detail the string "{}" (as Scheduler sends it).
func (s *Schedule) Payload(at time.Time, region, account string) ([]byte, error) {
	if s.Input != nil {
		return s.Input, nil
	}
	ev := events.CloudWatchEvent{
		Version:    "0",
		ID:         invoke.NewRequestID(),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		AccountID:  account,
		// AWS sends the scheduled minute, in UTC, without fractions.
		Time:      at.UTC().Truncate(time.Second),
		Region:    region,
		Resources: []string{s.ARN(region, account)},
		Detail:    json.RawMessage(`{}`),
	}
	if s.Kind == Scheduler {
		ev.Source, ev.Detail = "aws.scheduler", json.RawMessage(`"{}"`)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("build the event of schedule %s: %w", s.Name, err)
	}
	return b, nil
}

// First is the first time after now at which s fires, or the zero time
// when it never will. A rate counts from now (the emulator's start stands
// for the schedule's creation), or from Start when Start is set, as
// Scheduler counts.
func (s *Schedule) First(now time.Time) time.Time {
	return s.after(now, time.Time{})
}

// after is the first time strictly after now at which s fires, prev being
// the time it last fired (zero if never).
func (s *Schedule) after(now, prev time.Time) time.Time {
	from := now
	if !s.Start.IsZero() && s.Start.After(from) {
		from = s.Start.Add(-time.Nanosecond) // Start itself may fire
	}
	var next time.Time
	if r, ok := s.Expr.(Rate); ok {
		base := prev
		if base.IsZero() {
			// Whole seconds, as the times AWS's events carry.
			base = now.Truncate(time.Second)
			if !s.Start.IsZero() {
				base = s.Start
			}
		}
		// The first multiple of Every after from, keeping base's phase.
		switch {
		case base.After(from):
			next = base
		default:
			n := from.Sub(base)/r.Every + 1
			next = base.Add(n * r.Every)
		}
	} else {
		next = s.Expr.Next(from)
	}
	if next.IsZero() || !s.End.IsZero() && next.After(s.End) {
		return time.Time{}
	}
	return next
}
