package emulator_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/cli"
	"github.com/frescolabs/fresco/internal/redistest"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = cli.Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIInvoke(t *testing.T) {
	tmpl := filepath.Join("..", "template.yaml")
	t.Run("hello from stdin", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, `{"name":"Ada"}`, "invoke", "Hello", "-e", "-", "-t", tmpl)
		if code != 0 || stdout != "{\"message\":\"Hello, Ada!\"}\n" {
			t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
		}
		for _, want := range []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: "} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
	})
	t.Run("event file, flags after the name", func(t *testing.T) {
		ev := filepath.Join(t.TempDir(), "event.json")
		os.WriteFile(ev, []byte(`{"name":"File"}`), 0o644)
		code, stdout, stderr := runCLI(t, "", "invoke", "-t", tmpl, "CHello", "--event", ev)
		if code != 0 || stdout != "{\"message\":\"Hello, File!\"}\n" {
			t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
		}
	})
	t.Run("env-vars and parameter overrides", func(t *testing.T) {
		env := filepath.Join(t.TempDir(), "env.json")
		// GREETING is declared by the template, EXTRA is not: fresco sets both.
		os.WriteFile(env, []byte(`{"Context": {"GREETING": "from env-vars"}, "Parameters": {"EXTRA": 42}}`), 0o644)
		code, stdout, stderr := runCLI(t, "", "invoke", "fresco-context-prod", "-t", tmpl, "--env-vars", env, "--parameter-overrides", "Stage=prod")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		for _, want := range []string{`"greeting":"from env-vars"`, `"stage":"prod"`, `"extra":"42"`, `"function_name":"fresco-context-prod"`} {
			if !strings.Contains(stdout, want) {
				t.Errorf("output lacks %s: %s", want, stdout)
			}
		}
	})
	t.Run("function error exits non-zero", func(t *testing.T) {
		code, stdout, _ := runCLI(t, "", "invoke", "Fail", "-t", tmpl)
		if code != 1 || !strings.Contains(stdout, `"errorType":"ValidationError"`) {
			t.Fatalf("exit %d, stdout %q", code, stdout)
		}
	})
	t.Run("timeout exits non-zero", func(t *testing.T) {
		code, stdout, _ := runCLI(t, "", "invoke", "Spin", "-t", tmpl)
		if code != 1 || !strings.Contains(stdout, `"errorType":"Sandbox.Timedout"`) {
			t.Fatalf("exit %d, stdout %q", code, stdout)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown function", []string{"invoke", "Nope", "-t", tmpl}, 1, `function "Nope" not found in the template`},
		{"missing template", []string{"invoke", "Hello", "-t", "no/such/template.yaml"}, 1, "no/such/template.yaml"},
		{"bad flag", []string{"invoke", "Hello", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"no name", []string{"invoke", "-t", tmpl}, 2, "invoke needs a function name"},
		{"unknown command", []string{"deploy"}, 2, `unknown command "deploy"`},
		{"bad event", []string{"invoke", "Hello", "-e", "-", "-t", tmpl}, 1, "not valid JSON"},
		{"bad allowed host", []string{"invoke", "Hello", "-t", tmpl, "--egress-hosts", "api.example.com,https://x"}, 1, `allowed host "https://x": give a host, not a URL`},
		{"missing CA file", []string{"invoke", "Hello", "-t", tmpl, "--ca-file", "no/such/ca.pem"}, 2, "--ca-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdin := ""
			if tc.name == "bad event" {
				stdin = "{oops"
			}
			code, _, stderr := runCLI(t, stdin, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tc.code, stderr, tc.want)
			}
		})
	}
}

// TestCLICacheSharedThroughRedis: two fresco invocations, each its own
// host, share the Visits sample's count through one real redis-server
// (--cache), as fresco hosts on many machines would; a --cache that names
// no store is refused.
func TestCLICacheSharedThroughRedis(t *testing.T) {
	tmpl := filepath.Join("..", "template.yaml")
	url := redistest.Start(t)
	name := fmt.Sprintf("cli-%d", time.Now().UnixNano())
	for i := 1; i <= 2; i++ {
		code, stdout, stderr := runCLI(t, `{"name":"`+name+`"}`, "invoke", "Visits", "-e", "-", "-t", tmpl, "--cache", url)
		if want := fmt.Sprintf("{\"name\":%q,\"visits\":%d}\n", name, i); code != 0 || stdout != want {
			t.Fatalf("visit %d: exit %d, stdout %q, want %q\n%s", i, code, stdout, want, stderr)
		}
	}
	code, _, stderr := runCLI(t, "", "invoke", "Hello", "-t", tmpl, "--cache", "memcached://127.0.0.1:11211")
	if code != 1 || !strings.Contains(stderr, "want redis://HOST:PORT/DB") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestCLIHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"start", "--help"}, {"invoke", "-h"}, {"build", "--help"}} {
		code, stdout, stderr := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(stdout+stderr, "fresco") {
			t.Errorf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
}

func TestCLIBuild(t *testing.T) {
	code, _, stderr := runCLI(t, "", "build", "-t", filepath.Join("..", "template.yaml"), "Hello", "CHello")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// The second build finds everything up to date.
	code, _, stderr = runCLI(t, "", "build", "-t", filepath.Join("..", "template.yaml"), "Hello")
	if code != 0 || !strings.Contains(stderr, "Hello is up to date") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

// buildBinary builds the fresco command, once per test run, and returns
// its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "fresco-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.dir, binary.path = dir, filepath.Join(dir, "fresco")
		build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binary.path, ".")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// binary is the fresco command the tests run, built once per test run
// (its directory removed by TestMain).
var binary struct {
	once      sync.Once
	dir, path string
	err       error
}

// startBinary runs the fresco command from the repository root, as
// `go run .` does (with args after the ports), and returns it with its
// Invoke API's URL and the lines it logged until it served.
func startBinary(t *testing.T, bin string, args ...string) (cmd *exec.Cmd, url string, seen []string) {
	t.Helper()
	// Ports 0 rather than 3001 and 3000, and a state directory of its own,
	// so a fresco the developer runs does not collide with the test;
	// everything else is the default.
	cmd = exec.Command(bin, append([]string{"--port", "0", "--api-port", "0", "--admin-addr", "127.0.0.1:0", "--state-dir", t.TempDir()}, args...)...)
	cmd.Dir = ".."
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrRE := regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		seen = append(seen, line)
		if m := addrRE.FindStringSubmatch(line); m != nil && strings.Contains(line, "serving") {
			url = m[1]
			break
		}
	}
	if url == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("fresco never reported its address:\n%s", strings.Join(seen, "\n"))
	}
	go io.Copy(io.Discard, stderr)
	return cmd, url, seen
}

// TestBinaryServesTemplate builds the fresco command and runs it from the
// repository root, as `go run .` does, and invokes a sample over HTTP.
func TestBinaryServesTemplate(t *testing.T) {
	cmd, url, seen := startBinary(t, buildBinary(t))
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("fresco exited with %v after SIGINT", err)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Error("fresco did not shut down within 30 s of SIGINT")
		}
	}()
	ready := 0
	for _, l := range seen {
		if strings.Contains(l, "function ready") {
			ready++
		}
	}
	if ready < 10 {
		t.Errorf("%d 'function ready' lines, want one per sample:\n%s", ready, strings.Join(seen, "\n"))
	}
	resp, err := http.Post(url+"/2015-03-31/functions/Hello/invocations", "", strings.NewReader(`{"name":"binary"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"message":"Hello, binary!"}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
