package cli

import (
	"os"
	"strings"
	"testing"
)

// lookupRegion is the region --region set.
func lookupRegion() string { return os.Getenv("AWS_REGION") }

// SAM's start-api and start-lambda give -p/--port SAM's meanings, and the
// other API goes to a free port so that both commands can run side by
// side; SAM's Docker-only flags are accepted with a note.
func TestSAMCommandSettings(t *testing.T) {
	withEnv(t, nil)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	state := t.TempDir()
	for _, tc := range []struct {
		cmd          string
		args         []string
		invoke, api  string
		notes, level string
	}{
		{"start-api", []string{"-p", "4000"}, "127.0.0.1:0", "127.0.0.1:4000", "", ""},
		{"start-api", []string{"--port", "4000", "--invoke-port", "4001"}, "127.0.0.1:4001", "127.0.0.1:4000", "", ""},
		{"start-lambda", []string{"-p", "4001"}, "127.0.0.1:4001", "127.0.0.1:0", "", ""},
		{"start", []string{"-p", "4001"}, "127.0.0.1:4001", "127.0.0.1:3000", "", ""},
		{"start-api", []string{"--warm-containers", "EAGER", "--skip-pull-image", "--docker-network", "n", "-d", "5858", "--debug"}, "127.0.0.1:0", "127.0.0.1:3000",
			"--warm-containers,--skip-pull-image,--docker-network,-d", "DEBUG"},
	} {
		var stderr strings.Builder
		opts, cfg, err := commandSettings(tc.cmd, append(tc.args, "--state-dir", state, "--region", "eu-west-3"), &stderr)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.cmd, tc.args, err)
		}
		if cfg.Addr != tc.invoke || cfg.APIAddr != tc.api {
			t.Errorf("%s %v: Invoke API %s, API Gateway %s; want %s and %s", tc.cmd, tc.args, cfg.Addr, cfg.APIAddr, tc.invoke, tc.api)
		}
		for _, n := range strings.Split(tc.notes, ",") {
			if n != "" && !strings.Contains(stderr.String(), "note: "+n+" configures SAM's Docker containers") {
				t.Errorf("%s %v: no note for %s in %q", tc.cmd, tc.args, n, stderr.String())
			}
		}
		if tc.notes == "" && stderr.Len() > 0 {
			t.Errorf("%s %v: unexpected notes %q", tc.cmd, tc.args, stderr.String())
		}
		if tc.level == "DEBUG" && !opts.Logger.Handler().Enabled(t.Context(), -4) {
			t.Errorf("%s --debug: the logger is not at debug level", tc.cmd)
		}
	}
	if got := lookupRegion(); got != "eu-west-3" {
		t.Errorf("--region set AWS_REGION to %q", got)
	}
}

func TestLocalCommands(t *testing.T) {
	for _, args := range [][]string{{}, {"deploy"}} {
		if _, _, err := runLocal(args); err == nil || !strings.Contains(err.Error(), "start-api, start-lambda, invoke, generate-event") {
			t.Errorf("local %v: %v", args, err)
		}
	}
	cmd, rest, err := runLocal([]string{"invoke", "Fn", "-e", "x"})
	if err != nil || cmd != "invoke" || strings.Join(rest, " ") != "Fn -e x" {
		t.Errorf("local invoke = %q %q %v", cmd, rest, err)
	}
}
