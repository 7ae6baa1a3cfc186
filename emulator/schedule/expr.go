package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Expression is a parsed schedule expression.
type Expression interface {
	// Next is the first time strictly after t at which the schedule fires,
	// or the zero time when it never fires again.
	Next(t time.Time) time.Time
	// String is the expression as written.
	String() string
}

// Rate is rate(value unit): every Every, counted from when the schedule
// starts (as EventBridge counts from the rule's creation).
type Rate struct {
	Every time.Duration
	text  string
}

// Next is t + Every.
func (r Rate) Next(t time.Time) time.Time { return t.Add(r.Every) }

func (r Rate) String() string { return r.text }

// Parse parses rate(value unit) or cron(min hour dom month dow year), and
// at(yyyy-mm-ddThh:mm:ss) (ScheduleV2's one-time schedules), in loc (UTC
// when nil).
func Parse(s string, loc *time.Location) (Expression, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	inner := func(prefix string) (string, bool) {
		if strings.HasPrefix(s, prefix+"(") && strings.HasSuffix(s, ")") {
			return strings.TrimSpace(s[len(prefix)+1 : len(s)-1]), true
		}
		return "", false
	}
	if in, ok := inner("rate"); ok {
		return parseRate(s, in)
	}
	if in, ok := inner("cron"); ok {
		c, err := parseCron(in, loc)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", s, err)
		}
		c.text = s
		return c, nil
	}
	if in, ok := inner("at"); ok {
		t, err := time.ParseInLocation("2006-01-02T15:04:05", in, loc)
		if err != nil {
			return nil, fmt.Errorf("parse %s: want at(yyyy-mm-ddThh:mm:ss)", s)
		}
		return At{When: t, text: s}, nil
	}
	return nil, fmt.Errorf("parse %q: want rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)", s)
}

func parseRate(s, in string) (Expression, error) {
	f := strings.Fields(in)
	if len(f) != 2 {
		return nil, fmt.Errorf("parse %s: want rate(value unit)", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || f[0][0] == '+' {
		return nil, fmt.Errorf("parse %s: the value must be a positive integer", s)
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit := strings.TrimSuffix(f[1], "s")
	d, ok := units[unit]
	if !ok {
		return nil, fmt.Errorf("parse %s: the unit must be minute(s), hour(s) or day(s)", s)
	}
	// AWS wants the singular for 1 and the plural otherwise.
	if (n == 1) != (f[1] == unit) {
		want := unit
		if n != 1 {
			want += "s"
		}
		return nil, fmt.Errorf("parse %s: want rate(%d %s): a value of 1 takes the singular unit, others the plural", s, n, want)
	}
	return Rate{Every: time.Duration(n) * d, text: s}, nil
}

// At is at(...): once.
type At struct {
	When time.Time
	text string
}

// Next is When if it is after t.
func (a At) Next(t time.Time) time.Time {
	if a.When.After(t) {
		return a.When
	}
	return time.Time{}
}

func (a At) String() string { return a.text }

// Cron is a cron(...) expression.
type Cron struct {
	minute, hour, month, year set
	dom                       domSpec
	dow                       dowSpec
	loc                       *time.Location
	text                      string
}

func (c *Cron) String() string { return c.text }

// set is the allowed values of a field, as bits (years offset by 1970).
type set []bool

type domSpec struct {
	any     bool // ? or *
	values  set
	last    bool // L: the last day of the month
	lastOff int  // L-n
	weekday int  // nW: the weekday nearest day n; -1 for none
	lastW   bool // LW: the last weekday of the month
}

type dowSpec struct {
	any    bool
	values set // 1..7, SUN=1
	lastOf int // nL: the last day n of the month; 0 for none
	nth    [2]int
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

const minYear, maxYear = 1970, 2199

func parseCron(in string, loc *time.Location) (*Cron, error) {
	f := strings.Fields(in)
	if len(f) != 6 {
		return nil, fmt.Errorf("want 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	c := &Cron{loc: loc}
	var err error
	if c.minute, err = parseField(f[0], 0, 59, nil); err != nil {
		return nil, fmt.Errorf("minutes: %w", err)
	}
	if c.hour, err = parseField(f[1], 0, 23, nil); err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	if c.month, err = parseField(f[3], 1, 12, monthNames); err != nil {
		return nil, fmt.Errorf("month: %w", err)
	}
	if c.year, err = parseField(f[5], minYear, maxYear, nil); err != nil {
		return nil, fmt.Errorf("year: %w", err)
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, errors.New("one of day-of-month and day-of-week must be ?, and only one")
	}
	if c.dom, err = parseDOM(f[2]); err != nil {
		return nil, fmt.Errorf("day-of-month: %w", err)
	}
	if c.dow, err = parseDOW(f[4]); err != nil {
		return nil, fmt.Errorf("day-of-week: %w", err)
	}
	return c, nil
}

func parseDOM(s string) (domSpec, error) {
	d := domSpec{weekday: -1}
	switch {
	case s == "?" || s == "*":
		d.any = true
	case s == "L":
		d.last = true
	case s == "LW":
		d.lastW = true
	case strings.HasPrefix(s, "L-"):
		n, err := strconv.Atoi(s[2:])
		if err != nil || n < 0 || n > 30 {
			return d, fmt.Errorf("bad %q", s)
		}
		d.last, d.lastOff = true, n
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n < 1 || n > 31 {
			return d, fmt.Errorf("bad %q: want nW with n from 1 to 31", s)
		}
		d.weekday = n
	default:
		v, err := parseField(s, 1, 31, nil)
		if err != nil {
			return d, err
		}
		d.values = v
	}
	return d, nil
}

func parseDOW(s string) (dowSpec, error) {
	var d dowSpec
	day := func(s string) (int, error) {
		if n, ok := dayNames[strings.ToUpper(s)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 7 {
			return 0, fmt.Errorf("bad day %q: want 1-7 or SUN-SAT", s)
		}
		return n, nil
	}
	switch {
	case s == "?" || s == "*":
		d.any = true
	case s == "L":
		// L alone is the last day of the week: Saturday.
		d.values = make(set, 7)
		d.values[6] = true
	case strings.HasSuffix(s, "L"):
		n, err := day(s[:len(s)-1])
		if err != nil {
			return d, err
		}
		d.lastOf = n
	case strings.Contains(s, "#"):
		if strings.ContainsAny(s, ",-/") {
			return d, fmt.Errorf("bad %q: with #, the field holds one day#n and nothing else", s)
		}
		a, b, _ := strings.Cut(s, "#")
		n, err := day(a)
		if err != nil {
			return d, err
		}
		k, err := strconv.Atoi(b)
		if err != nil || k < 1 || k > 5 {
			return d, fmt.Errorf("bad %q: want day#n with n from 1 to 5", s)
		}
		d.nth = [2]int{n, k}
	case strings.Contains(s, "/"):
		// AWS's day-of-week takes , - * ? L and #, not increments.
		return d, fmt.Errorf("bad %q: day-of-week takes no / increments", s)
	default:
		v, err := parseField(s, 1, 7, dayNames)
		if err != nil {
			return d, err
		}
		d.values = v
	}
	return d, nil
}

// parseField parses a list of *, n, a-b, */k, n/k and a-b/k.
func parseField(s string, lo, hi int, names map[string]int) (set, error) {
	out := make(set, hi-lo+1)
	num := func(p string) (int, error) {
		if n, ok := names[strings.ToUpper(p)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("bad value %q: want %d-%d", p, lo, hi)
		}
		return n, nil
	}
	for _, part := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad step in %q", part)
			}
			step = n
		}
		a, b := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			var err error
			if a, err = num(x); err != nil {
				return nil, err
			}
			if b, err = num(y); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("bad range %q", rng)
			}
		default:
			n, err := num(rng)
			if err != nil {
				return nil, err
			}
			a = n
			if !hasStep {
				b = n
			}
		}
		for v := a; v <= b; v += step {
			out[v-lo] = true
		}
	}
	return out, nil
}

func (s set) has(v, lo int) bool { return v-lo >= 0 && v-lo < len(s) && s[v-lo] }

// dayMatches reports whether the date (y, m, d) is a day the expression
// fires on.
func (c *Cron) dayMatches(y int, m time.Month, d int) bool {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) + 1 // SUN=1
	if !c.dom.any {
		switch {
		case c.dom.last:
			return d == last-c.dom.lastOff
		case c.dom.lastW:
			return d == nearestWeekday(y, m, last, last)
		case c.dom.weekday > 0:
			n := min(c.dom.weekday, last)
			return d == nearestWeekday(y, m, n, last)
		default:
			return c.dom.values.has(d, 1)
		}
	}
	if !c.dow.any {
		switch {
		case c.dow.lastOf > 0:
			return wd == c.dow.lastOf && d+7 > last
		case c.dow.nth[0] > 0:
			return wd == c.dow.nth[0] && (d-1)/7+1 == c.dow.nth[1]
		default:
			return c.dow.values.has(wd, 1)
		}
	}
	return true
}

// nearestWeekday is the weekday nearest day n of the month, within it.
func nearestWeekday(y int, m time.Month, n, last int) int {
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3 // Monday the 3rd
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

// Next is the first minute strictly after t at which c fires.
func (c *Cron) Next(t time.Time) time.Time {
	t = t.In(c.loc).Truncate(time.Minute).Add(time.Minute)
	for y := t.Year(); y <= maxYear; y++ {
		if !c.year.has(y, minYear) {
			continue
		}
		for m := time.January; m <= time.December; m++ {
			if y == t.Year() && m < t.Month() || !c.month.has(int(m), 1) {
				continue
			}
			last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
			for d := 1; d <= last; d++ {
				first := y == t.Year() && m == t.Month() && d == t.Day()
				if y == t.Year() && m == t.Month() && d < t.Day() || !c.dayMatches(y, m, d) {
					continue
				}
				for h := 0; h < 24; h++ {
					if first && h < t.Hour() || !c.hour.has(h, 0) {
						continue
					}
					for mi := 0; mi < 60; mi++ {
						if first && h == t.Hour() && mi < t.Minute() || !c.minute.has(mi, 0) {
							continue
						}
						// A wall-clock time that daylight saving skips
						// does not fire; one it repeats fires once, at
						// its first instant (as EventBridge Scheduler).
						at, ok := wallTime(y, m, d, h, mi, c.loc)
						if !ok || at.Before(t) {
							continue
						}
						return at
					}
				}
			}
		}
	}
	return time.Time{}
}

// wallTime is the first instant at which the clocks of loc read
// y-m-d h:mi, and false when they never do (a daylight-saving gap).
func wallTime(y int, m time.Month, d, h, mi int, loc *time.Location) (time.Time, bool) {
	w := time.Date(y, m, d, h, mi, 0, 0, time.UTC)
	var best time.Time
	// The offsets in force a day either side cover any one transition.
	for _, probe := range []time.Time{w.Add(-24 * time.Hour), w.Add(24 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		at := w.Add(-time.Duration(off) * time.Second).In(loc)
		if at.Year() != y || at.Month() != m || at.Day() != d || at.Hour() != h || at.Minute() != mi {
			continue
		}
		if best.IsZero() || at.Before(best) {
			best = at
		}
	}
	return best, !best.IsZero()
}
