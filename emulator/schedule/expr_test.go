package schedule

import (
	"strings"
	"testing"
	"time"
)

// TestScheduleParseErrors checks that each malformed expression is refused
// with a message naming what is wrong and where.
func TestScheduleParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ expr, want string }{
		{"", "want rate(value unit), cron("},
		{"every(5 minutes)", "want rate(value unit)"},
		{"rate(5)", "want rate(value unit)"},
		{"rate(0 minutes)", "positive integer"},
		{"rate(-1 minutes)", "positive integer"},
		{"rate(+5 minutes)", "positive integer"},
		{"rate(1.5 hours)", "positive integer"},
		{"rate(5 seconds)", "minute(s), hour(s) or day(s)"},
		{"rate(5 weeks)", "minute(s), hour(s) or day(s)"},
		{"rate(1 minutes)", "want rate(1 minute): a value of 1 takes the singular unit"},
		{"rate(5 minute)", "want rate(5 minutes)"},
		{"rate(2 day)", "want rate(2 days)"},
		{"cron(0 12 * * ?)", "want 6 fields"},
		{"cron(0 0 12 * * ? *)", "want 6 fields"},
		{"cron(60 12 * * ? *)", "minutes: bad value \"60\": want 0-59"},
		{"cron(0 24 * * ? *)", "hours: bad value \"24\""},
		{"cron(0 12 32 * ? *)", "day-of-month: bad value \"32\""},
		{"cron(0 12 0 * ? *)", "day-of-month: bad value \"0\""},
		{"cron(0 12 * 13 ? *)", "month: bad value \"13\""},
		{"cron(0 12 * FOO ? *)", "month: bad value \"FOO\""},
		{"cron(0 12 ? * 8 *)", "day-of-week: bad value \"8\""},
		{"cron(0 12 ? * 0 *)", "day-of-week: bad value \"0\""},
		{"cron(0 12 * * ? 1969)", "year: bad value \"1969\""},
		{"cron(0 12 * * ? 2200)", "year: bad value \"2200\""},
		{"cron(0 12 * * * *)", "one of day-of-month and day-of-week must be ?"},
		{"cron(0 12 1 * MON *)", "one of day-of-month and day-of-week must be ?"},
		{"cron(0 12 ? * ? *)", "one of day-of-month and day-of-week must be ?"},
		{"cron(0 12 ? * 2#6 *)", "day-of-week: bad \"2#6\""},
		{"cron(0 12 ? * 3#1,6#3 *)", "day-of-week: bad \"3#1,6#3\": with #, the field holds one day#n"},
		{"cron(0 12 ? * */2 *)", "day-of-week: bad \"*/2\": day-of-week takes no / increments"},
		{"cron(0 12 ? * MON/2 *)", "day-of-week takes no / increments"},
		{"cron(0 12 ? * 9#1 *)", "day-of-week: bad day \"9\""},
		{"cron(0 12 ? * 9L *)", "day-of-week: bad day \"9\""},
		{"cron(0 12 32W * ? *)", "day-of-month: bad \"32W\""},
		{"cron(0 12 0W * ? *)", "day-of-month: bad \"0W\""},
		{"cron(0/0 12 * * ? *)", "minutes: bad step"},
		{"cron(10-5 12 * * ? *)", "minutes: bad range"},
		{"cron(0,,5 12 * * ? *)", "minutes: bad value \"\""},
		{"cron(? 12 * * ? *)", "minutes: bad value \"?\""},
		{"at(2026-13-01T00:00:00)", "want at(yyyy-mm-ddThh:mm:ss)"},
		{"at(2026-01-01 00:00:00)", "want at(yyyy-mm-ddThh:mm:ss)"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := Parse(tc.expr, nil)
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want one containing %q", tc.expr, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse(%q) = %q, want it to contain %q", tc.expr, err, tc.want)
			}
		})
	}
}

// TestScheduleParseAccepts checks expressions from AWS's documentation and
// other valid forms.
func TestScheduleParseAccepts(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		"rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
		"cron(0 10 * * ? *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)",
		"cron(0/15 * * * ? *)", "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)",
		"cron(0 9 ? * 2#1 *)", "cron(0 0 L * ? *)", "cron(0 0 LW * ? *)", "cron(0 0 15W * ? *)",
		"cron(0 0 ? * 5L *)", "cron(0 0 ? * L *)", "cron(0 0 1,15 JAN,jul ? 2026-2030)", "cron(* * * * ? *)",
		" cron(0 0 * * ? *) ", "at(2026-06-01T12:00:00)",
	} {
		e, err := Parse(expr, nil)
		if err != nil {
			t.Errorf("Parse(%q): %v", expr, err)
			continue
		}
		if e.String() != strings.TrimSpace(expr) {
			t.Errorf("Parse(%q).String() = %q", expr, e.String())
		}
	}
}

// TestScheduleNext checks Next against times worked out by hand.
func TestScheduleNext(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tz database: %v", err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		expr string
		loc  *time.Location
		from string
		want []string // successive Next times; "" for none
	}{
		{"rate(1 minute)", nil, "2026-01-01T00:00:30Z", []string{"2026-01-01T00:01:30Z", "2026-01-01T00:02:30Z"}},
		{"rate(2 hours)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-01T02:00:00Z"}},
		{"rate(1 day)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-02T00:00:00Z"}},
		// every minute: strictly after, on whole minutes
		{"cron(* * * * ? *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"}},
		{"cron(* * * * ? *)", nil, "2026-01-01T00:00:59.9Z", []string{"2026-01-01T00:01:00Z"}},
		{"cron(0/15 * * * ? *)", nil, "2026-01-01T00:07:00Z", []string{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"}},
		// AWS's example: 1/10 is every tenth minute from the first
		{"cron(1/10 * * * ? *)", nil, "2026-01-01T00:05:00Z", []string{"2026-01-01T00:11:00Z", "2026-01-01T00:21:00Z"}},
		{"cron(0 0 1 JAN-MAR ? *)", nil, "2026-02-15T00:00:00Z", []string{"2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z"}},
		{"cron(0 0 ? * 6-7,1 *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-09T00:00:00Z"}},
		{"cron(5,10-12 * * * ? *)", nil, "2026-01-01T00:06:00Z", []string{"2026-01-01T00:10:00Z", "2026-01-01T00:11:00Z", "2026-01-01T00:12:00Z", "2026-01-01T01:05:00Z"}},
		{"cron(0 10 * * ? *)", nil, "2026-01-01T10:00:00Z", []string{"2026-01-02T10:00:00Z"}},
		// New Year's Eve rolls into the next year
		{"cron(30 23 31 12 ? *)", nil, "2026-12-31T23:30:00Z", []string{"2027-12-31T23:30:00Z"}},
		// 2026-01-01 is a Thursday; MON-FRI skips the weekend
		{"cron(0 18 ? * MON-FRI *)", nil, "2026-01-02T18:00:00Z", []string{"2026-01-05T18:00:00Z"}},
		// day-of-week numbers: 1 is Sunday, 7 Saturday
		{"cron(0 0 ? * 1 *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-04T00:00:00Z"}},
		{"cron(0 0 ? * 7 *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-03T00:00:00Z"}},
		{"cron(0 0 ? * sun *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-04T00:00:00Z"}},
		// L alone in day-of-week is Saturday
		{"cron(0 0 ? * L *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-03T00:00:00Z"}},
		// leap years: 29 February
		{"cron(0 0 29 2 ? *)", nil, "2026-01-01T00:00:00Z", []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"cron(0 0 L 2 ? *)", nil, "2027-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z"}},
		// 2100 is not a leap year
		{"cron(0 0 29 2 ? 2097-2104)", nil, "2096-03-01T00:00:00Z", []string{"2104-02-29T00:00:00Z", ""}},
		// L: last day of each month
		{"cron(0 0 L * ? *)", nil, "2026-01-31T00:00:00Z", []string{"2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z"}},
		// 5L: the last Thursday (January 2026: the 29th; February: the 26th)
		{"cron(0 0 ? * 5L *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-29T00:00:00Z", "2026-02-26T00:00:00Z"}},
		{"cron(0 0 ? * THUL *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-29T00:00:00Z"}},
		// #: 3#2 is the second Tuesday; 2#1 the first Monday
		{"cron(0 9 ? * 3#2 *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-13T09:00:00Z", "2026-02-10T09:00:00Z"}},
		{"cron(0 9 ? * MON#1 *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-05T09:00:00Z", "2026-02-02T09:00:00Z"}},
		// a fifth Friday: January 2026 has one (the 30th), February not,
		// May does (the 29th)
		{"cron(0 0 ? * 6#5 *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-30T00:00:00Z", "2026-05-29T00:00:00Z"}},
		// W: the weekday nearest the 15th. 2026-02-15 is a Sunday, so
		// Monday 16th; 2026-03-15 is a Sunday too; 2026-08-15 a Saturday,
		// so Friday 14th.
		{"cron(0 0 15W * ? *)", nil, "2026-02-01T00:00:00Z", []string{"2026-02-16T00:00:00Z", "2026-03-16T00:00:00Z", "2026-04-15T00:00:00Z"}},
		{"cron(0 0 15W 8 ? *)", nil, "2026-01-01T00:00:00Z", []string{"2026-08-14T00:00:00Z"}},
		// 1W on a Saturday stays in the month: Monday the 3rd
		// (2026-08-01 is a Saturday)
		{"cron(0 0 1W 8 ? *)", nil, "2026-01-01T00:00:00Z", []string{"2026-08-03T00:00:00Z"}},
		// 31W on a Sunday stays in the month: Friday the 29th
		// (2026-05-31 is a Sunday)
		{"cron(0 0 31W 5 ? *)", nil, "2026-01-01T00:00:00Z", []string{"2026-05-29T00:00:00Z"}},
		// LW: the last weekday (2026-01-31 is a Saturday)
		{"cron(0 0 LW * ? *)", nil, "2026-01-01T00:00:00Z", []string{"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z"}},
		// year ranges end
		{"cron(0 0 1 1 ? 2026-2027)", nil, "2026-06-01T00:00:00Z", []string{"2027-01-01T00:00:00Z", ""}},
		{"cron(0 0 1 1 ? 2020)", nil, "2026-06-01T00:00:00Z", []string{""}},
		{"cron(0 0 31 2 ? *)", nil, "2026-06-01T00:00:00Z", []string{""}},
		{"cron(0 0 * * ? 2199)", nil, "2199-12-31T00:00:00Z", []string{""}},
		// one-time
		{"at(2026-06-01T12:00:00)", nil, "2026-01-01T00:00:00Z", []string{"2026-06-01T12:00:00Z", ""}},
		{"at(2026-06-01T12:00:00)", ny, "2026-01-01T00:00:00Z", []string{"2026-06-01T16:00:00Z", ""}},
		// a timezone: 9:00 in New York is 14:00 UTC in winter and 13:00
		// in summer
		{"cron(0 9 * * ? *)", ny, "2026-03-07T00:00:00Z", []string{"2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z"}},
		// spring forward (2026-03-08, 2:00 EST becomes 3:00 EDT): 2:30
		// does not exist that day and is skipped
		{"cron(30 2 * * ? *)", ny, "2026-03-07T08:00:00Z", []string{"2026-03-09T06:30:00Z"}},
		{"cron(0 * * * ? *)", ny, "2026-03-08T06:00:00Z", []string{"2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}},
		// fall back (2026-11-01, 2:00 EDT becomes 1:00 EST): 1:30 happens
		// twice and fires once, the first time
		{"cron(30 1 * * ? *)", ny, "2026-11-01T04:00:00Z", []string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{"cron(0 * * * ? *)", ny, "2026-11-01T04:30:00Z", []string{"2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"}},
		// a rate is a duration: DST does not move it
		{"rate(1 hour)", ny, "2026-11-01T05:00:00Z", []string{"2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"}},
	} {
		t.Run(tc.expr+"@"+tc.from, func(t *testing.T) {
			e, err := Parse(tc.expr, tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			at := utc(tc.from)
			for i, w := range tc.want {
				got := e.Next(at)
				if w == "" {
					if !got.IsZero() {
						t.Fatalf("Next #%d after %s = %s, want none", i+1, at, got.UTC())
					}
					return
				}
				if !got.Equal(utc(w)) {
					t.Fatalf("Next #%d after %s = %s, want %s", i+1, at.UTC(), got.UTC(), w)
				}
				at = got
			}
		})
	}
}

// FuzzScheduleParse checks that Parse never panics and that Next of what it
// accepts moves forward.
func FuzzScheduleParse(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "cron(0 0 ? * 5L *)", "cron(0/5 8-17 15W * ? 2026-2030)", "at(2026-01-01T00:00:00)"} {
		f.Add(s)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s, nil)
		if err != nil {
			return
		}
		if n := e.Next(from); !n.IsZero() && !n.After(from) {
			t.Fatalf("%s: Next(%s) = %s, not after", s, from, n)
		}
	})
}

// TestScheduleNextOracle checks Next against a brute-force walk, minute by
// minute, around the daylight-saving changes of two zones (a one-hour
// change and Lord Howe's half hour) and a leap day: the first instant
// after t whose wall-clock time matches and is the first instant with that
// wall-clock time (a repeated time fires once).
func TestScheduleNextOracle(t *testing.T) {
	t.Parallel()
	var zones []*time.Location
	for _, name := range []string{"America/New_York", "Australia/Lord_Howe", "UTC"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Skipf("no tz database: %v", err)
		}
		zones = append(zones, loc)
	}
	exprs := []string{
		"cron(* * * * ? *)", "cron(0/7 * * * ? *)", "cron(30 1-3 * * ? *)", "cron(0,30 2 * * ? *)",
		"cron(15 * ? * SUN *)", "cron(59 23 L * ? *)", "cron(0 0 29 2 ? *)", "cron(45 1 ? * 1#1 *)",
	}
	starts := []time.Time{
		time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC),   // New York springs forward at 07:00Z
		time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC),  // and falls back at 06:00Z
		time.Date(2026, 4, 4, 13, 0, 0, 0, time.UTC),  // Lord Howe falls back half an hour at 15:00Z
		time.Date(2026, 10, 3, 14, 0, 0, 0, time.UTC), // and springs forward at 15:30Z
		time.Date(2028, 2, 28, 22, 0, 0, 0, time.UTC), // before a leap day
	}
	const horizon = 3 * 24 * 60 // minutes walked
	for _, loc := range zones {
		for _, expr := range exprs {
			e, err := Parse(expr, loc)
			if err != nil {
				t.Fatal(err)
			}
			c := e.(*Cron)
			matches := func(u time.Time) bool {
				w := u.In(loc)
				if !c.minute.has(w.Minute(), 0) || !c.hour.has(w.Hour(), 0) || !c.month.has(int(w.Month()), 1) ||
					!c.year.has(w.Year(), minYear) || !c.dayMatches(w.Year(), w.Month(), w.Day()) {
					return false
				}
				first, ok := wallTime(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), loc)
				return ok && first.Equal(u)
			}
			for _, from := range starts {
				at := from
				for range 5 {
					got := e.Next(at)
					want := time.Time{}
					for i, u := 0, at.Truncate(time.Minute).Add(time.Minute); i < horizon; i, u = i+1, u.Add(time.Minute) {
						if matches(u) {
							want = u
							break
						}
					}
					if want.IsZero() {
						break // beyond the walk; Next is checked elsewhere
					}
					if !got.Equal(want) {
						t.Fatalf("%s in %s: Next(%s) = %s, want %s", expr, loc, at.UTC(), got.UTC(), want.UTC())
					}
					at = got
				}
			}
		}
	}
}
