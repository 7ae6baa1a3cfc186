package deploy_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frescolabs/fresco/emulator/cli"
)

// asFresco, in the environment, makes the test binary the fresco command,
// so that the install test can install it as the release binary without
// building one.
const asFresco = "DEPLOY_TEST_AS_FRESCO"

func TestMain(m *testing.M) {
	if os.Getenv(asFresco) == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// fakeSystemctl stands in for systemctl, as no systemd runs the tests:
// restart stops the process it started before and starts the unit's
// ExecStart (the command line it is given, paths moved under the test's
// root); is-failed says whether that process is gone; the rest succeed.
const fakeSystemctl = `#!/bin/bash
state="${FAKE_SYSTEMD_DIR:?}"
stop() {
	if [ -f "$state/pid" ]; then
		pid="$(cat "$state/pid")"
		kill "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
		rm -f "$state/pid"
	fi
}
case "$1" in
restart) stop; setsid $FAKE_EXECSTART >>"$state/fresco.log" 2>&1 </dev/null & echo $! >"$state/pid" ;;
stop) stop ;;
is-failed) [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null && exit 1; exit 0 ;;
esac
exit 0
`

// TestInstallScript runs cloud-init.yaml's fresco-install against files
// served on 127.0.0.1, under a temporary root: the first install fetches
// the binary (this test binary, as fresco) and a functions bundle, checks
// their sums, links them, starts the unit's command line and waits until
// it serves, and CHello answers through the aws CLI; an upgrade of the
// functions makes the first bundle the previous one; --rollback goes back;
// a wrong sum stops an install and leaves the links as they were.
func TestInstallScript(t *testing.T) {
	aws := tool(t, "aws")
	tool(t, "curl")
	tool(t, "setsid")
	_, files := readCloudConfig(t)
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	state := filepath.Join(root, "systemd")
	for _, d := range []string{bin, state, filepath.Join(root, "etc/fresco"), filepath.Join(root, "var/lib/fresco"), filepath.Join(root, "var/cache/fresco")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(bin, "fresco-install")
	os.WriteFile(script, []byte(files["/usr/local/sbin/fresco-install"]), 0o755)
	os.WriteFile(filepath.Join(bin, "systemctl"), []byte(fakeSystemctl), 0o755)
	os.WriteFile(filepath.Join(bin, "journalctl"), []byte("#!/bin/sh\ncat \"$FAKE_SYSTEMD_DIR/fresco.log\"\n"), 0o755)

	// The release: this binary as fresco, and two bundles.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string][]byte{}
	served["/fresco"], err = os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(filepath.Join("..", "samples", "chello", "chello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for i, desc := range []string{"first", "second"} {
		dir := filepath.Join(root, "bundle"+desc)
		os.MkdirAll(filepath.Join(dir, "artifacts"), 0o755)
		os.WriteFile(filepath.Join(dir, "artifacts", "c.wasm"), wasm, 0o644)
		os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(fmt.Sprintf(`Transform: AWS::Serverless-2016-10-31
Resources:
  CHello:
    Type: AWS::Serverless::Function
    Properties:
      Description: %s
      CodeUri: artifacts/c.wasm
`, desc)), 0o644)
		tgz := filepath.Join(root, fmt.Sprintf("functions%d.tar.gz", i))
		if out, err := exec.Command("tar", "-czf", tgz, "-C", dir, "template.yaml", "artifacts").CombinedOutput(); err != nil {
			t.Fatalf("tar: %v\n%s", err, out)
		}
		served[fmt.Sprintf("/functions%d.tar.gz", i)], _ = os.ReadFile(tgz)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := served[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	sum := func(path string) string { s := sha256.Sum256(served[path]); return hex.EncodeToString(s[:]) }

	// The unit's command line, under root, on a free port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	args := strings.Fields(directive(t, "ExecStart")[0])
	for i, a := range args {
		if strings.HasPrefix(a, "/") {
			args[i] = root + a
		}
		if i > 0 && args[i-1] == "--port" {
			args[i] = port
		}
		if i > 0 && args[i-1] == "--api-port" {
			args[i] = "0"
		}
	}
	env := append(os.Environ(), asFresco+"=1", "INSTALL_ROOT="+root, "PROBE_URL=http://127.0.0.1:"+port,
		"FAKE_SYSTEMD_DIR="+state, "FAKE_EXECSTART="+strings.Join(args, " "), "PATH="+bin+":"+os.Getenv("PATH"))
	fakeStop := exec.Command(filepath.Join(bin, "systemctl"), "stop", "fresco")
	fakeStop.Env = env
	defer fakeStop.Run()

	install := func(functions string, functionsSum string, extra ...string) (string, error) {
		os.WriteFile(filepath.Join(root, "etc/fresco/release.env"), []byte(fmt.Sprintf(
			// As a presigned URL: a query with &, in single quotes.
			"RELEASE_BINARY_URL='%s/fresco?X-Amz-Expires=3600&X-Amz-Signature=x'\nRELEASE_BINARY_SHA256=%s\nRELEASE_FUNCTIONS_URL='%s%s?X-Amz-Expires=3600&X-Amz-Signature=x'\nRELEASE_FUNCTIONS_SHA256=%s\n",
			srv.URL, sum("/fresco"), srv.URL, functions, functionsSum)), 0o644)
		cmd := exec.Command("bash", append([]string{script}, extra...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	link := func(p string) string {
		t.Helper()
		target, err := os.Readlink(filepath.Join(root, p))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return target
	}
	invoke := func() {
		t.Helper()
		out := filepath.Join(root, "out.json")
		cmd := exec.Command(aws, "lambda", "invoke", "--endpoint-url", "http://127.0.0.1:"+port, "--function-name", "CHello", "--payload", `{"name":"cloud-init"}`, out)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("aws lambda invoke: %v\n%s", err, b)
		}
		if b, _ := os.ReadFile(out); string(b) != `{"message":"Hello, cloud-init!"}` {
			t.Fatalf("CHello answered %q", b)
		}
	}

	out, err := install("/functions0.tar.gz", sum("/functions0.tar.gz"))
	if err != nil {
		t.Fatalf("first install: %v\n%s", err, out)
	}
	first := filepath.Join(root, "etc/fresco/functions", sum("/functions0.tar.gz"))
	if got := link("usr/local/bin/fresco"); got != filepath.Join(root, "usr/local/lib/fresco", sum("/fresco"), "fresco") {
		t.Errorf("fresco -> %s", got)
	}
	if got := link("etc/fresco/functions/current"); got != first {
		t.Errorf("functions/current -> %s, want %s", got, first)
	}
	invoke()

	out, err = install("/functions1.tar.gz", sum("/functions1.tar.gz"))
	if err != nil {
		t.Fatalf("upgrade: %v\n%s", err, out)
	}
	second := filepath.Join(root, "etc/fresco/functions", sum("/functions1.tar.gz"))
	if link("etc/fresco/functions/current") != second || link("etc/fresco/functions/current.previous") != first {
		t.Errorf("after the upgrade: current -> %s, previous -> %s", link("etc/fresco/functions/current"), link("etc/fresco/functions/current.previous"))
	}
	invoke()

	if out, err := install("/functions1.tar.gz", sum("/functions1.tar.gz"), "--rollback"); err != nil {
		t.Fatalf("rollback: %v\n%s", err, out)
	}
	if link("etc/fresco/functions/current") != first || link("etc/fresco/functions/current.previous") != second {
		t.Errorf("after the rollback: current -> %s, previous -> %s", link("etc/fresco/functions/current"), link("etc/fresco/functions/current.previous"))
	}
	invoke()

	// A third bundle whose sum is wrong: refused, nothing switched.
	served["/functions2.tar.gz"] = append([]byte(nil), served["/functions1.tar.gz"]...)
	served["/functions2.tar.gz"][len(served["/functions2.tar.gz"])-1] ^= 1
	wrong := []byte(sum("/functions2.tar.gz"))
	if wrong[0] == '0' { // a sum no bundle here has
		wrong[0] = '1'
	} else {
		wrong[0] = '0'
	}
	if string(wrong) == sum("/functions0.tar.gz") || string(wrong) == sum("/functions1.tar.gz") || string(wrong) == sum("/functions2.tar.gz") {
		t.Fatal("the wrong sum is a right one")
	}
	out, err = install("/functions2.tar.gz", string(wrong))
	if err == nil || !strings.Contains(out, "wrong SHA-256") {
		t.Fatalf("a wrong sum: %v\n%s", err, out)
	}
	if link("etc/fresco/functions/current") != first {
		t.Errorf("after a refused install: current -> %s", link("etc/fresco/functions/current"))
	}
	if left, _ := filepath.Glob(filepath.Join(root, "etc/fresco/functions/.new-*")); len(left) > 0 {
		t.Errorf("a refused install left %v", left)
	}
	invoke()
}
