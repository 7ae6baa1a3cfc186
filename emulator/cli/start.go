package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/procpool"
	"github.com/frescolabs/fresco/emulator/server"
)

func runStart(ctx context.Context, args []string, stderr io.Writer) error {
	var c common
	fs := newFlagSet("start", "start [-t template.yaml] [--host 127.0.0.1] [--port 3001] [--api-port 3000] [--env-vars env.json] [--allowed-hosts a,b] [--egress-hosts a,b] [--watch] [--max-processes 16] [--state-dir DIR]", stderr)
	c.register(fs)
	host := fs.String("host", "127.0.0.1", "address to bind")
	port := fs.Int("port", server.DefaultPort, "port of the Lambda Invoke API")
	apiPort := fs.Int("api-port", server.DefaultAPIPort, "port of API Gateway, serving the template's Api and HttpApi events")
	maxConc := fs.Int("max-concurrency", 1000, "invocations in flight across all functions before TooManyRequestsException")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "how long shutdown waits for in-flight invocations")
	watch := fs.Bool("watch", false, "rebuild and swap in functions whose sources change, without restarting")
	allowedHosts := fs.String("allowed-hosts", "", "comma-separated names accepted in a request's Host besides localhost, the loopback addresses and --host (\"*\": any)")
	maxProcs := fs.Int("max-processes", procpool.DefaultMaxProcesses, "runtime processes per process function (a bootstrap, or FrescoMode native) without ReservedConcurrentExecutions")
	stateDir := fs.String("state-dir", "", "directory of the durable state (the queue of accepted Event invocations); default: one per template in the cache directory")
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
	opts.StateDir = *stateDir
	if opts.StateDir == "" {
		opts.StateDir = emulator.DefaultStateDir(opts.CacheDir, opts.Template)
	}
	return server.ServeWith(ctx, opts, server.Config{
		Addr:            net.JoinHostPort(*host, strconv.Itoa(*port)),
		APIAddr:         net.JoinHostPort(*host, strconv.Itoa(*apiPort)),
		ShutdownTimeout: *shutdownTimeout,
		AllowedHosts:    splitList(*allowedHosts),
	})
}

// splitList is a comma-separated flag's values, without blanks.
func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
