package cli

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/sam"
)

// common are the flags every command shares.
type common struct {
	template  string
	envVars   string
	params    string
	cacheDir  string
	logLevel  string
	logFormat string

	noSnapshots, verifyResets, fullResets bool
	readyMemoryMB                         int

	// The cache calls' store (docs/abi.md, "Cache").
	cache               string
	cacheMB             int
	egressHosts, caFile string
}

func (c *common) register(fs *flag.FlagSet) {
	for _, name := range []string{"t", "template"} {
		fs.StringVar(&c.template, name, "", "path of the SAM template (default: template.yaml, template.yml or template.json, the first found)")
	}
	for _, name := range []string{"n", "env-vars"} {
		fs.StringVar(&c.envVars, name, "", "JSON file of environment variables, SAM's format: {\"FunctionId\": {\"K\": \"V\"}, \"Parameters\": {...}}")
	}
	fs.StringVar(&c.params, "parameter-overrides", "", "template parameters, as Key=Value pairs separated by spaces or commas")
	fs.StringVar(&c.cacheDir, "cache-dir", "", "directory for build artifacts and compiled code (default: the user cache directory)/fresco")
	fs.StringVar(&c.logLevel, "log-level", "info", "server log level: debug, info, warn, error")
	fs.StringVar(&c.logFormat, "log-format", "text", "format of fresco's own logs (not the functions' log lines): text or json")
	fs.BoolVar(&c.noSnapshots, "no-snapshots", false, "run every invocation's init again instead of starting from a pre-initialised snapshot")
	fs.BoolVar(&c.verifyResets, "verify-resets", false, "debug: check that every reset instance is byte for byte at its snapshot (doubles a reset's cost)")
	fs.IntVar(&c.readyMemoryMB, "ready-memory-mb", 0, "bound the memory of ready instances, all functions together, in MB (default: a quarter of the machine's, at most 4096)")
	fs.BoolVar(&c.fullResets, "full-resets", false, "reset instances by copying their whole snapshot, even where the kernel tracks the pages a guest writes")
	fs.StringVar(&c.cache, "cache", "", "store of the functions' cache: redis://HOST:PORT/DB for a Redis server many hosts share (default: in-process, --cache-mb)")
	fs.IntVar(&c.cacheMB, "cache-mb", 0, "bound of the in-process cache, in MB (default 64)")
	fs.StringVar(&c.egressHosts, "egress-hosts", "", "comma-separated hosts every wasm function may call out to (e.g. api.example.com,*.amazonaws.com:443); default: any but the cloud instance-metadata addresses")
	fs.StringVar(&c.caFile, "ca-file", "", "PEM file of the CA certificates the functions' HTTPS servers are verified against, added to the system's")
}

func (c *common) options(stderr io.Writer) (emulator.Options, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return emulator.Options{}, &usageError{fmt.Sprintf("bad --log-level %q", c.logLevel)}
	}
	logger, err := newLogger(stderr, c.logFormat, level)
	if err != nil {
		return emulator.Options{}, err
	}
	params, err := parseParameterOverrides(c.params)
	if err != nil {
		return emulator.Options{}, err
	}
	template := c.template
	if template == "" {
		template = sam.FindTemplate(".")
	}
	var allowed []string
	if c.egressHosts != "" {
		allowed = strings.Split(c.egressHosts, ",")
	}
	var roots *x509.CertPool
	if c.caFile != "" {
		pem, err := os.ReadFile(c.caFile)
		if err != nil {
			return emulator.Options{}, &usageError{fmt.Sprintf("--ca-file: %v", err)}
		}
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return emulator.Options{}, &usageError{fmt.Sprintf("--ca-file %s holds no PEM certificate", c.caFile)}
		}
	}
	return emulator.Options{
		AllowedHosts:  allowed,
		RootCAs:       roots,
		Template:      template,
		EnvVars:       c.envVars,
		Parameters:    params,
		CacheDir:      c.cacheDir,
		Logger:        logger,
		FunctionLog:   stderr,
		BuildOutput:   stderr,
		NoSnapshots:   c.noSnapshots,
		VerifyResets:  c.verifyResets,
		FullResets:    c.fullResets,
		ReadyMemoryMB: c.readyMemoryMB,
		Cache:         c.cache,
		CacheMB:       c.cacheMB,
	}, nil
}

// newLogger is fresco's own logger on w, in format (text or json).
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	o := &slog.HandlerOptions{Level: level}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, &usageError{fmt.Sprintf("bad --log-format %q, want text or json", format)}
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
