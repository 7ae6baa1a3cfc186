package emulator_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// clientEnv is the environment the aws CLI and boto3 run with: dummy
// credentials, a region, no config files of the machine's user.
func clientEnv(t *testing.T) []string {
	dir := t.TempDir()
	return append(os.Environ(),
		"AWS_ACCESS_KEY_ID=AKIDFRESCO", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard", "AWS_PAGER=")
}

// need finds a real client; CI installs them, so a missing one fails the
// test rather than skipping it.
func need(t *testing.T, name string) string {
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: the end-to-end tests need the real client (.ci/run installs it)", name)
	}
	return path
}

func TestAWSCLI(t *testing.T) {
	url := startServer(t)
	aws := need(t, "aws")
	dir := t.TempDir()
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(aws, append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
		cmd.Env = clientEnv(t)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	// CLI v2 reads --payload as base64 unless told otherwise; v1 takes it raw
	// and does not know the option.
	version, _, _ := run("--version")
	rawPayload := []string{}
	if !strings.HasPrefix(version, "aws-cli/1.") {
		rawPayload = []string{"--cli-binary-format", "raw-in-base64-out"}
	}
	t.Run("invoke with tail log", func(t *testing.T) {
		out := filepath.Join(dir, "hello.json")
		args := append([]string{"lambda", "invoke", "--function-name", "Hello"}, rawPayload...)
		stdout, stderr, err := run(append(args, "--payload", `{"name":"CLI"}`, "--log-type", "Tail", out)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		body, _ := os.ReadFile(out)
		if string(body) != `{"message":"Hello, CLI!"}` {
			t.Fatalf("response %s", body)
		}
		var meta struct {
			StatusCode      int
			ExecutedVersion string
			LogResult       string
		}
		if err := json.Unmarshal([]byte(stdout), &meta); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		logText, _ := base64.StdEncoding.DecodeString(meta.LogResult)
		if meta.StatusCode != 200 || meta.ExecutedVersion != "$LATEST" || !strings.HasPrefix(string(logText), "START RequestId: ") ||
			!strings.Contains(string(logText), "\nREPORT RequestId: ") {
			t.Fatalf("%s\nlog:\n%s", stdout, logText)
		}
	})
	t.Run("process functions", func(t *testing.T) {
		for _, fn := range []string{"NativeHello", "ShellHello"} {
			out := filepath.Join(dir, fn+".json")
			args := append([]string{"lambda", "invoke", "--function-name", fn}, rawPayload...)
			_, stderr, err := run(append(args, "--payload", `{"name":"CLI"}`, out)...)
			if err != nil {
				t.Fatalf("%s: %v\n%s", fn, err, stderr)
			}
			if body, _ := os.ReadFile(out); string(body) != `{"message":"Hello, CLI!"}` {
				t.Fatalf("%s: response %s", fn, body)
			}
		}
	})
	t.Run("function error", func(t *testing.T) {
		out := filepath.Join(dir, "fail.json")
		stdout, stderr, err := run("lambda", "invoke", "--function-name", "Fail", out)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		body, _ := os.ReadFile(out)
		if !strings.Contains(stdout, `"FunctionError": "Unhandled"`) || !strings.Contains(string(body), `"errorType":"ValidationError"`) {
			t.Fatalf("%s\n%s", stdout, body)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, stderr, err := run("lambda", "invoke", "--function-name", "Nope", filepath.Join(dir, "nope.json"))
		if err == nil || !strings.Contains(stderr, "ResourceNotFoundException") {
			t.Fatalf("err %v, stderr %s", err, stderr)
		}
	})
	t.Run("versions and aliases", func(t *testing.T) {
		// AutoPublishAlias: live gives Hello version 1 and the alias live.
		for _, target := range [][]string{
			{"--function-name", "Hello:1"},
			{"--function-name", "Hello:live"},
			{"--function-name", "arn:aws:lambda:us-east-1:123456789012:function:Hello:live"},
			{"--function-name", "Hello", "--qualifier", "live"},
		} {
			out := filepath.Join(dir, "v.json")
			args := append(append([]string{"lambda", "invoke"}, target...), rawPayload...)
			stdout, stderr, err := run(append(args, "--payload", `{"name":"v1"}`, out)...)
			if err != nil {
				t.Fatalf("%v: %v\n%s", target, err, stderr)
			}
			body, _ := os.ReadFile(out)
			if !strings.Contains(stdout, `"ExecutedVersion": "1"`) || string(body) != `{"message":"Hello, v1!"}` {
				t.Errorf("%v: %s %s", target, stdout, body)
			}
		}
		for _, name := range []string{"Hello:2", "Hello:dev"} {
			_, stderr, err := run("lambda", "invoke", "--function-name", name, filepath.Join(dir, "nope.json"))
			if err == nil || !strings.Contains(stderr, "ResourceNotFoundException") || !strings.Contains(stderr, "function:"+name) {
				t.Errorf("%s: err %v, stderr %s", name, err, stderr)
			}
		}
	})
	t.Run("event and dry run", func(t *testing.T) {
		stdout, stderr, err := run("lambda", "invoke", "--function-name", "Hello", "--invocation-type", "Event", filepath.Join(dir, "ev.json"))
		if err != nil || !strings.Contains(stdout, `"StatusCode": 202`) {
			t.Fatalf("%v %s %s", err, stdout, stderr)
		}
		stdout, stderr, err = run("lambda", "invoke", "--function-name", "Hello", "--invocation-type", "DryRun", filepath.Join(dir, "dry.json"))
		if err != nil || !strings.Contains(stdout, `"StatusCode": 204`) {
			t.Fatalf("%v %s %s", err, stdout, stderr)
		}
	})
}

const boto3Script = `
import base64, json, sys
import boto3, botocore
c = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="us-east-1",
                 config=botocore.config.Config(retries={"max_attempts": 0}))
out = {}
r = c.invoke(FunctionName="Hello", Payload=b'{"name":"boto3"}', LogType="Tail")
out["hello"] = r["Payload"].read().decode()
out["status"] = r["StatusCode"]
out["log"] = base64.b64decode(r["LogResult"]).decode()
for fn in ("NativeHello", "ShellHello"):
    r = c.invoke(FunctionName=fn, Payload=b'{"name":"boto3"}', LogType="Tail")
    out[fn] = r["Payload"].read().decode()
    out[fn + "_log"] = base64.b64decode(r["LogResult"]).decode()
r = c.invoke(FunctionName="Panic")
out["panic_error"] = r.get("FunctionError")
out["panic_type"] = json.loads(r["Payload"].read())["errorType"]
try:
    c.invoke(FunctionName="Nope")
    out["not_found"] = "no exception"
except c.exceptions.ResourceNotFoundException as e:
    out["not_found"] = e.response["Error"]["Code"]
try:
    c.invoke(FunctionName="Hello", Payload=b"not json")
    out["bad_json"] = "no exception"
except c.exceptions.InvalidRequestContentException as e:
    out["bad_json"] = e.response["Error"]["Code"]
try:
    c.invoke(FunctionName="Echo", Payload=b'"' + b"x" * 6291456 + b'"')
    out["too_large"] = "no exception"
except c.exceptions.RequestTooLargeException as e:
    out["too_large"] = e.response["Error"]["Code"]
r = c.invoke(FunctionName="Sleep", Payload=b'{"ms":5000}')
out["timeout"] = json.loads(r["Payload"].read())
cc = base64.b64encode(json.dumps({"custom": {"tenant": "boto"}}).encode()).decode()
r = c.invoke(FunctionName="fresco-context-dev", ClientContext=cc)
out["client_custom"] = json.loads(r["Payload"].read())["client_custom"]
print(json.dumps(out))
`

func TestBoto3(t *testing.T) {
	url := startServer(t)
	python := need(t, "python3")
	cmd := exec.Command(python, "-c", boto3Script, url)
	cmd.Env = clientEnv(t)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, stderr.String())
	}
	var got struct {
		Hello      string `json:"hello"`
		Status     int    `json:"status"`
		Log        string `json:"log"`
		PanicError string `json:"panic_error"`
		PanicType  string `json:"panic_type"`
		NotFound   string `json:"not_found"`
		BadJSON    string `json:"bad_json"`
		TooLarge   string `json:"too_large"`
		Timeout    struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		} `json:"timeout"`
		ClientCustom   map[string]string `json:"client_custom"`
		NativeHello    string            `json:"NativeHello"`
		NativeHelloLog string            `json:"NativeHello_log"`
		ShellHello     string            `json:"ShellHello"`
		ShellHelloLog  string            `json:"ShellHello_log"`
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	checks := map[string]bool{
		"hello":          got.Hello == `{"message":"Hello, boto3!"}` && got.Status == 200,
		"tail log":       strings.HasPrefix(got.Log, "START RequestId: ") && strings.Contains(got.Log, "\nEND RequestId: ") && strings.Contains(got.Log, "\nREPORT RequestId: "),
		"panic":          got.PanicError == "Unhandled" && got.PanicType == "string",
		"not found":      got.NotFound == "ResourceNotFoundException",
		"bad json":       got.BadJSON == "InvalidRequestContentException",
		"too large":      got.TooLarge == "RequestTooLargeException",
		"timeout":        got.Timeout.ErrorType == "Sandbox.Timedout" && strings.HasSuffix(got.Timeout.ErrorMessage, "Task timed out after 2.00 seconds"),
		"client context": got.ClientCustom["tenant"] == "boto",
		"native hello":   got.NativeHello == `{"message":"Hello, boto3!"}` && strings.Contains(got.NativeHelloLog, "\nREPORT RequestId: "),
		"shell hello":    got.ShellHello == `{"message":"Hello, boto3!"}` && strings.Contains(got.ShellHelloLog, "shellhello: greeting boto3\n"),
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s: got %s", name, stdout)
		}
	}
}
