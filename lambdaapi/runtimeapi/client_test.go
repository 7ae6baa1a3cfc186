package runtimeapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/procpool/procpooltest"
	"github.com/frescolabs/fresco/internal/invoke"
)

// buildRuntimeHello builds testdata/runtimeapi/hello, a function on
// aws-lambda-go's real runtime client, and returns the binary's path.
func buildRuntimeHello(t *testing.T) string {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Fatal("no go command to build the native function with")
		}
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command(gobin, "build", "-o", bin, "./testdata/runtimeapi/hello")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the native function: %v\n%s", err, out)
	}
	return bin
}

// startRuntimeProcess runs bin as a runtime process of h's function, as
// fresco will: AWS_LAMBDA_RUNTIME_API and the standard Lambda environment.
// The process is killed when the test ends.
func startRuntimeProcess(t *testing.T, h *procpooltest.Harness, bin string) *exec.Cmd {
	t.Helper()
	u, err := url.Parse(h.Srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+u.Host,
		"_HANDLER=bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME=Native",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_REGION=us-east-1",
	)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("runtime process log:\n%s", log.String())
		}
	})
	return cmd
}

// TestRuntimeAPIContractAWSLambdaGo runs a function on aws-lambda-go's real
// runtime client (lambda.Start) against the Runtime API and invokes it
// through procpool.Queue.Invoke.
func TestRuntimeAPIContractAWSLambdaGo(t *testing.T) {
	t.Parallel()
	bin := buildRuntimeHello(t)
	h := procpooltest.NewHarness(t, 5*time.Second)
	cmd := startRuntimeProcess(t, h, bin)

	call := func(t *testing.T, req *invoke.Request) *invoke.Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := h.Q.Invoke(ctx, req)
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		return res
	}
	errorDoc := func(t *testing.T, res *invoke.Result, kind invoke.Kind, errType string) map[string]any {
		t.Helper()
		if res.Kind != kind || res.ErrorType != errType {
			t.Fatalf("result %v %q (%s), want %v %q", res.Kind, res.ErrorType, res.Payload, kind, errType)
		}
		var doc map[string]any
		if err := json.Unmarshal(res.Payload, &doc); err != nil {
			t.Fatalf("error document %s: %v", res.Payload, err)
		}
		if doc["errorType"] != errType {
			t.Errorf("errorType %v, want %s", doc["errorType"], errType)
		}
		return doc
	}

	t.Run("success and headers", func(t *testing.T) {
		deadline := time.Now().Add(20 * time.Second).Truncate(time.Millisecond)
		const trace = "Root=1-5e1b4151-5ac6c58f5b5dbd6a1a1a1a1a;Parent=1111111111111111;Sampled=0"
		res := call(t, &invoke.Request{
			RequestID:          "req-success",
			Payload:            []byte(`{"name":"fresco"}`),
			InvokedFunctionARN: procpooltest.TestARN + ":live",
			TraceID:            trace,
			Deadline:           deadline,
			ClientContext:      []byte(`{"custom":{"k":"custom value"},"env":{},"client":{}}`),
			CognitoIdentity:    []byte(`{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}`),
		})
		if res.Kind != invoke.Success {
			t.Fatalf("result %v %s", res.Kind, res.Payload)
		}
		var got map[string]any
		if err := json.Unmarshal(res.Payload, &got); err != nil {
			t.Fatalf("payload %s: %v", res.Payload, err)
		}
		want := map[string]any{
			"greeting":      "Hello, fresco",
			"requestId":     "req-success",
			"functionArn":   procpooltest.TestARN + ":live",
			"deadlineMs":    float64(deadline.UnixMilli()),
			"traceId":       trace,
			"clientCustom":  "custom value",
			"cognitoPoolId": "pool",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
	})

	t.Run("defaults", func(t *testing.T) {
		before := time.Now()
		res := call(t, &invoke.Request{Payload: []byte(`{"name":"again"}`)})
		var got struct {
			Greeting, RequestID, FunctionARN, TraceID string
			DeadlineMs                                int64
		}
		if err := json.Unmarshal(res.Payload, &got); err != nil || res.Kind != invoke.Success {
			t.Fatalf("result %v %s (%v)", res.Kind, res.Payload, err)
		}
		if got.Greeting != "Hello, again" || got.RequestID == "" || got.FunctionARN != procpooltest.TestARN ||
			!strings.HasPrefix(got.TraceID, "Root=1-") {
			t.Errorf("answer %+v", got)
		}
		if d := time.UnixMilli(got.DeadlineMs).Sub(before); d < 4*time.Second || d > 6*time.Second {
			t.Errorf("deadline %v after the invocation, want the 5s timeout", d)
		}
	})

	t.Run("returned error", func(t *testing.T) {
		doc := errorDoc(t, call(t, &invoke.Request{Payload: []byte(`{"do":"error","name":"widget"}`)}),
			invoke.FunctionError, "NotFoundError")
		if doc["errorMessage"] != "widget not found" {
			t.Errorf("errorMessage %v", doc["errorMessage"])
		}
		doc = errorDoc(t, call(t, &invoke.Request{Payload: []byte(`{"do":"plainerror"}`)}),
			invoke.FunctionError, "errorString")
		if doc["errorMessage"] != "plain failure" {
			t.Errorf("errorMessage %v", doc["errorMessage"])
		}
	})

	t.Run("panic", func(t *testing.T) {
		doc := errorDoc(t, call(t, &invoke.Request{Payload: []byte(`{"do":"panic","name":"x"}`)}),
			invoke.FunctionError, "string")
		if doc["errorMessage"] != "boom: x" {
			t.Errorf("errorMessage %v", doc["errorMessage"])
		}
		if st, ok := doc["stackTrace"].([]any); !ok || len(st) == 0 {
			t.Errorf("no stackTrace in %v", doc)
		}
		// aws-lambda-go exits after reporting a panic.
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the runtime did not exit after a panic")
		}
	})

	t.Run("a new process serves on", func(t *testing.T) {
		startRuntimeProcess(t, h, bin)
		res := call(t, &invoke.Request{Payload: []byte(`{"name":"reborn"}`)})
		if res.Kind != invoke.Success || !strings.Contains(string(res.Payload), `"Hello, reborn"`) {
			t.Fatalf("result %v %s", res.Kind, res.Payload)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		proc := startRuntimeProcess(t, h, bin)
		res := call(t, &invoke.Request{RequestID: "req-slow", Payload: []byte(`{"do":"sleep"}`),
			Deadline: time.Now().Add(300 * time.Millisecond)})
		doc := errorDoc(t, res, invoke.Timeout, invoke.ErrTimeout)
		if doc["errorMessage"] != "RequestId: req-slow Error: Task timed out after 5.00 seconds" {
			t.Errorf("errorMessage %v", doc["errorMessage"])
		}
		// The process still runs the handler; whoever runs it kills it.
		proc.Process.Kill()
	})
}
