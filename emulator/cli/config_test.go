package cli

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// withEnv makes lookupEnv read env alone for the test.
func withEnv(t *testing.T, env map[string]string) {
	old := lookupEnv
	lookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	t.Cleanup(func() { lookupEnv = old })
}

func writeFile(t *testing.T, name, text string) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStartSettingsPrecedence: a flag beats its FRESCO_* variable, which
// beats the config file, which beats the default; every flag is settable
// all three ways.
func TestStartSettingsPrecedence(t *testing.T) {
	file := writeFile(t, "fresco.toml", `
# fresco start settings
template = "file.yaml"
host = "127.0.0.2"
port = 4001
api-port = 4000
ready-memory-mb = 64
max-concurrency = 7
drain-timeout = "11s"
allowed-hosts = ["a.example", "b.example"]
watch = true
log-format = "json"
admin-addr = "127.0.0.1:9999"
queue = "redis://10.0.0.5:6379/0"
queue-lease = "12s"
`)
	withEnv(t, map[string]string{
		"FRESCO_PORT":            "5001",
		"FRESCO_READY_MEMORY_MB": "128",
		"FRESCO_MAX_CONCURRENCY": "9",
		"FRESCO_ADMIN_ADDR":      "off",
		"FRESCO_QUEUE_LEASE":     "9s",
	})
	opts, cfg, err := startSettings([]string{"--config", file, "--port", "6001", "--state-dir", t.TempDir()}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := opts.Logger.Handler().(*slog.JSONHandler); !ok {
		t.Errorf("log-format json from the file: the logger's handler is %T", opts.Logger.Handler())
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"port: flag over env and file", cfg.Addr, "127.0.0.2:6001"},
		{"api-port: file", cfg.APIAddr, "127.0.0.2:4000"},
		{"ready-memory-mb: env over file", opts.ReadyMemoryMB, 128},
		{"max-concurrency: env over file", opts.MaxConcurrency, 9},
		{"admin-addr: env off", cfg.AdminAddr, ""},
		{"template: file", opts.Template, "file.yaml"},
		{"drain-timeout: file", cfg.ShutdownTimeout, 11 * time.Second},
		{"allowed-hosts: file array", strings.Join(cfg.AllowedHosts, ","), "a.example,b.example"},
		{"watch: file", opts.Watch, true},
		{"queue: file", opts.Queue, "redis://10.0.0.5:6379/0"},
		{"queue-lease: env over file", opts.QueueLease, 9 * time.Second},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}

	// Defaults, with nothing set.
	withEnv(t, nil)
	_, cfg, err = startSettings(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:3001" || cfg.AdminAddr != DefaultAdminAddr || cfg.ShutdownTimeout != 30*time.Second {
		t.Errorf("defaults: %+v", cfg)
	}
	// An alias on the command line counts as its flag: -t beats FRESCO_TEMPLATE.
	withEnv(t, map[string]string{"FRESCO_TEMPLATE": "env.yaml", "FRESCO_CONFIG": file})
	opts, _, err = startSettings([]string{"-t", "flag.yaml"}, io.Discard)
	if err != nil || opts.Template != "flag.yaml" {
		t.Errorf("-t with FRESCO_TEMPLATE: %v %q", err, opts.Template)
	}
}

// TestStartSettingsErrors: a bad value is refused at start, as a usage
// error naming the setting as the operator wrote it.
func TestStartSettingsErrors(t *testing.T) {
	creds := writeFile(t, "credentials", "[default]\naws_access_key_id = AKID\n")
	for _, c := range []struct {
		name string
		file string
		env  map[string]string
		args []string
		want string
	}{
		{name: "file range", file: "ready-memory-mb = -3\n", want: "config: ready-memory-mb: must be ≥ 0, got -3"},
		{name: "env syntax", env: map[string]string{"FRESCO_PORT": "abc"}, want: `FRESCO_PORT: invalid value "abc": want an integer`},
		{name: "env range", env: map[string]string{"FRESCO_PORT": "70000"}, want: "FRESCO_PORT: must be a port from 0 to 65535, got 70000"},
		{name: "flag range", args: []string{"--max-concurrency", "0"}, want: "--max-concurrency: must be ≥ 1, got 0"},
		{name: "unknown key", file: "prot = 3001\n", want: `unknown key "prot"`},
		{name: "nested table", file: "[server]\nport = 1\n", want: `unknown key "server"`},
		{name: "file type", file: "port = 1.5\n", want: "config: port: want a string, an integer, a boolean or an array of strings"},
		{name: "file duration", file: "drain-timeout = \"soon\"\n", want: `config: drain-timeout: invalid value "soon"`},
		{name: "bad toml", file: "port = \n", want: "config "},
		{name: "log format", env: map[string]string{"FRESCO_LOG_FORMAT": "xml"}, want: `FRESCO_LOG_FORMAT: must be text or json, got "xml"`},
		{name: "log level", file: "log-level = \"loud\"\n", want: `config: log-level: must be debug, info, warn or error, got "loud"`},
		{name: "drain", args: []string{"--drain-timeout", "0s"}, want: "--drain-timeout: must be a positive duration, got 0s"},
		{name: "queue scheme", args: []string{"--queue", "/var/lib/q"}, want: `--queue: must be a redis:// or rediss:// URL, got "/var/lib/q"`},
		{name: "queue lease", env: map[string]string{"FRESCO_QUEUE_LEASE": "200ms"}, want: "FRESCO_QUEUE_LEASE: must be at least 1s, got 200ms"},
		{name: "admin", env: map[string]string{"FRESCO_ADMIN_ADDR": "9091"}, want: `FRESCO_ADMIN_ADDR: must be host:port, "" or off, got "9091"`},
		{name: "tls half", args: []string{"--tls-cert", creds}, want: "--tls-key: --tls-cert and --tls-key go together"},
		{name: "credentials", args: []string{"--auth-credentials", creds}, want: "--auth-credentials: " + creds + ": profile [default] needs aws_access_key_id and aws_secret_access_key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			withEnv(t, c.env)
			args := c.args
			if c.file != "" {
				args = append(args, "--config", writeFile(t, "fresco.toml", c.file))
			}
			_, _, err := startSettings(args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
			if !errors.As(err, new(*usageError)) {
				t.Errorf("%v is not a usage error (exit status 2)", err)
			}
		})
	}
}

// TestStartSettingsSchedules: --schedules turns the scheduler on, from the
// command line of start and of SAM's start-lambda and start-api, from
// FRESCO_SCHEDULES and from the config file; it is off by default.
func TestStartSettingsSchedules(t *testing.T) {
	withEnv(t, nil)
	for _, c := range []struct {
		cmd  string
		args []string
		want bool
	}{
		{"start", nil, false},
		{"start", []string{"--schedules"}, true},
		{"start-lambda", []string{"--schedules"}, true},
		{"start-api", []string{"--schedules"}, true},
		{"start", []string{"--config", writeFile(t, "fresco.toml", "schedules = true\n")}, true},
	} {
		opts, _, err := commandSettings(c.cmd, append(c.args, "--state-dir", t.TempDir()), io.Discard)
		if err != nil || opts.Schedules != c.want {
			t.Errorf("%s %q: schedules %v, error %v; want %v", c.cmd, c.args, opts.Schedules, err, c.want)
		}
	}
	withEnv(t, map[string]string{"FRESCO_SCHEDULES": "true"})
	if opts, _, err := startSettings([]string{"--state-dir", t.TempDir()}, io.Discard); err != nil || !opts.Schedules {
		t.Errorf("FRESCO_SCHEDULES=true: schedules %v, error %v", opts.Schedules, err)
	}
}
