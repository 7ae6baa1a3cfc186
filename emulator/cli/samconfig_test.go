package cli

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// samconfigProject writes a template and, beside it, a samconfig file
// named name; it returns the template's path.
func samconfigProject(t *testing.T, name, config string) string {
	t.Helper()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(tmpl, []byte("Resources: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

const samconfigTOML = `version = 0.1

[default.global.parameters]
stack_name = "sam-app"
region = "eu-west-3"
parameter_overrides = "Stage=\"dev\" Greeting='hello world'"

[default.build.parameters]
cached = true

[default.local_start_api.parameters]
port = 8080
warm_containers = "EAGER"
debug = true
parameter_overrides = ["Stage=api", "Table=t1"]

[default.local_start_lambda.parameters]
port = 8081

[prod.local_start_api.parameters]
port = 9090
host = "127.0.0.2"
`

// A samconfig.toml beside the template configures SAM's commands as the
// SAM CLI reads it: the command's section over global, the command line
// over both, other commands' keys ignored, Docker-only keys noted.
func TestSAMConfigFile(t *testing.T) {
	withEnv(t, nil)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	state := t.TempDir()
	tmpl := samconfigProject(t, "samconfig.toml", samconfigTOML)
	for _, tc := range []struct {
		cmd    string
		args   []string
		invoke string
		api    string
		params map[string]string
		note   bool
	}{
		{"start-api", nil, "127.0.0.1:0", "127.0.0.1:8080", map[string]string{"Stage": "api", "Table": "t1"}, true},
		{"start-api", []string{"-p", "7000", "--parameter-overrides", "A=1"}, "127.0.0.1:0", "127.0.0.1:7000", map[string]string{"A": "1"}, true},
		{"start-lambda", nil, "127.0.0.1:8081", "127.0.0.1:0", map[string]string{"Stage": "dev", "Greeting": "hello world"}, false},
		{"start-api", []string{"--config-env", "prod"}, "127.0.0.2:0", "127.0.0.2:9090", map[string]string{}, false},
	} {
		var stderr strings.Builder
		args := append([]string{"-t", tmpl, "--state-dir", state}, tc.args...)
		opts, cfg, err := commandSettings(tc.cmd, args, &stderr)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.cmd, tc.args, err)
		}
		if cfg.Addr != tc.invoke || cfg.APIAddr != tc.api {
			t.Errorf("%s %v: Invoke API %s, API Gateway %s; want %s and %s", tc.cmd, tc.args, cfg.Addr, cfg.APIAddr, tc.invoke, tc.api)
		}
		if !reflect.DeepEqual(opts.Parameters, tc.params) {
			t.Errorf("%s %v: parameters %v, want %v", tc.cmd, tc.args, opts.Parameters, tc.params)
		}
		if got := strings.Contains(stderr.String(), "note: --warm-containers configures SAM's Docker containers"); got != tc.note {
			t.Errorf("%s %v: warm_containers note %v, want %v (stderr %q)", tc.cmd, tc.args, got, tc.note, stderr.String())
		}
	}
	if got := os.Getenv("AWS_REGION"); got != "eu-west-3" {
		t.Errorf("global region gave AWS_REGION %q", got)
	}

	// fresco start is not SAM's: it reads --config, not samconfig.toml.
	_, cfg, err := commandSettings("start", []string{"-t", tmpl, "--state-dir", state}, new(strings.Builder))
	if err != nil || cfg.Addr != "127.0.0.1:3001" {
		t.Errorf("start beside a samconfig.toml: %s, %v", cfg.Addr, err)
	}
}

// samconfig.yaml is read when there is no samconfig.toml, and
// --config-file names any file, found from the working directory.
func TestSAMConfigYAMLAndConfigFile(t *testing.T) {
	withEnv(t, nil)
	state := t.TempDir()
	tmpl := samconfigProject(t, "samconfig.yaml", "version: 0.1\ndefault:\n  local_start_lambda:\n    parameters:\n      port: 4123\n      template_file: ignored-because-t-is-given.yaml\n")
	_, cfg, err := commandSettings("start-lambda", []string{"-t", tmpl, "--state-dir", state}, new(strings.Builder))
	if err != nil || cfg.Addr != "127.0.0.1:4123" {
		t.Fatalf("samconfig.yaml: %s, %v", cfg.Addr, err)
	}
	other := writeFile(t, "ci.toml", "version = 0.1\n[staging.local_start_lambda.parameters]\nport = 4124\n")
	_, cfg, err = commandSettings("start-lambda", []string{"-t", tmpl, "--state-dir", state, "--config-file", other, "--config-env", "staging"}, new(strings.Builder))
	if err != nil || cfg.Addr != "127.0.0.1:4124" {
		t.Fatalf("--config-file: %s, %v", cfg.Addr, err)
	}
}

// A bad file, value, environment or path is a usage error naming it.
func TestSAMConfigErrors(t *testing.T) {
	withEnv(t, nil)
	state := t.TempDir()
	for _, tc := range []struct {
		name, config string
		args         []string
		want         string
	}{
		{"samconfig.toml", "[default.local_start_api.parameters]\nport = 1\n", nil, "no version key"},
		{"samconfig.toml", "version = 0.2\n", nil, "version 0.2 is not one SAM reads"},
		{"samconfig.toml", "version = 0.1\n[default.local_start_api.parameters]\nport = \"http\"\n", nil, "default.local_start_api.parameters.port: invalid value \"http\""},
		{"samconfig.toml", "version = 0.1\n[default.local_start_api.parameters]\nhost = 127\nparameter_overrides = \"A=\\\"x\"\n", nil, "quote is not closed"},
		{"samconfig.toml", "version = 0.1\n[default]\n", []string{"--config-env", "prod"}, "no environment \"prod\" (it has default)"},
		{"samconfig.toml", "version = 0.1\nnot toml", nil, "samconfig.toml"},
		{"samconfig.toml", "version = 0.1\n", []string{"--config-file", "/nonexistent/samconfig.toml"}, "--config-file /nonexistent/samconfig.toml: no such file"},
		{"other.toml", "", []string{"--config-env", "prod"}, "--config-env prod: no samconfig.toml"},
	} {
		tmpl := samconfigProject(t, tc.name, tc.config)
		_, _, err := commandSettings("start-api", append([]string{"-t", tmpl, "--state-dir", state}, tc.args...), new(strings.Builder))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %v: error %v, want it to say %q", tc.config, tc.args, err, tc.want)
		}
		if err != nil && !errors.As(err, new(*usageError)) {
			t.Errorf("%q: %T is not a usage error", tc.config, err)
		}
	}
}

func TestParameterOverridesQuoted(t *testing.T) {
	for in, want := range map[string]map[string]string{
		`Stage="dev" Name='a b' Plain=x`: {"Stage": "dev", "Name": "a b", "Plain": "x"},
		`Msg="say \"hi\""`:               {"Msg": `say "hi"`},
		"ParameterKey=K,ParameterValue=V\nParameterKey=E,ParameterValue=": {"K": "V", "E": ""},
		`Url="https://x/?a=1&b=2"`:                                        {"Url": "https://x/?a=1&b=2"},
		"":                                                                {},
	} {
		got, err := parseParameterOverrides(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseParameterOverrides(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{`A="x`, `=x`, `novalue`} {
		if _, err := parseParameterOverrides(bad); err == nil {
			t.Errorf("parseParameterOverrides(%q) accepted it", bad)
		}
	}
}
