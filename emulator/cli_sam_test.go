package emulator_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// samProject writes a SAM project as sam init lays one out (template.yml
// at its root) with one function, the C sample.
func samProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	wasm, err := filepath.Abs(filepath.Join("..", "samples", "chello", "chello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ` + wasm + `
`
	if err := os.WriteFile(filepath.Join(dir, "template.yml"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// samAPIProject is a SAM project whose one function, a Runtime API
// bootstrap in bash, answers API Gateway's proxy shape behind GET /hello.
func samAPIProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "hello"), 0o755)
	bootstrap := `#!/bin/bash
set -euo pipefail
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
HEADERS="$(mktemp)"
while true; do
	curl -sS -D "$HEADERS" -o /dev/null "$API/invocation/next"
	ID="$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
	curl -sS -o /dev/null "$API/invocation/$ID/response" --data-binary '{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"hello from start-api"}'
done
`
	if err := os.WriteFile(filepath.Join(dir, "hello", "bootstrap"), []byte(bootstrap), 0o755); err != nil {
		t.Fatal(err)
	}
	tmpl := `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Handler: bootstrap
      Runtime: provided.al2023
      Events:
        Hello:
          Type: Api
          Properties:
            Path: /hello
            Method: get
`
	if err := os.WriteFile(filepath.Join(dir, "template.yml"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// SAM's spellings run unchanged: `local invoke` without a function name
// (the template has one) and --no-event, its log lines in -l's file;
// SAM's Docker-only flags draw a note and change nothing.
func TestCLISAMLocalInvoke(t *testing.T) {
	dir := samProject(t)
	logFile := filepath.Join(t.TempDir(), "fn.log")
	code, stdout, stderr := runCLI(t, "", "local", "invoke", "--no-event", "-t", filepath.Join(dir, "template.yml"),
		"-l", logFile, "--skip-pull-image", "--docker-network", "host", "--cache-dir", t.TempDir())
	if code != 0 || stdout != "{\"message\":\"Hello, world!\"}\n" {
		t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	for _, note := range []string{"--skip-pull-image configures SAM's Docker containers", "--docker-network configures"} {
		if !strings.Contains(stderr, note) {
			t.Errorf("stderr lacks %q:\n%s", note, stderr)
		}
	}
	log, _ := os.ReadFile(logFile)
	if !strings.Contains(string(log), "START RequestId: ") || !strings.Contains(string(log), "REPORT RequestId: ") || strings.Contains(stderr, "START RequestId") {
		t.Errorf("the function's log went to stderr, not -l's file:\nfile: %s\nstderr: %s", log, stderr)
	}
	if code, _, stderr := runCLI(t, "", "local", "invoke", "--no-event", "-e", "x.json", "-t", filepath.Join(dir, "template.yml")); code != 2 || !strings.Contains(stderr, "exclude each other") {
		t.Errorf("--no-event with -e: exit %d, %s", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "", "local", "generate-event", "sqs", "receive-message"); code != 0 || !strings.Contains(stdout, `"eventSource": "aws:sqs"`) {
		t.Errorf("local generate-event: exit %d, %s", code, stdout)
	}
}

// `fresco local start-api -p PORT` serves API Gateway on PORT, as SAM
// does, read with curl.
func TestCLISAMLocalStartAPI(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	dir := samAPIProject(t)
	cmd := exec.Command(buildBinary(t), "local", "start-api", "-p", "0", "--admin-addr", "off", "--state-dir", t.TempDir(), "--warm-containers", "EAGER")
	cmd.Dir = dir // template.yml found as SAM finds it
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	re := regexp.MustCompile(`api_addr=(http://127\.0\.0\.1:\d+)`)
	var api string
	var seen []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			api = m[1]
			break
		}
	}
	if api == "" {
		t.Fatalf("start-api never reported API Gateway's address:\n%s", strings.Join(seen, "\n"))
	}
	go io.Copy(io.Discard, stderr)
	if !strings.Contains(strings.Join(seen, "\n"), "--warm-containers configures SAM's Docker containers") {
		t.Errorf("no note for --warm-containers:\n%s", strings.Join(seen, "\n"))
	}
	out, err := exec.Command(curl, "-sS", "-w", " %{http_code}", api+"/hello").CombinedOutput()
	if err != nil || string(out) != `hello from start-api 200` {
		t.Fatalf("curl %s/hello: %s, %v", api, out, err)
	}
}
