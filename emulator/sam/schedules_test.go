package sam

import (
	"strings"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/schedule"
)

// TestTemplateSchedules: Schedule and ScheduleV2 events are read with
// their expression, Input, state, timezone and bounds.
func TestTemplateSchedules(t *testing.T) {
	t.Parallel()
	tmpl, err := parseTemplate([]byte(`
Parameters:
  On: {Type: String, Default: "false"}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      FunctionName: fn-name
      Events:
        Every: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}
        Nightly:
          Type: Schedule
          Properties: {Schedule: "cron(0 2 * * ? *)", Name: nightly-rule, Input: '{"job": "nightly"}', Enabled: !Ref On}
        Off: {Type: Schedule, Properties: {Schedule: rate(5 minutes), State: DISABLED}}
        Local:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: "cron(0 9 ? * MON-FRI *)"
            ScheduleExpressionTimezone: Europe/Paris
            GroupName: jobs
            StartDate: "2026-01-01T00:00:00Z"
            EndDate: "2027-01-01T00:00:00.000Z"
        Paused: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 hour), State: DISABLED, Name: paused}}
        Get: {Type: HttpApi, Properties: {Path: /a, Method: GET}}
`), "t.yaml", "/t", TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fn := mustFunction(t, tmpl, "Fn")
	var names []string
	by := map[string]ScheduleEvent{}
	for _, s := range fn.Schedules {
		names = append(names, s.Name)
		by[s.Name] = s
	}
	if got := strings.Join(names, ","); got != "Every,Local,Nightly,Off,Paused" {
		t.Fatalf("schedules %s", got)
	}
	if s := by["Every"]; s.Type != EventTypeSchedule || s.Expression != "rate(1 minute)" || !s.Enabled || s.RuleName != "FnEvery" || s.Input != "" || s.Timezone != "" {
		t.Errorf("Every: %+v", s)
	}
	if s := by["Nightly"]; s.RuleName != "nightly-rule" || s.Input != `{"job": "nightly"}` || s.Enabled {
		t.Errorf("Nightly: %+v", s)
	}
	if by["Off"].Enabled || by["Paused"].Enabled || by["Paused"].RuleName != "paused" || by["Paused"].GroupName != schedule.DefaultGroup {
		t.Errorf("Off %+v, Paused %+v", by["Off"], by["Paused"])
	}
	l := by["Local"]
	if l.Type != EventTypeScheduleV2 || l.Timezone != "Europe/Paris" || l.GroupName != "jobs" || !l.Enabled ||
		!l.StartDate.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !l.EndDate.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Local: %+v", l)
	}
	// 9:00 in Paris on Monday 2026-01-05 is 8:00 UTC.
	if got := l.Expr.Next(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("Local next %s", got.UTC())
	}
	s := l.Schedule(fn)
	if s.Function != "fn-name" || s.Event != "Local" || s.Kind != schedule.Scheduler || s.Name != "FnLocal" || s.Group != "jobs" || s.Input != nil {
		t.Errorf("Schedule: %+v", s)
	}
	if len(fn.Events) != 1 {
		t.Errorf("Api events %+v", fn.Events)
	}
}

// TestTemplateScheduleErrors: a bad schedule event fails the template,
// naming the function, the event and the property.
func TestTemplateScheduleErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ event, want string }{
		{`{Type: Schedule, Properties: {Schedule: rate(1 minutes)}}`, "function Fn: event E (Schedule): Schedule: parse rate(1 minutes): want rate(1 minute)"},
		{`{Type: Schedule, Properties: {Schedule: "cron(0 12 * * * *)"}}`, "event E (Schedule): Schedule: parse cron(0 12 * * * *): one of day-of-month and day-of-week must be ?"},
		{`{Type: Schedule, Properties: {}}`, "event E (Schedule): Schedule is required"},
		{`{Type: Schedule}`, "event E (Schedule): Schedule is required"},
		{`{Type: Schedule, Properties: {Schedule: at(2026-01-01T00:00:00)}}`, "at(...) is ScheduleV2's"},
		{`{Type: Schedule, Properties: {Schedule: rate(1 day), Input: 'not json'}}`, `Input "not json": a Lambda target's input must be well-formed JSON`},
		{`{Type: Schedule, Properties: {Schedule: rate(1 day), Enabled: maybe}}`, "Enabled \"maybe\": want true or false"},
		{`{Type: Schedule, Properties: {Schedule: rate(1 day), Enabled: true, State: ENABLED}}`, "Enabled and State: set one of them"},
		{`{Type: Schedule, Properties: {Schedule: rate(1 day), State: PAUSED}}`, `State "PAUSED": want ENABLED or DISABLED`},
		{`{Type: Schedule, Properties: {Schedule: [rate(1 day)]}}`, "Schedule [\"rate(1 day)\"]: want a string"},
		{`{Type: ScheduleV2, Properties: {Schedule: rate(1 day)}}`, "event E (ScheduleV2): ScheduleExpression is required"},
		{`{Type: ScheduleV2, Properties: {ScheduleExpression: "cron(0 25 * * ? *)"}}`, "ScheduleExpression: parse cron(0 25 * * ? *): hours: bad value \"25\""},
		{`{Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 day), ScheduleExpressionTimezone: Mars/Olympus}}`, `ScheduleExpressionTimezone "Mars/Olympus": not a time zone`},
		{`{Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 day), StartDate: tomorrow}}`, `StartDate "tomorrow": want an ISO 8601 time`},
		{`{Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 day), StartDate: "2026-02-01T00:00:00Z", EndDate: "2026-01-01T00:00:00Z"}}`, "EndDate must be after StartDate"},
	} {
		_, err := parseTemplate([]byte("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn\n      Events:\n        E: "+tc.event+"\n"), "t.yaml", "/t", TemplateOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.event, err, tc.want)
		}
	}
}
