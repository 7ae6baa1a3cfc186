package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/sam"
)

// SAM's command line: `fresco local start-api|start-lambda|invoke|
// generate-event` and the flags of `sam local ...` that mean something
// without Docker, with SAM's meanings; the flags that only configure
// Docker are accepted with a one-line note, so that SAM scripts run
// unchanged.

// samCommands are the `sam local` subcommands fresco serves.
var samCommands = []string{"start-api", "start-lambda", "invoke", "generate-event"}

// samFlags are the SAM flags every serving or invoking command takes.
type samFlags struct {
	debug           bool
	logFile         string
	region, profile string
	// docker records the Docker-only flags given, in order.
	docker *[]string
}

// dockerOnlyFlags are `sam local` flags that configure containers; fresco
// runs no container. Bool ones take no value.
var dockerOnlyFlags = map[string]bool{
	"warm-containers": false, "docker-network": false, "container-host": false,
	"container-host-interface": false, "invoke-image": false, "layer-cache-basedir": false,
	"docker-volume-basedir": false, "v": false, "container-env-vars": false, "add-host": false,
	"debug-port": false, "d": false, "debugger-path": false, "debug-args": false,
	"debug-function": false, "mount-symlinks": true, "no-memory-limit": true,
	"skip-pull-image": true, "force-image-build": true, "shutdown": true, "beta-features": true,
	"no-beta-features": true, "terraform-plan-file": false, "hook-name": false,
	"skip-prepare-infra": true,
}

// dockerFlag accepts a Docker-only flag and records that it was given.
type dockerFlag struct {
	name   string
	isBool bool
	seen   *[]string
}

func (d dockerFlag) String() string { return "" }
func (d dockerFlag) Set(string) error {
	if !slices.Contains(*d.seen, d.name) {
		*d.seen = append(*d.seen, d.name)
	}
	return nil
}
func (d dockerFlag) IsBoolFlag() bool { return d.isBool }

func (s *samFlags) register(fs *flag.FlagSet) {
	s.docker = new([]string)
	fs.BoolVar(&s.debug, "debug", false, "SAM's --debug: fresco's own log at debug level (--log-level debug)")
	for _, name := range []string{"l", "log-file"} {
		fs.StringVar(&s.logFile, name, "", "file the functions' log lines are appended to (default: standard error)")
	}
	fs.StringVar(&s.region, "region", "", "AWS region of the functions' ARNs and AWS::Region, and of the host's AWS calls (AWS_REGION)")
	fs.StringVar(&s.profile, "profile", "", "profile of the host's AWS credentials, from ~/.aws (AWS_PROFILE); guests never see them")
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range dockerOnlyFlags {
			if !yield(k) {
				return
			}
		}
	}) {
		if fs.Lookup(name) != nil {
			continue
		}
		fs.Var(dockerFlag{name: name, isBool: dockerOnlyFlags[name], seen: s.docker}, name, "SAM's Docker option: accepted and ignored (fresco runs no container)")
	}
}

// apply puts the SAM flags into c and the environment, and notes the
// Docker-only flags on stderr. It runs before c.options.
func (s *samFlags) apply(c *common, stderr io.Writer) {
	if s.debug {
		c.logLevel = "debug"
	}
	for _, name := range *s.docker {
		dash := "--"
		if len(name) == 1 {
			dash = "-"
		}
		fmt.Fprintf(stderr, "fresco: note: %s%s configures SAM's Docker containers; fresco runs functions as WebAssembly (or processes) without Docker and ignores it\n", dash, name)
	}
	if s.region != "" {
		// The template's AWS::Region, the ARNs and the host's AWS calls all
		// read the environment's region.
		os.Setenv("AWS_REGION", s.region)
		os.Setenv("AWS_DEFAULT_REGION", s.region)
	}
	if s.profile != "" {
		os.Setenv("AWS_PROFILE", s.profile)
	}
}

// setFunctionLog points opts' function log at --log-file, appended to,
// if given; the returned func closes it.
func (s *samFlags) setFunctionLog(opts *emulator.Options) (func(), error) {
	if s.logFile == "" {
		return func() {}, nil
	}
	f, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, &usageError{fmt.Sprintf("--log-file: %v", err)}
	}
	opts.FunctionLog = f
	return func() { f.Close() }, nil
}

// onlyFunction is the name of the template's one function, for `invoke`
// without a name as SAM allows it.
func onlyFunction(c *common) (string, error) {
	path := c.template
	if path == "" {
		path = sam.FindTemplate(".")
	}
	params, err := parseParameterOverrides(c.params)
	if err != nil {
		return "", err
	}
	t, err := sam.LoadTemplate(path, sam.TemplateOptions{Parameters: params})
	if err != nil {
		return "", err
	}
	if len(t.Functions) != 1 {
		names := make([]string, 0, len(t.Functions))
		for _, f := range t.Functions {
			names = append(names, f.LogicalID)
		}
		return "", &usageError{fmt.Sprintf("invoke needs a function name: %s has %d functions (%s)", path, len(t.Functions), strings.Join(names, ", "))}
	}
	return t.Functions[0].LogicalID, nil
}

// runLocal runs `fresco local COMMAND`, SAM's spelling.
func runLocal(args []string) (string, []string, error) {
	if len(args) == 0 || !slices.Contains(samCommands, args[0]) {
		return "", nil, &usageError{fmt.Sprintf("fresco local takes one of %s, as sam local does", strings.Join(samCommands, ", "))}
	}
	return args[0], args[1:], nil
}
