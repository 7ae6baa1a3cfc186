package emulator_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/internal/invoke"
)

// The process server serves testdata/process/template.yaml: samples built
// natively (aws-lambda-go's real runtime client) and bash bootstraps that
// fail on demand, with their state files in processStateDir.
var (
	processServer   sharedServer
	processLog      = &syncBuffer{}
	processStateDir string
)

func startProcessServer(t testing.TB) string {
	t.Helper()
	if processStateDir == "" {
		dir, err := os.MkdirTemp("", "fresco-process-test-")
		if err != nil {
			t.Fatal(err)
		}
		processStateDir = dir
	}
	return processServer.start(t, emulator.Options{
		Template:   filepath.Join("testdata", "process", "template.yaml"),
		Parameters: map[string]string{"StateDir": processStateDir},
	}, processLog)
}

// lambdaClient is aws-sdk-go-v2's Lambda client for the server at url.
func lambdaClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDFRESCO", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// errorDoc is a function error's body.
type errorDoc struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// invokeTail invokes fn with payload through the SDK, asking for the log.
func invokeTail(t *testing.T, c *lambda.Client, fn, payload string) (*lambda.InvokeOutput, string) {
	t.Helper()
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String(fn), Payload: []byte(payload), LogType: types.LogTypeTail,
	})
	if err != nil {
		t.Fatalf("invoke %s: %v", fn, err)
	}
	logText, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	return out, string(logText)
}

// wantError checks that out is a function error of type errType whose
// message ends with msgSuffix.
func wantError(t *testing.T, out *lambda.InvokeOutput, errType, msgSuffix string) errorDoc {
	t.Helper()
	var doc errorDoc
	if err := json.Unmarshal(out.Payload, &doc); err != nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" || doc.ErrorType != errType ||
		!strings.HasSuffix(doc.ErrorMessage, msgSuffix) {
		t.Fatalf("status %d, function error %q, body %s; want %s ending %q",
			out.StatusCode, aws.ToString(out.FunctionError), out.Payload, errType, msgSuffix)
	}
	return doc
}

// wantSuccess checks that out is a success and returns its payload.
func wantSuccess(t *testing.T, out *lambda.InvokeOutput) string {
	t.Helper()
	if out.StatusCode != 200 || out.FunctionError != nil {
		t.Fatalf("status %d, function error %q: %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}
	return string(out.Payload)
}

// TestProcessNativeSamples runs the Fail, Panic and Sleep samples built
// natively, so that aws-lambda-go's own runtime loop reports their
// errors, and checks they read exactly as the wasm builds' do.
func TestProcessNativeSamples(t *testing.T) {
	c := lambdaClient(startProcessServer(t))
	t.Run("returned error", func(t *testing.T) {
		out, _ := invokeTail(t, c, "NativeFail", `{"field":"email"}`)
		wantError(t, out, "ValidationError", `invalid field "email"`)
		if string(out.Payload) != `{"errorMessage":"invalid field \"email\"","errorType":"ValidationError"}` {
			t.Fatalf("payload %s", out.Payload)
		}
	})
	t.Run("panic", func(t *testing.T) {
		out, logText := invokeTail(t, c, "NativePanic", `{}`)
		wantError(t, out, "string", "something went badly wrong")
		// aws-lambda-go logs the error document, then exits after a panic;
		// the next invocation gets a new process.
		if !strings.Contains(logText, `"errorType":"string"`) {
			t.Errorf("log lacks the error document:\n%s", logText)
		}
		out, _ = invokeTail(t, c, "NativePanic", `{}`)
		wantError(t, out, "string", "something went badly wrong")
	})
	t.Run("timeout", func(t *testing.T) {
		out, logText := invokeTail(t, c, "NativeSleep", `{"ms":5000}`)
		doc := wantError(t, out, "Sandbox.Timedout", "Error: Task timed out after 1.00 seconds")
		if !strings.HasPrefix(doc.ErrorMessage, "RequestId: ") || !strings.Contains(logText, "\tStatus: timeout") {
			t.Errorf("message %q, log:\n%s", doc.ErrorMessage, logText)
		}
		// The process that overran was killed; a fresh one serves.
		out, logText = invokeTail(t, c, "NativeSleep", `{"ms":1}`)
		if p := wantSuccess(t, out); !strings.HasPrefix(p, `{"slept_ms":`) {
			t.Fatalf("payload %s", p)
		}
		if !strings.Contains(logText, "\tInit Duration: ") {
			t.Errorf("a new process's first invocation has no Init Duration:\n%s", logText)
		}
	})
}

// TestProcessRuntimeAPIHeaders: what a bootstrap receives from next, the
// headers and the event exactly, and its environment.
func TestProcessRuntimeAPIHeaders(t *testing.T) {
	url := startProcessServer(t)
	const traceID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	clientContext := `{"custom":{"tenant":"acme"},"env":{"locale":"fr"}}`
	req, _ := http.NewRequest("POST", url+"/2015-03-31/functions/Headers/invocations", strings.NewReader(`{"name":"Ada"}`))
	req.Header.Set("X-Amz-Client-Context", base64.StdEncoding.EncodeToString([]byte(clientContext)))
	req.Header.Set("X-Amzn-Trace-Id", traceID)
	before := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Headers map[string]string
		Event   json.RawMessage
		Env     map[string]string
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}

	requestID := resp.Header.Get("X-Amzn-Requestid")
	deadline, err := strconv.ParseInt(got.Headers["Lambda-Runtime-Deadline-Ms"], 10, 64)
	if err != nil {
		t.Fatalf("deadline: %v (%s)", err, body)
	}
	// The deadline is the hand-over plus the function's 30 s timeout.
	lo, hi := before.Add(30*time.Second).UnixMilli()-1, after.Add(30*time.Second).UnixMilli()
	if deadline < lo || deadline > hi {
		t.Errorf("deadline %d not within [%d, %d]", deadline, lo, hi)
	}
	delete(got.Headers, "Lambda-Runtime-Deadline-Ms")
	want := map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       requestID,
		"Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:Headers",
		"Lambda-Runtime-Trace-Id":             traceID,
		"Lambda-Runtime-Client-Context":       clientContext,
		"Content-Type":                        "application/json",
	}
	if len(requestID) != 36 || fmt.Sprint(got.Headers) != fmt.Sprint(want) {
		t.Errorf("headers\n got %v\nwant %v", got.Headers, want)
	}
	if string(got.Event) != `{"name":"Ada"}` {
		t.Errorf("event %s", got.Event)
	}

	taskRoot, _ := filepath.Abs(filepath.Join("testdata", "process", "headers"))
	wantEnv := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "Headers",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/Headers",
		"AWS_REGION":                      "us-east-1",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              taskRoot,
		"TZ":                              ":UTC",
		"_HANDLER":                        "headers.handler",
		"FROM_TEMPLATE":                   "yes",
		"PWD":                             taskRoot,
	}
	if os.Getenv("AWS_REGION") != "" || os.Getenv("AWS_DEFAULT_REGION") != "" {
		delete(wantEnv, "AWS_REGION")
	}
	for k, v := range wantEnv {
		if got.Env[k] != v {
			t.Errorf("%s=%q, want %q", k, got.Env[k], v)
		}
	}
	if api := got.Env["AWS_LAMBDA_RUNTIME_API"]; !strings.HasPrefix(api, "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API=%q", api)
	}
	// The invocation's log is the bootstrap's output while it held it.
	if !strings.Contains(processLog.String(), "headers: answering "+requestID) {
		t.Errorf("the function log lacks the bootstrap's output for %s", requestID)
	}
}

// touch creates the state file that tells the crashy bootstrap of fn to
// fail its next init.
func touch(t *testing.T, fn, what string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(processStateDir, fn+"."+what), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProcessInitFailures: a bootstrap that exits before its first next,
// and one that posts an init error, fail the invocation that started
// them; the function then serves from a new process.
func TestProcessInitFailures(t *testing.T) {
	c := lambdaClient(startProcessServer(t))
	t.Run("exit", func(t *testing.T) {
		touch(t, "InitExit", "init-exit")
		out, logText := invokeTail(t, c, "InitExit", `{}`)
		doc := wantError(t, out, "Runtime.ExitError", "Error: Runtime exited with error: exit status 3")
		for _, s := range []string{"START RequestId: ", "crashy: init\n", "crashy: exiting at init\n", doc.ErrorMessage, "\tInit Duration: "} {
			if !strings.Contains(logText, s) {
				t.Errorf("log lacks %q:\n%s", s, logText)
			}
		}
		out, _ = invokeTail(t, c, "InitExit", `{}`)
		if p := wantSuccess(t, out); !strings.HasPrefix(p, `{"pid":`) {
			t.Fatalf("payload %s", p)
		}
	})
	t.Run("init error", func(t *testing.T) {
		touch(t, "InitError", "init-error")
		out, _ := invokeTail(t, c, "InitError", `{}`)
		wantError(t, out, "Runtime.ConfigError", "crashy: bad configuration")
		if string(out.Payload) != `{"errorMessage":"crashy: bad configuration","errorType":"Runtime.ConfigError"}` {
			t.Fatalf("payload %s, want the posted document", out.Payload)
		}
		out, _ = invokeTail(t, c, "InitError", `{}`)
		wantSuccess(t, out)
	})
}

// TestProcessCrashMidInvocation: a process that exits while it holds an
// invocation fails it with Runtime.ExitError and its exit status; a new
// process serves the next one.
func TestProcessCrashMidInvocation(t *testing.T) {
	c := lambdaClient(startProcessServer(t))
	out, logText := invokeTail(t, c, "Crash", `{}`)
	first := wantSuccess(t, out)
	// What it printed just before posting its answer is in that answer's log.
	if !strings.Contains(logText, "crashy: answering ") {
		t.Errorf("log lacks the output written before the answer:\n%s", logText)
	}
	out, logText = invokeTail(t, c, "Crash", `{"crash":true}`)
	wantError(t, out, "Runtime.ExitError", "Error: Runtime exited with error: exit status 4")
	if !strings.Contains(logText, "crashy: crashing\n") || strings.Contains(logText, "Init Duration") {
		t.Errorf("log:\n%s", logText)
	}
	out, _ = invokeTail(t, c, "Crash", `{}`)
	if next := wantSuccess(t, out); next == first {
		t.Fatalf("answered by the same process (%s) after it exited", next)
	}
}

// TestProcessConcurrent: 16 invocations at once of a bootstrap that holds
// each for half a second all succeed, on more than one process: they run
// in parallel instead of queueing behind one runtime.
func TestProcessConcurrent(t *testing.T) {
	c := lambdaClient(startProcessServer(t))
	pids := hammer(t, c, "Parallel", `{"sleep":true}`, 16)
	if len(pids) < 2 {
		t.Fatalf("16 concurrent invocations ran on %d process(es)", len(pids))
	}
}

// TestProcessPoolWaits: with --max-processes 2, eight invocations at once
// of a bootstrap that holds each for half a second all succeed, on at most
// two processes: the others wait for a free one. It drives the emulator
// in-process, and Close leaves no process behind.
func TestProcessPoolWaits(t *testing.T) {
	var logs syncBuffer
	e, err := emulator.New(context.Background(), emulator.Options{
		Template:     filepath.Join("testdata", "process", "template.yaml"),
		Only:         []string{"Parallel"},
		MaxProcesses: 2,
		Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
		FunctionLog:  &logs,
		BuildOutput:  io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		e.Close(context.Background())
		if leaks := leakedProcesses(startedPIDs(logs.String())); len(leaks) > 0 {
			t.Errorf("processes outlived Close: %v", leaks)
		}
	}()
	fn, err := e.Function("Parallel")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	pids := map[string]int{}
	for range 8 {
		wg.Go(func() {
			res, err := fn.Invoke(context.Background(), &invoke.Request{
				RequestID: invoke.NewRequestID(), Payload: []byte(`{"sleep":true}`),
				InvokedFunctionARN: fn.ARN(), TraceID: invoke.NewTraceID(),
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Error(err)
			case res.Kind != invoke.Success:
				t.Errorf("%v: %s", res.Kind, res.Payload)
			default:
				pids[string(res.Payload)]++
			}
		})
	}
	wg.Wait()
	if n := strings.Count(logs.String(), `msg="runtime process started"`); len(pids) > 2 || n > 2 {
		t.Fatalf("answers from %v; %d processes started, want at most 2", pids, n)
	}
}

// hammer invokes fn n times at once and returns how many answers each
// distinct payload got; every invocation must succeed.
func hammer(t *testing.T, c *lambda.Client, fn, payload string, n int) map[string]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]int{}
	for range n {
		wg.Go(func() {
			out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(payload)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("invoke %s: %v", fn, err)
			case out.FunctionError != nil:
				t.Errorf("invoke %s: %s", fn, out.Payload)
			default:
				got[string(out.Payload)]++
			}
		})
	}
	wg.Wait()
	return got
}
