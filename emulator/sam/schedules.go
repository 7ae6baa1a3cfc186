package sam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frescolabs/fresco/emulator/schedule"
)

// The schedule event types: an EventBridge rule, and an EventBridge
// Scheduler schedule. fresco start --schedules fires them.
const (
	EventTypeSchedule   = "Schedule"
	EventTypeScheduleV2 = "ScheduleV2"
)

// ScheduleEvent is a Schedule or ScheduleV2 event of a function.
type ScheduleEvent struct {
	// Name is the event's key under Events.
	Name string
	// Type is EventTypeSchedule or EventTypeScheduleV2.
	Type string
	// Expression is Schedule (Schedule) or ScheduleExpression
	// (ScheduleV2), as written; Expr is it parsed, in Timezone.
	Expression string
	Expr       schedule.Expression
	// Timezone is ScheduleV2's ScheduleExpressionTimezone, an IANA name;
	// empty for UTC (always, for Schedule).
	Timezone string
	// Input is the JSON the event delivers in place of AWS's default
	// event; empty for none.
	Input string
	// Enabled is false for Enabled: false or State: DISABLED.
	Enabled bool
	// RuleName is the rule's or schedule's name: Name, or what fresco
	// names it otherwise (the function's logical id and the event's
	// name, as SAM names the resource it generates).
	RuleName string
	// GroupName is ScheduleV2's schedule group (schedule.DefaultGroup
	// unless set).
	GroupName string
	// StartDate and EndDate bound a ScheduleV2 (zero: no bound).
	StartDate, EndDate time.Time
}

// isScheduleType reports whether typ is a schedule event type.
func isScheduleType(typ string) bool { return typ == EventTypeSchedule || typ == EventTypeScheduleV2 }

// parseSchedules reads the Schedule and ScheduleV2 events of function id's
// resolved Properties, sorted by name.
func parseSchedules(id string, props json.RawMessage) ([]ScheduleEvent, error) {
	if len(props) == 0 {
		return nil, nil
	}
	var p struct {
		Events map[string]struct {
			Type       string
			Properties json.RawMessage
		}
	}
	if json.Unmarshal(props, &p) != nil {
		return nil, nil // parseEvents warns of it
	}
	var out []ScheduleEvent
	for _, name := range slices.Sorted(maps.Keys(p.Events)) {
		raw := p.Events[name]
		if !isScheduleType(raw.Type) {
			continue
		}
		ev, err := parseSchedule(id, name, raw.Type, raw.Properties)
		if err != nil {
			return nil, fmt.Errorf("event %s (%s): %w", name, raw.Type, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

func parseSchedule(id, name, typ string, props json.RawMessage) (ScheduleEvent, error) {
	ev := ScheduleEvent{Name: name, Type: typ, Enabled: true, RuleName: id + name}
	var m map[string]json.RawMessage
	if t := bytes.TrimSpace(props); len(t) > 0 && string(t) != "null" {
		if err := json.Unmarshal(props, &m); err != nil {
			return ev, fmt.Errorf("Properties: %w", err)
		}
	}
	str := func(key string) (string, error) {
		raw, ok := m[key]
		if !ok || string(raw) == "null" {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%s %s: want a string", key, raw)
		}
		return s, nil
	}
	exprKey := "Schedule"
	if typ == EventTypeScheduleV2 {
		exprKey = "ScheduleExpression"
	}
	var err error
	if ev.Expression, err = str(exprKey); err != nil {
		return ev, err
	}
	if ev.Expression == "" {
		return ev, fmt.Errorf("%s is required", exprKey)
	}
	if ev.Input, err = str("Input"); err != nil {
		return ev, err
	}
	if ev.Input != "" && !json.Valid([]byte(ev.Input)) {
		return ev, fmt.Errorf("Input %q: a Lambda target's input must be well-formed JSON", ev.Input)
	}
	if n, err := str("Name"); err != nil {
		return ev, err
	} else if n != "" {
		ev.RuleName = n
	}
	state, err := str("State")
	if err != nil {
		return ev, err
	}
	switch strings.ToUpper(state) {
	case "", "ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
	case "DISABLED":
		ev.Enabled = false
	default:
		return ev, fmt.Errorf("State %q: want ENABLED or DISABLED", state)
	}
	loc := time.UTC
	if typ == EventTypeSchedule {
		if raw, ok := m["Enabled"]; ok {
			if state != "" {
				return ev, errors.New("Enabled and State: set one of them")
			}
			enabled, err := boolValue(raw)
			if err != nil {
				return ev, fmt.Errorf("Enabled %s: want true or false", raw)
			}
			ev.Enabled = enabled
		}
	} else {
		if ev.GroupName, err = str("GroupName"); err != nil {
			return ev, err
		}
		if ev.GroupName == "" {
			ev.GroupName = schedule.DefaultGroup
		}
		if ev.Timezone, err = str("ScheduleExpressionTimezone"); err != nil {
			return ev, err
		}
		if ev.Timezone != "" {
			if loc, err = time.LoadLocation(ev.Timezone); err != nil {
				return ev, fmt.Errorf("ScheduleExpressionTimezone %q: not a time zone of the IANA database (%v)", ev.Timezone, err)
			}
		}
		for _, d := range []struct {
			key string
			dst *time.Time
		}{{"StartDate", &ev.StartDate}, {"EndDate", &ev.EndDate}} {
			s, err := str(d.key)
			if err != nil {
				return ev, err
			}
			if s == "" {
				continue
			}
			if *d.dst, err = time.Parse(time.RFC3339, s); err != nil {
				return ev, fmt.Errorf("%s %q: want an ISO 8601 time such as 2026-01-31T09:00:00Z", d.key, s)
			}
		}
		if !ev.StartDate.IsZero() && !ev.EndDate.IsZero() && !ev.EndDate.After(ev.StartDate) {
			return ev, errors.New("EndDate must be after StartDate")
		}
	}
	if ev.Expr, err = schedule.Parse(ev.Expression, loc); err != nil {
		return ev, fmt.Errorf("%s: %w", exprKey, err)
	}
	if _, ok := ev.Expr.(schedule.At); ok && typ == EventTypeSchedule {
		return ev, fmt.Errorf("%s %s: an EventBridge rule takes rate(...) or cron(...); at(...) is ScheduleV2's", exprKey, ev.Expression)
	}
	return ev, nil
}

// boolValue reads a CloudFormation Boolean: true, false, or a string of
// either (what a !Ref to a parameter gives).
func boolValue(raw json.RawMessage) (bool, error) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return false, err
	}
	return strconv.ParseBool(strings.ToLower(s))
}

// Schedule is the schedule.Schedule that fires ev for function fn (its
// Name is what the invocation targets).
func (ev *ScheduleEvent) Schedule(fn *FunctionSpec) *schedule.Schedule {
	s := &schedule.Schedule{
		Function: fn.Name,
		Event:    ev.Name,
		Kind:     schedule.Kind(ev.Type),
		Name:     ev.RuleName,
		Group:    ev.GroupName,
		Expr:     ev.Expr,
		Start:    ev.StartDate,
		End:      ev.EndDate,
	}
	if ev.Input != "" {
		s.Input = json.RawMessage(ev.Input)
	}
	return s
}
