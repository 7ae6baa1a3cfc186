package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/internal/invoke"
)

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
	e, err := emulator.New(ctx, opts)
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
