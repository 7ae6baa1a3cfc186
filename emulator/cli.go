package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/frescolabs/fresco/emulator/build"
	"github.com/frescolabs/fresco/emulator/procpool"
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/invoke"
)

const usage = `fresco runs AWS Lambda functions as WebAssembly modules: every invocation
is a fresh instance that starts in microseconds.

Usage:
  fresco [start] [flags]         serve the Lambda Invoke API (:3001) and API Gateway (:3000)
                                 for a SAM template
  fresco invoke NAME [flags]     invoke one function once, in-process
  fresco build [flags]           build the template's functions to wasm
  fresco generate-event SERVICE EVENT [flags]
                                 print a sample event (s3 put, sqs receive-message, ...)

Run 'fresco COMMAND --help' for a command's flags. With no command, fresco
runs 'start' on ./template.yaml.
`

// exitError carries a process exit status that is not a failure of fresco
// itself (a function error in fresco invoke).
type exitError struct{ code int }

func (e *exitError) Error() string { return "exit status " + strconv.Itoa(e.code) }

// Main runs the fresco CLI and returns the process exit status: 0, 1 for an
// error, 2 for bad usage.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := Run(ctx, args, stdin, stdout, stderr)
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, new(*usageError)):
		fmt.Fprintf(stderr, "fresco: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "fresco: %v\n", err)
		return 1
	}
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Run runs one CLI command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "start"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch cmd {
	case "start", "start-lambda":
		return runStart(ctx, args, stderr)
	case "invoke":
		return runInvoke(ctx, args, stdin, stdout, stderr)
	case "build":
		return runBuild(ctx, args, stderr)
	case "generate-event":
		return runGenerateEvent(args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return &usageError{fmt.Sprintf("unknown command %q (commands: start, invoke, build, generate-event; see fresco --help)", cmd)}
	}
}

// common are the flags every command shares.
type common struct {
	template string
	envVars  string
	params   string
	cacheDir string
	logLevel string

	noSnapshots, verifyResets bool
}

func (c *common) register(fs *flag.FlagSet) {
	for _, name := range []string{"t", "template"} {
		fs.StringVar(&c.template, name, "template.yaml", "path of the SAM template")
	}
	fs.StringVar(&c.envVars, "env-vars", "", "JSON file of environment variables, SAM's format: {\"FunctionId\": {\"K\": \"V\"}, \"Parameters\": {...}}")
	fs.StringVar(&c.params, "parameter-overrides", "", "template parameters, as Key=Value pairs separated by spaces or commas")
	fs.StringVar(&c.cacheDir, "cache-dir", "", "directory for build artifacts and compiled code (default: the user cache directory)/fresco")
	fs.StringVar(&c.logLevel, "log-level", "info", "server log level: debug, info, warn, error")
	fs.BoolVar(&c.noSnapshots, "no-snapshots", false, "run every invocation's init again instead of starting from a pre-initialised snapshot")
	fs.BoolVar(&c.verifyResets, "verify-resets", false, "debug: check that every reset instance is byte for byte at its snapshot (doubles a reset's cost)")
}

func (c *common) options(stderr io.Writer) (Options, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return Options{}, &usageError{fmt.Sprintf("bad --log-level %q", c.logLevel)}
	}
	params, err := parseParameterOverrides(c.params)
	if err != nil {
		return Options{}, err
	}
	return Options{
		Template:     c.template,
		EnvVars:      c.envVars,
		Parameters:   params,
		CacheDir:     c.cacheDir,
		Logger:       slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		FunctionLog:  stderr,
		BuildOutput:  stderr,
		NoSnapshots:  c.noSnapshots,
		VerifyResets: c.verifyResets,
	}, nil
}

// parseParameterOverrides parses SAM's --parameter-overrides: "K=V K2=V2"
// or "ParameterKey=K,ParameterValue=V".
func parseParameterOverrides(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, field := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\n' }) {
		if strings.HasPrefix(field, "ParameterKey=") {
			var k, v string
			for _, part := range strings.Split(field, ",") {
				kv := strings.SplitN(part, "=", 2)
				if len(kv) == 2 && kv[0] == "ParameterKey" {
					k = kv[1]
				} else if len(kv) == 2 && kv[0] == "ParameterValue" {
					v = kv[1]
				}
			}
			if k == "" {
				return nil, &usageError{fmt.Sprintf("bad --parameter-overrides entry %q", field)}
			}
			out[k] = v
			continue
		}
		kv := strings.SplitN(field, "=", 2)
		if len(kv) != 2 || kv[0] == "" {
			return nil, &usageError{fmt.Sprintf("bad --parameter-overrides entry %q, want Key=Value", field)}
		}
		out[kv[0]] = kv[1]
	}
	return out, nil
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("fresco "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fresco %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, allowing flags after positional arguments (as SAM
// users type them), and turns flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runStart(ctx context.Context, args []string, stderr io.Writer) error {
	var c common
	fs := newFlagSet("start", "start [-t template.yaml] [--host 127.0.0.1] [--port 3001] [--api-port 3000] [--env-vars env.json] [--watch] [--max-processes 16]", stderr)
	c.register(fs)
	host := fs.String("host", "127.0.0.1", "address to bind")
	port := fs.Int("port", 3001, "port of the Lambda Invoke API")
	apiPort := fs.Int("api-port", DefaultAPIPort, "port of API Gateway, serving the template's Api and HttpApi events")
	maxConc := fs.Int("max-concurrency", 1000, "invocations in flight across all functions before TooManyRequestsException")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "how long shutdown waits for in-flight invocations")
	watch := fs.Bool("watch", false, "rebuild and swap in functions whose sources change, without restarting")
	maxProcs := fs.Int("max-processes", procpool.DefaultMaxProcesses, "runtime processes per process function (a bootstrap, or FrescoMode native) without ReservedConcurrentExecutions")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("start takes no arguments, got %q", rest)}
	}
	opts, err := c.options(stderr)
	if err != nil {
		return err
	}
	opts.MaxConcurrency = *maxConc
	opts.Watch = *watch
	opts.MaxProcesses = *maxProcs
	return ServeWith(ctx, opts, ServeConfig{
		Addr:            net.JoinHostPort(*host, strconv.Itoa(*port)),
		APIAddr:         net.JoinHostPort(*host, strconv.Itoa(*apiPort)),
		ShutdownTimeout: *shutdownTimeout,
	})
}

// Serve builds and loads the template's functions, listens on addr and
// serves the Invoke API until ctx is done, then shuts down gracefully:
// in-flight invocations (synchronous and Event) finish first. If ready is
// non-nil, it receives the bound address once the server accepts
// connections. It serves no API Gateway; ServeWith does both.
func Serve(ctx context.Context, opts Options, addr string, shutdownTimeout time.Duration, ready chan<- string) error {
	return ServeWith(ctx, opts, ServeConfig{
		Addr:            addr,
		ShutdownTimeout: shutdownTimeout,
		Ready: func(a Addrs) {
			if ready != nil {
				ready <- a.Invoke
			}
		},
	})
}

func runInvoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c common
	fs := newFlagSet("invoke", "invoke NAME [-e event.json | -e -] [-t template.yaml] [--env-vars env.json]", stderr)
	c.register(fs)
	var event string
	for _, name := range []string{"e", "event"} {
		fs.StringVar(&event, name, "", "event file, or - for standard input (default: {})")
	}
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &usageError{"invoke takes exactly one function name (fresco invoke NAME)"}
	}
	payload := []byte("{}")
	switch event {
	case "":
	case "-":
		if payload, err = io.ReadAll(io.LimitReader(stdin, invoke.MaxSyncRequest+1)); err != nil {
			return fmt.Errorf("read event from stdin: %w", err)
		}
	default:
		if payload, err = os.ReadFile(event); err != nil {
			return fmt.Errorf("read event: %w", err)
		}
	}
	if len(payload) > invoke.MaxSyncRequest {
		return fmt.Errorf("event is larger than %d bytes", invoke.MaxSyncRequest)
	}
	if len(strings.TrimSpace(string(payload))) > 0 && !json.Valid(payload) {
		return fmt.Errorf("event is not valid JSON")
	}
	opts, err := c.options(stderr)
	if err != nil {
		return err
	}
	opts.Only = rest
	// Server logs stay quiet unless something is wrong; the function's log
	// is the point.
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e, err := New(ctx, opts)
	if err != nil {
		return err
	}
	defer e.Close(context.Background())
	fn, err := e.Function(rest[0])
	if err != nil {
		return err
	}
	res, err := fn.Invoke(ctx, &invoke.Request{
		RequestID:          invoke.NewRequestID(),
		Payload:            payload,
		InvokedFunctionARN: fn.ARN(),
		TraceID:            invoke.NewTraceID(),
	})
	if err != nil {
		return err
	}
	stdout.Write(res.Payload)
	if len(res.Payload) > 0 && res.Payload[len(res.Payload)-1] != '\n' {
		fmt.Fprintln(stdout)
	}
	if res.Kind != invoke.Success {
		return &exitError{code: 1}
	}
	return nil
}

func runBuild(ctx context.Context, args []string, stderr io.Writer) error {
	var c common
	fs := newFlagSet("build", "build [-t template.yaml] [NAME...]", stderr)
	c.register(fs)
	names, err := parse(fs, args)
	if err != nil {
		return err
	}
	opts, err := c.options(stderr)
	if err != nil {
		return err
	}
	tmpl, err := sam.LoadTemplate(opts.Template, sam.TemplateOptions{Parameters: opts.Parameters})
	if err != nil {
		return err
	}
	fns, err := tmpl.Select(names)
	if err != nil {
		return err
	}
	b := &build.Builder{CacheDir: filepath.Join(build.DefaultCacheDir(opts.CacheDir), "build"), Out: stderr}
	out, err := b.Build(ctx, fns)
	if err != nil {
		return err
	}
	for _, f := range fns {
		fmt.Fprintf(stderr, "%s: %s\n", f.LogicalID, out[f.LogicalID])
	}
	return nil
}
