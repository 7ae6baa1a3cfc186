package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/internal/invoke"
)

func runInvoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c common
	fs := newFlagSet("invoke", "invoke [NAME] [-e event.json | -e - | --no-event | --event-source EVENT] [-t template.yaml] [--env-vars env.json] [-l FILE] [--debug]", stderr)
	c.register(fs)
	var sf samFlags
	sf.register(fs)
	var event string
	var noEvent bool
	for _, name := range []string{"e", "event"} {
		fs.StringVar(&event, name, "", "event file, or - for standard input (default: {})")
	}
	fs.BoolVar(&noEvent, "no-event", false, "invoke with the empty event {} (SAM's --no-event)")
	var eventSource string
	fs.StringVar(&eventSource, "event-source", "", "invoke with the event that the function's template event EVENT delivers (Schedule, ScheduleV2: as it fires now; Api, HttpApi: a request of its route)")
	var sc samConfigFlags
	sc.register(fs)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if _, err := sc.apply(fs, "invoke", c.template); err != nil {
		return err
	}
	if noEvent && event != "" {
		return &usageError{"--no-event and --event exclude each other"}
	}
	if eventSource != "" && (noEvent || event != "") {
		return &usageError{"--event-source excludes --event and --no-event"}
	}
	sf.apply(&c, stderr)
	if len(rest) == 0 {
		name, err := onlyFunction(&c)
		if err != nil {
			return err
		}
		rest = []string{name}
	}
	if len(rest) != 1 {
		return &usageError{"invoke takes one function name (fresco invoke [NAME])"}
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
	closeLog, err := sf.setFunctionLog(&opts)
	if err != nil {
		return err
	}
	defer closeLog()
	// Server logs stay quiet unless something is wrong; the function's log
	// is the point.
	level := slog.LevelWarn
	if sf.debug {
		level = slog.LevelDebug
	}
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	plan, err := emulator.Prepare(opts)
	if err != nil {
		return err
	}
	if eventSource != "" {
		if payload, err = plan.EventSource(rest[0], eventSource, time.Now()); err != nil {
			return err
		}
	}
	e, err := plan.Start(ctx)
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
