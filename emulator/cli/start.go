package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/procpool"
	"github.com/frescolabs/fresco/emulator/server"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// DefaultAdminAddr is where fresco start serves /metrics, /healthz and
// /readyz.
const DefaultAdminAddr = "127.0.0.1:9091"

// startFlags are fresco start's own flags, beside the common ones.
type startFlags struct {
	// apiMode is `start-api`'s command line, where -p/--port is API
	// Gateway's port, as in SAM.
	apiMode bool
	// lambdaMode is `start-lambda`'s: API Gateway on a free port unless
	// --api-port names one.
	lambdaMode             bool
	config                 string
	host                   string
	port, apiPort          int
	maxConc, maxProcs      int
	drainTimeout           time.Duration
	watch, schedules       bool
	allowedHosts, stateDir string
	queue                  string
	queueLease             time.Duration
	adminAddr              string
	authCredentials        string
	insecureNoAuth         bool
	tlsCert, tlsKey        string
}

func (s *startFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.config, configFlag, "", "TOML file of settings: every flag's name as a key (port = 3001); also FRESCO_CONFIG. Precedence: flag > FRESCO_* environment > file > default")
	fs.StringVar(&s.host, "host", "127.0.0.1", "address to bind; beyond loopback it needs --auth-credentials (or --insecure-no-auth)")
	if s.apiMode {
		// sam local start-api: -p/--port is API Gateway's.
		for _, name := range []string{"p", "port"} {
			fs.IntVar(&s.apiPort, name, server.DefaultAPIPort, "port of API Gateway, serving the template's Api and HttpApi events and Function URLs (SAM's start-api -p)")
		}
		// A free port by default, so that start-api and start-lambda run
		// side by side as SAM users run them.
		fs.IntVar(&s.port, "invoke-port", 0, "port of the Lambda Invoke API, served beside API Gateway (default: a free port)")
	} else {
		for _, name := range []string{"p", "port"} {
			fs.IntVar(&s.port, name, server.DefaultPort, "port of the Lambda Invoke API (SAM's start-lambda -p)")
		}
		apiPort, what := server.DefaultAPIPort, ""
		if s.lambdaMode {
			apiPort, what = 0, " (default: a free port, so that start-api can run beside it)"
		}
		fs.IntVar(&s.apiPort, "api-port", apiPort, "port of API Gateway, serving the template's Api and HttpApi events and Function URLs"+what)
	}
	fs.IntVar(&s.maxConc, "max-concurrency", 1000, "invocations in flight across all functions before TooManyRequestsException")
	fs.DurationVar(&s.drainTimeout, "drain-timeout", 30*time.Second, "on SIGTERM, how long the drain waits for in-flight invocations")
	fs.DurationVar(&s.drainTimeout, "shutdown-timeout", 30*time.Second, "the same as --drain-timeout")
	fs.BoolVar(&s.watch, "watch", false, "rebuild and swap in functions whose sources change, without restarting")
	fs.BoolVar(&s.schedules, "schedules", false, "fire the template's Schedule and ScheduleV2 events at their times, as Event invocations (SAM does not)")
	fs.StringVar(&s.allowedHosts, "allowed-hosts", "", "comma-separated names accepted in a request's Host besides localhost, the loopback addresses and --host (\"*\": any)")
	fs.IntVar(&s.maxProcs, "max-processes", procpool.DefaultMaxProcesses, "runtime processes per process function (a bootstrap, or FrescoMode native) without ReservedConcurrentExecutions")
	fs.StringVar(&s.stateDir, "state-dir", "", "directory of the durable state (the queue of accepted Event invocations, the functions uploaded through the Lambda API with their code, the compile cache); default: one per template in the cache directory")
	fs.StringVar(&s.stateDir, "data-dir", "", "the same as --state-dir")
	fs.StringVar(&s.queue, "queue", "", "queue of accepted Event invocations: redis://HOST:PORT/DB for one that many fresco hosts share, each running what it accepted and what a crashed host leaves (default: on disk in --state-dir)")
	fs.DurationVar(&s.queueLease, "queue-lease", 30*time.Second, "with a shared --queue, how long a host holds an Event invocation without renewing it: the longest one waits after its host dies")
	fs.StringVar(&s.adminAddr, "admin-addr", DefaultAdminAddr, "host:port of the admin listener (/metrics, /healthz, /readyz); \"\" or off: none")
	fs.StringVar(&s.authCredentials, "auth-credentials", "", "aws CLI credentials file (profiles of aws_access_key_id, aws_secret_access_key): the Invoke API requires SigV4 signed by one of them")
	fs.BoolVar(&s.insecureNoAuth, "insecure-no-auth", false, "serve the Invoke API beyond loopback without authentication")
	fs.StringVar(&s.tlsCert, "tls-cert", "", "PEM certificate (chain) of the Invoke API and API Gateway: serve HTTPS (with --tls-key)")
	fs.StringVar(&s.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
}

func runStart(ctx context.Context, cmd string, args []string, stderr io.Writer) error {
	opts, cfg, err := commandSettings(cmd, args, stderr)
	if err != nil {
		return err
	}
	return server.ServeWith(ctx, opts, cfg)
}

// startSettings is fresco start's configuration from its command line, the
// FRESCO_* environment and the config file, validated.
func startSettings(args []string, stderr io.Writer) (emulator.Options, server.Config, error) {
	return commandSettings("start", args, stderr)
}

// commandSettings is startSettings for cmd: start, start-lambda (the same)
// or start-api (-p is API Gateway's port).
func commandSettings(cmd string, args []string, stderr io.Writer) (emulator.Options, server.Config, error) {
	var c common
	s := startFlags{apiMode: cmd == "start-api", lambdaMode: cmd == "start-lambda"}
	var sf samFlags
	synopsis := cmd + " [--config fresco.toml] [-t template.yaml] [--host 127.0.0.1] [-p 3001] [--api-port 3000] [--admin-addr 127.0.0.1:9091] [--env-vars env.json] [--allowed-hosts a,b] [--egress-hosts a,b] [--watch] [--schedules] [--max-processes 16] [--state-dir DIR] [--queue redis://HOST:PORT/DB] [--auth-credentials FILE] [--tls-cert FILE --tls-key FILE] [-l FILE] [--debug]"
	if s.apiMode {
		synopsis = cmd + " [-p 3000] [--invoke-port 3001] [-t template.yaml] [--host 127.0.0.1] [--env-vars env.json] [-l FILE] [--debug] [flags of fresco start]"
	}
	fs := newFlagSet(cmd, synopsis, stderr)
	c.register(fs)
	s.register(fs)
	sf.register(fs)
	// SAM's spellings read SAM's project file; fresco start has --config.
	var sc samConfigFlags
	if cmd != "start" {
		sc.register(fs)
	}
	rest, err := parse(fs, args)
	if err != nil {
		return emulator.Options{}, server.Config{}, err
	}
	if len(rest) > 0 {
		return emulator.Options{}, server.Config{}, &usageError{fmt.Sprintf("%s takes no arguments, got %q", cmd, rest)}
	}
	if cmd != "start" {
		if _, err := sc.apply(fs, cmd, c.template); err != nil {
			return emulator.Options{}, server.Config{}, err
		}
	}
	sf.apply(&c, stderr)
	from, err := applySettings(fs, s.config)
	if err != nil {
		return emulator.Options{}, server.Config{}, err
	}
	cfg, err := s.validate(&c, from)
	if err != nil {
		return emulator.Options{}, server.Config{}, err
	}
	opts, err := c.options(stderr)
	if err != nil {
		return emulator.Options{}, server.Config{}, err
	}
	if _, err := sf.setFunctionLog(&opts); err != nil {
		return emulator.Options{}, server.Config{}, err
	}
	opts.MaxConcurrency = s.maxConc
	opts.Watch = s.watch
	opts.Schedules = s.schedules
	opts.MaxProcesses = s.maxProcs
	opts.StateDir = s.stateDir
	opts.Queue = s.queue
	opts.QueueLease = s.queueLease
	if opts.StateDir == "" {
		opts.StateDir = emulator.DefaultStateDir(opts.CacheDir, opts.Template)
	}
	return opts, cfg, nil
}

// validate checks every setting once, naming the one at fault as it was
// given (--port, FRESCO_PORT, config: port), and returns the server's
// configuration.
func (s *startFlags) validate(c *common, from origins) (server.Config, error) {
	var errs []string
	bad := func(name, format string, args ...any) {
		errs = append(errs, settingError(from.of(name), format, args...).Error())
	}
	for _, p := range []struct {
		name string
		port int
	}{{"port", s.port}, {"api-port", s.apiPort}} {
		if p.port < 0 || p.port > 65535 {
			bad(p.name, "must be a port from 0 to 65535, got %d", p.port)
		}
	}
	atLeast := func(name string, v, min int) {
		if v < min {
			bad(name, "must be ≥ %d, got %d", min, v)
		}
	}
	atLeast("ready-memory-mb", c.readyMemoryMB, 0)
	atLeast("max-concurrency", s.maxConc, 1)
	atLeast("max-processes", s.maxProcs, 1)
	if s.drainTimeout <= 0 {
		bad("drain-timeout", "must be a positive duration, got %s", s.drainTimeout)
	}
	if s.queueLease < time.Second {
		bad("queue-lease", "must be at least 1s, got %s", s.queueLease)
	}
	if s.queue != "" && !strings.HasPrefix(s.queue, "redis://") && !strings.HasPrefix(s.queue, "rediss://") {
		bad("queue", "must be a redis:// or rediss:// URL, got %q", s.queue)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		bad("log-level", "must be debug, info, warn or error, got %q", c.logLevel)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		bad("log-format", "must be text or json, got %q", c.logFormat)
	}
	if strings.TrimSpace(s.host) == "" {
		bad("host", "must be an address or a name, got %q", s.host)
	}
	admin := s.adminAddr
	if admin == "off" {
		admin = ""
	}
	if admin != "" {
		if _, _, err := net.SplitHostPort(admin); err != nil {
			bad("admin-addr", "must be host:port, \"\" or off, got %q", s.adminAddr)
		}
	}
	if (s.tlsCert == "") != (s.tlsKey == "") {
		name := "tls-key"
		if s.tlsCert == "" {
			name = "tls-cert"
		}
		bad(name, "--tls-cert and --tls-key go together")
	}
	for _, name := range []string{"tls-cert", "tls-key"} {
		path := s.tlsCert
		if name == "tls-key" {
			path = s.tlsKey
		}
		if path != "" {
			if _, err := os.Stat(path); err != nil {
				bad(name, "%v", err)
			}
		}
	}
	var creds edge.Credentials
	if s.authCredentials != "" {
		var err error
		if creds, err = edge.LoadCredentials(s.authCredentials); err != nil {
			bad("auth-credentials", "%v", err)
		}
	}
	if len(errs) > 0 {
		return server.Config{}, &usageError{strings.Join(errs, "\n")}
	}
	return server.Config{
		Addr:            net.JoinHostPort(s.host, strconv.Itoa(s.port)),
		APIAddr:         net.JoinHostPort(s.host, strconv.Itoa(s.apiPort)),
		AdminAddr:       admin,
		ShutdownTimeout: s.drainTimeout,
		AllowedHosts:    splitList(s.allowedHosts),
		Credentials:     creds,
		InsecureNoAuth:  s.insecureNoAuth,
		TLSCert:         s.tlsCert,
		TLSKey:          s.tlsKey,
	}, nil
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
