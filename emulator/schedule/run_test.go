package schedule

import (
	"context"
	"encoding/json"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/schedule/scheduletest"
)

// firing is one call of Fire.
type firing struct {
	event string
	at    time.Time
}

// runFake runs the scheduler on a fake clock starting at start; each step
// waits for the scheduler to park, then moves the clock to the step's
// time. It returns the firings.
func runFake(t *testing.T, start time.Time, schedules []*Schedule, steps []time.Time) []firing {
	t.Helper()
	clk := scheduletest.NewClock(start)
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu  sync.Mutex
		got []firing
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, schedules, clk, nil, func(_ context.Context, s *Schedule, at time.Time) {
			mu.Lock()
			got = append(got, firing{s.Event, at})
			mu.Unlock()
		})
	}()
	for _, step := range steps {
		if !clk.WaitParked(done, 10*time.Second) {
			t.Fatalf("the scheduler stopped, or never waited, before the clock reached %s", step)
		}
		clk.Set(step)
	}
	// Let the last step's firings happen: the scheduler parks again, or
	// ends when nothing is left.
	clk.WaitParked(done, 10*time.Second)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	return got
}

func mustParse(t *testing.T, expr string, loc *time.Location) Expression {
	t.Helper()
	e, err := Parse(expr, loc)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var t0 = time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)

// TestScheduleRunFires: a rate and a cron fire at their times, in order,
// each time once, with the scheduled time.
func TestScheduleRunFires(t *testing.T) {
	t.Parallel()
	rate := &Schedule{Function: "F", Event: "Every", Kind: Rule, Name: "every", Expr: mustParse(t, "rate(1 minute)", nil)}
	cron := &Schedule{Function: "F", Event: "Cron", Kind: Rule, Name: "cron", Expr: mustParse(t, "cron(0/2 * * * ? *)", nil)}
	var steps []time.Time
	for i := 1; i <= 4; i++ {
		steps = append(steps, t0.Add(time.Duration(i)*30*time.Second))
	}
	got := runFake(t, t0, []*Schedule{rate, cron}, steps)
	// t0 is 10:00:30. The rate fires at 10:01:30 and 10:02:30; the cron
	// at 10:02:00.
	want := []firing{
		{"Cron", time.Date(2026, 3, 1, 10, 2, 0, 0, time.UTC)},
		{"Every", time.Date(2026, 3, 1, 10, 1, 30, 0, time.UTC)},
		{"Every", time.Date(2026, 3, 1, 10, 2, 30, 0, time.UTC)},
	}
	sortFirings(got)
	if len(got) != len(want) {
		t.Fatalf("firings %v, want %v", got, want)
	}
	for i := range want {
		if got[i].event != want[i].event || !got[i].at.Equal(want[i].at) {
			t.Fatalf("firings %v, want %v", got, want)
		}
	}
}

func sortFirings(f []firing) {
	for i := range f {
		for j := i + 1; j < len(f); j++ {
			if f[j].event < f[i].event || f[j].event == f[i].event && f[j].at.Before(f[i].at) {
				f[i], f[j] = f[j], f[i]
			}
		}
	}
}

// TestScheduleRunMissed: after the clock jumps an hour (a laptop's sleep),
// a rate(1 minute) fires once, for the latest time, not sixty times; and
// then carries on in its phase.
func TestScheduleRunMissed(t *testing.T) {
	t.Parallel()
	rate := &Schedule{Function: "F", Event: "Every", Kind: Rule, Name: "every", Expr: mustParse(t, "rate(1 minute)", nil)}
	got := runFake(t, t0, []*Schedule{rate}, []time.Time{t0.Add(time.Hour + 10*time.Second), t0.Add(time.Hour + 70*time.Second)})
	want := []time.Time{t0.Add(time.Hour), t0.Add(time.Hour + time.Minute)}
	if len(got) != len(want) || !got[0].at.Equal(want[0]) || !got[1].at.Equal(want[1]) {
		t.Fatalf("firings %v, want at %v", got, want)
	}
}

// TestScheduleRunEnds: a one-time schedule, and one whose End has passed,
// fire no more; the scheduler returns when none is left.
func TestScheduleRunEnds(t *testing.T) {
	t.Parallel()
	at := &Schedule{Function: "F", Event: "Once", Kind: Scheduler, Name: "once", Expr: mustParse(t, "at(2026-03-01T10:05:00)", nil)}
	bounded := &Schedule{Function: "F", Event: "Bounded", Kind: Scheduler, Name: "b", Expr: mustParse(t, "rate(2 minutes)", nil),
		Start: t0.Add(-30 * time.Second), End: t0.Add(4 * time.Minute)}
	got := runFake(t, t0, []*Schedule{at, bounded}, []time.Time{t0.Add(2 * time.Minute), t0.Add(10 * time.Minute)})
	sortFirings(got)
	// Bounded counts from Start (10:00:00): 10:02, 10:04; then past End.
	want := []firing{
		{"Bounded", time.Date(2026, 3, 1, 10, 2, 0, 0, time.UTC)},
		{"Bounded", time.Date(2026, 3, 1, 10, 4, 0, 0, time.UTC)},
		{"Once", time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC)},
	}
	if len(got) != len(want) {
		t.Fatalf("firings %v, want %v", got, want)
	}
	for i := range want {
		if got[i].event != want[i].event || !got[i].at.Equal(want[i].at) {
			t.Fatalf("firings %v, want %v", got, want)
		}
	}
}

// TestScheduleRunStops: the scheduler returns when its context ends.
func TestScheduleRunStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s := &Schedule{Function: "F", Event: "E", Kind: Rule, Name: "r", Expr: mustParse(t, "rate(1 day)", nil)}
	go func() {
		Run(ctx, []*Schedule{s}, nil, nil, func(context.Context, *Schedule, time.Time) { t.Error("fired") })
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

// TestSchedulePayload checks the events AWS delivers: EventBridge's
// Scheduled Event for a rule, Scheduler's default notification, and Input
// verbatim.
func TestSchedulePayload(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 10, 2, 0, 0, time.FixedZone("x", 3600))
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, tc := range []struct {
		s    Schedule
		want map[string]any
	}{
		{Schedule{Kind: Rule, Name: "MyRule"}, map[string]any{
			"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
			"time": "2026-03-01T09:02:00Z", "region": "eu-west-1",
			"resources": []any{"arn:aws:events:eu-west-1:123456789012:rule/MyRule"}, "detail": map[string]any{},
		}},
		{Schedule{Kind: Scheduler, Name: "Nightly"}, map[string]any{
			"version": "0", "detail-type": "Scheduled Event", "source": "aws.scheduler", "account": "123456789012",
			"time": "2026-03-01T09:02:00Z", "region": "eu-west-1",
			"resources": []any{"arn:aws:scheduler:eu-west-1:123456789012:schedule/default/Nightly"}, "detail": "{}",
		}},
		{Schedule{Kind: Scheduler, Name: "N", Group: "jobs"}, map[string]any{
			"resources": []any{"arn:aws:scheduler:eu-west-1:123456789012:schedule/jobs/N"},
		}},
	} {
		b, err := tc.s.Payload(at, "eu-west-1", "123456789012")
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		for k, v := range tc.want {
			if gb, _ := json.Marshal(got[k]); string(gb) != mustJSON(v) {
				t.Errorf("%s: %s = %s, want %s", tc.s.Name, k, gb, mustJSON(v))
			}
		}
		if id, _ := got["id"].(string); !uuid.MatchString(id) {
			t.Errorf("%s: id %q is not a UUID", tc.s.Name, id)
		}
	}
	in := Schedule{Kind: Rule, Name: "r", Input: json.RawMessage(`{"job": "cleanup"}`)}
	if b, _ := in.Payload(at, "eu-west-1", "123456789012"); string(b) != `{"job": "cleanup"}` {
		t.Errorf("with Input: %s, want the Input verbatim", b)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestScheduleFirst: a rate counts from now in whole seconds, or from
// Start; a cron is its next time at or after Start; End stops both.
func TestScheduleFirst(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 10, 0, 30, 500_000_000, time.UTC)
	for _, tc := range []struct {
		s    Schedule
		want time.Time
	}{
		{Schedule{Expr: mustParse(t, "rate(1 minute)", nil)}, time.Date(2026, 3, 1, 10, 1, 30, 0, time.UTC)},
		{Schedule{Expr: mustParse(t, "rate(1 hour)", nil), Start: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		{Schedule{Expr: mustParse(t, "rate(1 hour)", nil), Start: time.Date(2026, 3, 1, 8, 15, 0, 0, time.UTC)}, time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC)},
		{Schedule{Expr: mustParse(t, "cron(0 * * * ? *)", nil), Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{Schedule{Expr: mustParse(t, "cron(0 12 * * ? *)", nil), End: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)}, time.Time{}},
		{Schedule{Expr: mustParse(t, "at(2026-01-01T00:00:00)", nil)}, time.Time{}},
	} {
		if got := tc.s.First(now); !got.Equal(tc.want) {
			t.Errorf("%s (Start %s, End %s): First = %s, want %s", tc.s.Expr, tc.s.Start, tc.s.End, got, tc.want)
		}
	}
}
