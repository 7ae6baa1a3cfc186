// Command bench measures fresco end to end, in one process, side by side
// with its yardsticks, and prints a table and a final RESULT line.
//
//	go run ./scripts/bench          # a few minutes at most
//	go run ./scripts/bench -short   # under a minute
//	go run ./scripts/bench -soak 1m # 64 clients against Go and C Hello, a minute each
//
// In-process rows time one invocation, sequentially, for three modules (the
// minimal ABI module, the Go Hello sample, the C Hello sample):
//
//   - naive: scripts/bench/naive.Baseline, a plain wazero InstantiateModule per call;
//   - fresco: wasmhost.Module.Invoke: an instance at the function's
//     pre-initialised image (reset after every invocation), with limits;
//   - native (Hello only): the same handler called in-process through
//     aws-lambda-go's lambda.NewHandler, the floor.
//
// After the fresco rows of the minimal module and of Hello, a soak runs a
// million (Hello: 20,000; a tenth with -short) more invocations and reports
// the resident memory before, at each quarter and after.
//
// Egress rows (egress.go) time an HTTP GET from inside a guest, through
// the host, to a loopback keep-alive server, next to a native Go client.
//
// HTTP rows drive the real server (server.Serve, on a loopback port) with
// keep-alive clients at concurrency 1 and 32, next to a trivial net/http
// echo server, the transport floor, and next to NativeHello: the same Hello
// handler built natively and run by fresco as warm Runtime API processes
// (aws-lambda-go's own client), the native-warm baseline to wasm-fresh.
//
// Every response is checked; wrong answers are counted as errors, never
// hidden. Nothing here asserts a timing: the figures depend on the machine
// and on whatever else runs on it, which is why the machine and its load
// are printed with them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

// payload is the event every row sends; Hello answers helloResponse.
const (
	payload       = `{"name":"Ada"}`
	helloResponse = `{"message":"Hello, Ada!"}`
	// concurrency is the parallel clients of the loaded HTTP rows.
	concurrency = 32
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	short      bool
	n          int           // in-process invocations per row
	warmup     int           // in-process warm-up invocations per row
	rowLimit   time.Duration // an in-process row stops early past this
	duration   time.Duration // per HTTP row
	only       *regexp.Regexp
	cpuprofile string
	fullResets bool          // -full-resets
	soak       time.Duration // -soak: the HTTP soak alone, this long per function
	root       string        // the repository root
	cacheDir   string        // os.UserCacheDir()/fresco
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	short := fs.Bool("short", false, "a quick run (under a minute): fewer invocations, shorter HTTP rows")
	n := fs.Int("n", 0, "in-process invocations per row (default 1000, 200 with -short)")
	duration := fs.Duration("duration", 0, "duration of each HTTP row (default 3s, 1s with -short)")
	only := fs.String("only", "", "run only the rows whose name matches this regexp (e.g. '^c/|^http/c/')")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fullResets := fs.Bool("full-resets", false, "reset instances by copying their whole image (the fallback), for a comparison")
	soak := fs.Duration("soak", 0, "run only the HTTP soak: 64 keep-alive clients against the Go and the C Hello for this long each, with errors, p50/p99, RSS and goroutines before and after")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c := &config{short: *short, n: *n, duration: *duration, cpuprofile: *cpuprofile, soak: *soak, fullResets: *fullResets}
	if c.n <= 0 {
		c.n = 1000
		if c.short {
			c.n = 200
		}
	}
	if c.duration <= 0 {
		c.duration = 3 * time.Second
		if c.short {
			c.duration = time.Second
		}
	}
	// A short warm-up: enough to fault in the code paths and the memory
	// pool, negligible next to the measured invocations.
	c.warmup = min(max(3, c.n/20), 50)
	// The naive Go row costs a full Go runtime start per call: on a slow
	// or busy machine it could run for minutes, so a row stops early once
	// past this and reports how many invocations it measured.
	c.rowLimit = 30 * time.Second
	if c.short {
		c.rowLimit = 8 * time.Second
	}
	re, err := regexp.Compile(*only)
	if err != nil {
		return nil, fmt.Errorf("bad -only: %w", err)
	}
	c.only = re
	if !slices.ContainsFunc(rowNames(), re.MatchString) && !slices.ContainsFunc(sections, re.MatchString) {
		return nil, fmt.Errorf("-only %q matches no row (rows: %s; sections: %s)", *only, strings.Join(rowNames(), " "), strings.Join(sections, " "))
	}
	if c.root, err = repoRoot(); err != nil {
		return nil, err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	c.cacheDir = filepath.Join(base, "fresco")
	return c, nil
}

// run parses args, runs the selected rows and writes the report to stdout;
// progress goes to stderr. It returns an error, after the report, if any
// invocation failed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	progress := func(format string, a ...any) {
		fmt.Fprintf(stderr, "bench: "+format+"\n", a...)
	}
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return fmt.Errorf("create cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	if cfg.soak > 0 {
		return httpSoak(ctx, cfg, cfg.soak, stdout, progress)
	}
	m := machine()
	start := time.Now()
	rows, err := inProcessRows(ctx, cfg, progress)
	if err != nil {
		return err
	}
	hostRows, err := hostioRows(ctx, cfg, progress)
	if err != nil {
		return err
	}
	rows = append(rows, hostRows...)
	egress, err := egressRows(ctx, cfg, progress)
	if err != nil {
		return err
	}
	rows = append(rows, egress...)
	httpRows, err := httpRows(ctx, cfg, progress)
	if err != nil {
		return err
	}
	if err := timeoutLateness(ctx, cfg, progress); err != nil {
		return err
	}
	rows = append(rows, httpRows...)
	m.loadAfter = loadAverage()
	m.elapsed = time.Since(start)
	rate(rows)
	report(stdout, cfg, m, rows)
	if n := totalErrors(rows); n > 0 {
		return fmt.Errorf("%d invocations failed or answered wrongly", n)
	}
	return nil
}

// repoRoot is the directory of fresco's go.mod, found from the working
// directory upwards (go run from the root; go test from scripts/bench).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && regexp.MustCompile(`(?m)^module github\.com/frescolabs/fresco\s*$`).Match(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run bench inside the fresco repository (no go.mod of github.com/frescolabs/fresco above the working directory)")
		}
		dir = parent
	}
}
