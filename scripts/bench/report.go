package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// row is one line of the table.
type row struct {
	name   string
	module string // "tiny", "go", "c", "floor"
	kind   string // "naive", "fresco", "native" or "http"
	conc   int    // parallel clients; 1 for the in-process rows
	// key and suffix name the row's figures in the RESULT line, as
	// key+"_p50_us"+suffix.
	key, suffix string

	n         int // successful invocations measured
	truncated bool
	p50, p99  time.Duration
	rate      float64 // successful invocations per second
	errors    int
	firstErr  string
	// xNaive is naive p50 / p50 ("x times faster" than the naive run of
	// the same module); xNative is p50 / native p50 ("x times the
	// floor"). Zero where it does not apply.
	xNaive, xNative float64
	// cpuPerReq is the µs of CPU a request of an HTTP row cost the
	// machine (this process and its children); 0 where not measured.
	cpuPerReq float64
}

// rowNames lists every row, in the table's order.
func rowNames() []string {
	var names []string
	for _, m := range modules {
		names = append(names, m.key+"/naive", m.key+"/fresco")
		if m.key == "go" {
			names = append(names, "go/native")
		}
	}
	names = append(names, egressRowNames...)
	for _, t := range targets {
		names = append(names, t.rowName(1), t.rowName(concurrency))
	}
	return append(names, hostioRowNames...)
}

// sections are what -only can name besides rows: parts of the run that
// report notes rather than a row of the table (timeoutLateness).
var sections = []string{"timeouts"}

// newRow names a row from its name: "go/fresco", "http/c/c32".
func newRow(name string) *row {
	r := &row{name: name, conc: 1}
	parts := strings.Split(name, "/")
	if parts[0] == "http" {
		r.module, r.kind, r.key = parts[1], "http", "http_"+parts[1]
		fmt.Sscanf(parts[2], "c%d", &r.conc)
		if r.conc != 1 {
			r.suffix = "_" + parts[2]
		}
		return r
	}
	r.module, r.kind = parts[0], parts[1]
	r.key = r.module
	if r.kind != "fresco" {
		r.key += "_" + r.kind
	}
	for _, p := range parts[2:] {
		r.key += "_" + strings.ReplaceAll(p, "-", "_")
	}
	return r
}

func (r *row) String() string {
	s := fmt.Sprintf("%-15s n=%d p50=%s p99=%s %.0f/s", r.name, r.n, fmtDur(r.p50), fmtDur(r.p99), r.rate)
	if r.errors > 0 {
		s += fmt.Sprintf(" errors=%d (first: %s)", r.errors, r.firstErr)
	}
	return s
}

// rate fills the ratios: to the naive row of the same module, and to the
// native Hello handler for the rows that run Hello (in Go or C). Loaded
// rows (more than one client) have none: their latency includes queueing.
func rate(rows []*row) {
	naive := map[string]time.Duration{}
	var native time.Duration
	for _, r := range rows {
		switch r.kind {
		case "naive":
			naive[r.module] = r.p50
		case "native":
			if r.module == "go" {
				native = r.p50
			}
		}
	}
	for _, r := range rows {
		if r.p50 <= 0 || r.conc != 1 {
			continue
		}
		if n := naive[r.module]; n > 0 && r.kind != "naive" {
			r.xNaive = float64(n) / float64(r.p50)
		}
		if native > 0 && (r.module == "go" || r.module == "c") && r.kind != "native" {
			r.xNative = float64(r.p50) / float64(native)
		}
	}
}

func totalErrors(rows []*row) int {
	n := 0
	for _, r := range rows {
		n += r.errors
	}
	return n
}

// machineInfo describes where the figures were taken.
type machineInfo struct {
	platform, cpu, goVersion string
	cpus, procs              int
	loadBefore, loadAfter    string
	elapsed                  time.Duration
}

func machine() *machineInfo {
	return &machineInfo{
		platform:   runtime.GOOS + "/" + runtime.GOARCH,
		cpu:        cpuModel(),
		goVersion:  runtime.Version(),
		cpus:       runtime.NumCPU(),
		procs:      runtime.GOMAXPROCS(0),
		loadBefore: loadAverage(),
	}
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage is the 1, 5 and 15 minute load of /proc/loadavg, or "n/a".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "n/a"
}

// report writes the header, the table, its legend and the RESULT line,
// last.
func report(w io.Writer, cfg *config, m *machineInfo, rows []*row) {
	mode := "default"
	if cfg.short {
		mode = "short"
	}
	fmt.Fprintf(w, "fresco bench (%s run, %s)\n", mode, m.elapsed.Round(100*time.Millisecond))
	fmt.Fprintf(w, "machine:  %s, %d CPUs, GOMAXPROCS %d, %s, %s\n", m.platform, m.cpus, m.procs, m.cpu, m.goVersion)
	fmt.Fprintf(w, "load:     %s before, %s after (1/5/15 min; other work on the machine moves these figures)\n", m.loadBefore, m.loadAfter)
	fmt.Fprintf(w, "settings: in-process rows %d sequential invocations after %d warm-up; HTTP rows %s each after a warm-up, keep-alive clients; payload %s\n\n",
		cfg.n, cfg.warmup, cfg.duration, payload)

	width := len("row")
	for _, r := range rows {
		width = max(width, len(r.name))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tn\tp50\tp99\tinv/s\tx naive\tx native\terrors\t\n", width, "row")
	truncated := false
	for _, r := range rows {
		n := fmt.Sprint(r.n)
		if r.truncated {
			n += "*"
			truncated = true
		}
		fmt.Fprintf(tw, "%-*s\t%s\t%s\t%s\t%.0f\t%s\t%s\t%d\t\n",
			width, r.name, n, fmtDur(r.p50), fmtDur(r.p99), r.rate, fmtRatio(r.xNaive), fmtRatio(r.xNative), r.errors)
	}
	tw.Flush()

	fmt.Fprintln(w)
	fmt.Fprintln(w, "naive:  scripts/bench/naive.Baseline, a default wazero runtime and a plain InstantiateModule per call")
	fmt.Fprintln(w, "fresco: wasmhost.Module.Invoke: every call on an instance at the function's pre-initialised image, with limits and log capture")
	fmt.Fprintln(w, "native: samples/hello's handler called in-process via aws-lambda-go lambda.NewHandler")
	fmt.Fprintln(w, "http/*: server.Serve on 127.0.0.1 (floor: a net/http echo), cN = N keep-alive clients")
	fmt.Fprintln(w, "http/native: samples/hello built natively (FrescoMode native), warm Runtime API processes with aws-lambda-go's client")
	fmt.Fprintln(w, "x naive = naive p50 / row p50 for the same module (times faster); x native = row p50 / go/native p50 (times the floor)")
	if truncated {
		fmt.Fprintf(w, "* stopped at the %s row limit before -n invocations\n", cfg.rowLimit)
	}
	for _, r := range rows {
		if r.errors > 0 {
			fmt.Fprintf(w, "%s: %d errors, first: %s\n", r.name, r.errors, r.firstErr)
		}
	}
	extras.Lock()
	for _, l := range extras.lines {
		fmt.Fprintln(w, l)
	}
	extras.Unlock()
	fmt.Fprintln(w)
	fmt.Fprintln(w, resultLine(cfg, m, rows))
}

// resultLine is "RESULT k=v ...": latencies in µs with one decimal, rates
// as integers, ratios with two decimals, for the rows that ran.
func resultLine(cfg *config, m *machineInfo, rows []*row) string {
	var kv []string
	add := func(k, format string, v any) { kv = append(kv, k+"="+fmt.Sprintf(format, v)) }
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	short := 0
	if cfg.short {
		short = 1
	}
	add("short", "%d", short)
	add("n", "%d", cfg.n)
	add("duration_ms", "%d", cfg.duration.Milliseconds())
	add("cpus", "%d", m.cpus)
	inproc, httpErrs := 0, 0
	for _, r := range rows {
		add(r.key+"_p50_us"+r.suffix, "%.1f", us(r.p50))
		add(r.key+"_p99_us"+r.suffix, "%.1f", us(r.p99))
		if r.kind == "http" {
			add(r.key+"_rps"+r.suffix, "%.0f", r.rate)
			httpErrs += r.errors
		} else {
			add(r.key+"_inv_s", "%.0f", r.rate)
			inproc += r.errors
		}
		if r.xNaive > 0 {
			add(r.key+"_x_naive"+r.suffix, "%.2f", r.xNaive)
		}
		if r.xNative > 0 {
			add(r.key+"_x_native"+r.suffix, "%.2f", r.xNative)
		}
	}
	extras.Lock()
	kv = append(kv, extras.kv...)
	extras.Unlock()
	add("inproc_errors", "%d", inproc)
	add("http_errors", "%d", httpErrs)
	return "RESULT " + strings.Join(kv, " ")
}

func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

func fmtRatio(x float64) string {
	if x <= 0 {
		return "-"
	}
	if x >= 100 {
		return fmt.Sprintf("%.0fx", x)
	}
	return fmt.Sprintf("%.2fx", x)
}
