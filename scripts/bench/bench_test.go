package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRun runs the bench with tiny counts on the rows that need no Go
// build (the minimal and C modules, the raw-ABI egress row and its native
// client, and CHello over HTTP), and checks that
// the report is well-formed and that every invocation answered correctly.
// It asserts no timing.
func TestRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"-n", "3", "-duration", "200ms", "-only", `^(tiny|c)/|^egress/(wat|native)$|^http/c/c1$`}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	out := stdout.String()
	t.Logf("\n%s", out)

	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if !strings.HasPrefix(out, "fresco bench") || !strings.Contains(out, "\nmachine:  ") {
		t.Errorf("report does not start with the machine description")
	}

	// The table: a header, then one line per row that ran, in order.
	wantRows := []string{"tiny/naive", "tiny/fresco", "c/naive", "c/fresco", "egress/wat", "egress/native", "http/c/c1"}
	header := -1
	for i, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "row" {
			header = i
			break
		}
	}
	if header < 0 || header+len(wantRows) >= len(lines) {
		t.Fatalf("no table in the report")
	}
	if got, want := strings.Fields(lines[header]), []string{"row", "n", "p50", "p99", "inv/s", "x", "naive", "x", "native", "errors"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("header %q, want %q", got, want)
	}
	for i, name := range wantRows {
		f := strings.Fields(lines[header+1+i])
		if len(f) != 8 || f[0] != name {
			t.Errorf("table line %d = %q, want 8 columns for %s", i, lines[header+1+i], name)
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSuffix(f[1], "*")); err != nil || n <= 0 {
			t.Errorf("%s: n = %q", name, f[1])
		}
		if f[7] != "0" {
			t.Errorf("%s: %s errors", name, f[7])
		}
	}

	// RESULT: the last line, key=value pairs whose values are numbers.
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "RESULT ") {
		t.Fatalf("last line %q is not the RESULT line", last)
	}
	result := map[string]float64{}
	for _, kv := range strings.Fields(last)[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Errorf("RESULT field %q is not key=value", kv)
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Errorf("RESULT %s=%q is not a number", k, v)
		}
		result[k] = x
	}
	for _, k := range []string{
		"tiny_p50_us", "tiny_naive_p50_us", "tiny_x_naive",
		"c_p50_us", "c_naive_p50_us", "c_x_naive",
		"http_c_p50_us", "http_c_p99_us", "http_c_rps",
		"inproc_errors", "http_errors",
	} {
		x, ok := result[k]
		if !ok {
			t.Errorf("RESULT lacks %s", k)
		} else if strings.HasSuffix(k, "_errors") && x != 0 {
			t.Errorf("RESULT %s=%v, want 0", k, x)
		} else if !strings.HasSuffix(k, "_errors") && x <= 0 {
			t.Errorf("RESULT %s=%v, want a positive figure", k, x)
		}
	}
	for k := range result {
		if strings.HasPrefix(k, "go_") || strings.HasPrefix(k, "http_go") || strings.HasPrefix(k, "http_floor") {
			t.Errorf("RESULT has %s, a row that was not selected", k)
		}
	}
}

func TestRowKeys(t *testing.T) {
	for _, tc := range []struct {
		name, p50Key string
		conc         int
	}{
		{"tiny/fresco", "tiny_p50_us", 1},
		{"tiny/naive", "tiny_naive_p50_us", 1},
		{"go/native", "go_native_p50_us", 1},
		{"http/go/c1", "http_go_p50_us", 1},
		{"http/go/c32", "http_go_p50_us_c32", 32},
		{"http/floor/c1", "http_floor_p50_us", 1},
		{"http/native/c1", "http_native_p50_us", 1},
		{"http/native/c32", "http_native_p50_us_c32", 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRow(tc.name)
			if got := r.key + "_p50_us" + r.suffix; got != tc.p50Key || r.conc != tc.conc {
				t.Errorf("key %q conc %d, want %q %d", got, r.conc, tc.p50Key, tc.conc)
			}
		})
	}
	// Native-warm sits beside wasm-fresh Hello in the RESULT line.
	if r := newRow("http/native/c32"); r.key+"_rps"+r.suffix != "http_native_rps_c32" {
		t.Errorf("http/native/c32 rate key %q", r.key+"_rps"+r.suffix)
	}
	if !strings.Contains(strings.Join(rowNames(), " "), "http/go/c32 http/c/c1 http/c/c32 http/native/c1 http/native/c32") {
		t.Errorf("rows %v lack the native HTTP rows after the wasm ones", rowNames())
	}
	// Every row the bench can run is named consistently.
	for _, name := range rowNames() {
		if r := newRow(name); r.key == "" || r.module == "" {
			t.Errorf("row %s: key %q module %q", name, r.key, r.module)
		}
	}
}

func TestPercentile(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Microsecond
	}
	for _, tc := range []struct {
		lat  []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{lat[:1], 0.99, time.Microsecond},
		{lat, 0.50, 50 * time.Microsecond},
		{lat, 0.99, 99 * time.Microsecond},
		{lat[:10], 0.99, 10 * time.Microsecond},
		{lat[:3], 0.50, 2 * time.Microsecond},
	} {
		if got := percentile(tc.lat, tc.p); got != tc.want {
			t.Errorf("percentile(n=%d, %v) = %v, want %v", len(tc.lat), tc.p, got, tc.want)
		}
	}
}

// TestNaiveRunsGoGuests: the naive baseline links what Go guests import
// (fresco_http, FRESCO_ABI for an unchanged handler's start function), so
// that go/naive and plain/naive answer: both once, with their fresco rows.
func TestNaiveRunsGoGuests(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"-n", "1", "-only", `^(go|plain)/(naive|fresco)$`}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	for _, name := range []string{"go/naive", "go/fresco", "plain/naive", "plain/fresco"} {
		if !strings.Contains(stdout.String(), "\n  "+name+" ") {
			t.Errorf("no %s row:\n%s", name, &stdout)
		}
	}
}
