package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
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
  fresco version                 print the version, commit, Go version and platform

SAM's spellings, with SAM's flags and meanings (see the README, "Migrating from SAM"):
  fresco [local] start-lambda    the Invoke API on -p (default 3001), API Gateway beside it
  fresco [local] start-api       API Gateway and Function URLs on -p (default 3000), the
                                 Invoke API beside it (--invoke-port)
  fresco local invoke [NAME]     as fresco invoke; NAME may be left out when the template
                                 has one function; --no-event sends {}
  fresco local generate-event    as fresco generate-event
SAM's Docker-only flags (--warm-containers, --docker-network, --skip-pull-image, ...) are
accepted with a note and ignored.

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
	} else if len(args) > 0 && args[0] == "--version" {
		cmd, args = "version", args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if cmd == "local" {
		var err error
		if cmd, args, err = runLocal(args); err != nil {
			return err
		}
	}
	switch cmd {
	case "start", "start-lambda", "start-api":
		return runStart(ctx, cmd, args, stderr)
	case "invoke":
		return runInvoke(ctx, args, stdin, stdout, stderr)
	case "build":
		return runBuild(ctx, args, stderr)
	case "generate-event":
		return runGenerateEvent(args, stdout, stderr)
	case "version":
		return runVersion(args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return &usageError{fmt.Sprintf("unknown command %q (commands: start, start-lambda, start-api, local, invoke, build, generate-event, version; see fresco --help)", cmd)}
	}
}
