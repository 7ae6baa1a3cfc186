package wasmhost_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

// errorDoc decodes a function error payload.
type errorDoc struct {
	ErrorMessage string            `json:"errorMessage"`
	ErrorType    string            `json:"errorType"`
	StackTrace   []json.RawMessage `json:"stackTrace"`
}

func decodeError(t *testing.T, res *invoke.Result) errorDoc {
	t.Helper()
	var d errorDoc
	if err := json.Unmarshal(res.Payload, &d); err != nil {
		t.Fatalf("error payload %q is not JSON: %v", res.Payload, err)
	}
	if d.ErrorType != res.ErrorType {
		t.Fatalf("payload errorType %q, result ErrorType %q", d.ErrorType, res.ErrorType)
	}
	return d
}

func wantSuccess(t *testing.T, res *invoke.Result, want string) {
	t.Helper()
	if res.Kind != invoke.Success {
		t.Fatalf("kind %v (%s): %s\nlog:\n%s", res.Kind, res.ErrorType, res.Payload, res.Log)
	}
	if string(res.Payload) != want {
		t.Fatalf("payload %q, want %q", res.Payload, want)
	}
}

func TestHelloSample(t *testing.T) {
	f := load(t, "Hello", sample(t, "hello"), wasmhost.FunctionConfig{})
	for _, tc := range []struct{ in, want string }{
		{`{"name":"Ada"}`, `{"message":"Hello, Ada!"}`},
		{`{"name":""}`, `{"message":"Hello, world!"}`},
		{`{}`, `{"message":"Hello, world!"}`},
		{`{"name":"Grace \"Amazing\" Hopper"}`, `{"message":"Hello, Grace \"Amazing\" Hopper!"}`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			res := f.Invoke(context.Background(), request(tc.in))
			wantSuccess(t, res, tc.want)
			// With a snapshot there is no init per invocation.
			if snap, _ := f.Snapshot(); !snap && res.InitDuration <= 0 || res.Duration <= 0 {
				t.Errorf("init %v, duration %v: want both measured", res.InitDuration, res.Duration)
			}
			if res.MaxMemoryBytes == 0 || res.MaxMemoryBytes > 128<<20 {
				t.Errorf("max memory %d", res.MaxMemoryBytes)
			}
		})
	}
}

func TestHelloBadJSON(t *testing.T) {
	f := load(t, "Hello", sample(t, "hello"), wasmhost.FunctionConfig{})
	res := f.Invoke(context.Background(), request(`{"name": 42}`))
	if res.Kind != invoke.FunctionError {
		t.Fatalf("kind %v: %s", res.Kind, res.Payload)
	}
	// aws-lambda-go names the decoding error after its Go type.
	if d := decodeError(t, res); d.ErrorType != "UnmarshalTypeError" {
		t.Fatalf("errorType %q: %s", d.ErrorType, res.Payload)
	}
}

func TestCounterIsAlwaysFresh(t *testing.T) {
	f := load(t, "Counter", sample(t, "counter"), wasmhost.FunctionConfig{})
	for i := 0; i < 5; i++ {
		wantSuccess(t, f.Invoke(context.Background(), request(`{}`)), `{"count":1}`)
	}
	var wg sync.WaitGroup
	results := make([]*invoke.Result, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = f.Invoke(context.Background(), request(`{}`))
		}()
	}
	wg.Wait()
	for _, res := range results {
		wantSuccess(t, res, `{"count":1}`)
	}
}

func TestEchoIsByteExact(t *testing.T) {
	f := load(t, "Echo", sample(t, "echo"), wasmhost.FunctionConfig{})
	for _, in := range []string{`{"a":1}`, "  {\"spaced\" :  [1, 2.50, \"<&>\"] }\n", `"just a string"`, ``} {
		wantSuccess(t, f.Invoke(context.Background(), request(in)), in)
	}
}

func TestFailSample(t *testing.T) {
	f := load(t, "Fail", sample(t, "fail"), wasmhost.FunctionConfig{})
	res := f.Invoke(context.Background(), request(`{"field":"email"}`))
	if res.Kind != invoke.FunctionError {
		t.Fatalf("kind %v", res.Kind)
	}
	d := decodeError(t, res)
	if d.ErrorType != "ValidationError" || d.ErrorMessage != `invalid field "email"` {
		t.Fatalf("got %s", res.Payload)
	}
	// aws-lambda-go logs the error document it reports.
	if !strings.Contains(string(res.Log), `"errorType":"ValidationError"`) {
		t.Errorf("log %q lacks the error document", res.Log)
	}
}

func TestPanicSample(t *testing.T) {
	f := load(t, "Panic", sample(t, "panic"), wasmhost.FunctionConfig{})
	res := f.Invoke(context.Background(), request(`{}`))
	if res.Kind != invoke.FunctionError {
		t.Fatalf("kind %v: %s", res.Kind, res.Payload)
	}
	d := decodeError(t, res)
	if d.ErrorType != "string" || d.ErrorMessage != "something went badly wrong" {
		t.Fatalf("got %s", res.Payload)
	}
	if len(d.StackTrace) == 0 || !strings.Contains(string(res.Payload), "main.go") {
		t.Errorf("want a stack trace naming main.go, got %s", res.Payload)
	}
	// The host is unaffected: the next invocation of another function works.
	hello := load(t, "Hello", sample(t, "hello"), wasmhost.FunctionConfig{})
	wantSuccess(t, hello.Invoke(context.Background(), request(`{"name":"x"}`)), `{"message":"Hello, x!"}`)
}

func TestContextAndEnvironmentReachTheGuest(t *testing.T) {
	f := load(t, "Context", sample(t, "context"), wasmhost.FunctionConfig{
		MemoryMB: 256,
		Timeout:  5 * time.Second,
		Env:      map[string]string{"GREETING": "bonjour", "AWS_REGION": "eu-west-3"},
	})
	req := request(`{}`)
	// The tenant is long enough that the guest reads its context record in
	// a second call (records up to 512 bytes take one).
	tenant := "acme-" + strings.Repeat("x", 400)
	req.ClientContext = []byte(`{"custom":{"tenant":"` + tenant + `"},"env":{"locale":"fr"}}`)
	req.CognitoIdentity = []byte(`{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`)
	req.InvokedFunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:Context:$LATEST"
	res := f.Invoke(context.Background(), req)
	if res.Kind != invoke.Success {
		t.Fatalf("%v %s\n%s", res.Kind, res.Payload, res.Log)
	}
	var got struct {
		RequestID          string            `json:"request_id"`
		FunctionName       string            `json:"function_name"`
		FunctionVersion    string            `json:"function_version"`
		InvokedFunctionARN string            `json:"invoked_function_arn"`
		MemoryLimitMB      int               `json:"memory_limit_mb"`
		LogGroupName       string            `json:"log_group_name"`
		RemainingMs        int64             `json:"remaining_ms"`
		HasDeadline        bool              `json:"has_deadline"`
		ClientCustom       map[string]string `json:"client_custom"`
		ClientEnv          map[string]string `json:"client_env"`
		CognitoIdentityID  string            `json:"cognito_identity_id"`
		TraceID            string            `json:"trace_id"`
		Greeting           string            `json:"greeting"`
		Region             string            `json:"region"`
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"request id", got.RequestID, req.RequestID},
		{"function name", got.FunctionName, "Context"},
		{"version", got.FunctionVersion, "$LATEST"},
		{"arn", got.InvokedFunctionARN, req.InvokedFunctionARN},
		{"memory", got.MemoryLimitMB, 256},
		{"log group", got.LogGroupName, "/aws/lambda/Context"},
		{"deadline", got.HasDeadline, true},
		{"client custom", got.ClientCustom["tenant"], tenant},
		{"client env", got.ClientEnv["locale"], "fr"},
		{"cognito", got.CognitoIdentityID, "id-1"},
		{"trace", got.TraceID, req.TraceID},
		{"env var", got.Greeting, "bonjour"},
		{"function env wins", got.Region, "eu-west-3"},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if got.RemainingMs <= 0 || got.RemainingMs > 5000 {
		t.Errorf("remaining %d ms, want within the 5 s timeout", got.RemainingMs)
	}
}

// TestTraceIDIsEachInvocations checks that every invocation of a
// snapshotted Go guest, however its instance was made or reused, sees its
// own trace id in _X_AMZN_TRACE_ID, and its own request id.
func TestTraceIDIsEachInvocations(t *testing.T) {
	f := load(t, "Context", sample(t, "context"), wasmhost.FunctionConfig{})
	for i := range 20 {
		req := request(`{}`)
		req.TraceID = fmt.Sprintf("Root=1-00000000-%024d;Parent=%016d;Sampled=1", i, i)
		res := f.Invoke(context.Background(), req)
		if res.Kind != invoke.Success {
			t.Fatalf("%v %s\n%s", res.Kind, res.Payload, res.Log)
		}
		var got struct {
			RequestID string `json:"request_id"`
			TraceID   string `json:"trace_id"`
		}
		if err := json.Unmarshal(res.Payload, &got); err != nil {
			t.Fatal(err)
		}
		if got.TraceID != req.TraceID || got.RequestID != req.RequestID {
			t.Fatalf("invocation %d saw trace %q, request %q; want %q, %q", i, got.TraceID, got.RequestID, req.TraceID, req.RequestID)
		}
	}
}

func TestSleepWithinAndPastTimeout(t *testing.T) {
	f := load(t, "Sleep", sample(t, "sleep"), wasmhost.FunctionConfig{Timeout: time.Second})
	res := f.Invoke(context.Background(), request(`{"ms":50}`))
	if res.Kind != invoke.Success || res.Duration < 50*time.Millisecond {
		t.Fatalf("%v after %v: %s", res.Kind, res.Duration, res.Payload)
	}
	start := time.Now()
	res = f.Invoke(context.Background(), request(`{"ms":60000}`))
	elapsed := time.Since(start)
	if res.Kind != invoke.Timeout || res.ErrorType != "Sandbox.Timedout" {
		t.Fatalf("kind %v type %s: %s", res.Kind, res.ErrorType, res.Payload)
	}
	d := decodeError(t, res)
	want := "RequestId: 00000000-0000-4000-8000-"
	if !strings.HasPrefix(d.ErrorMessage, want) || !strings.HasSuffix(d.ErrorMessage, " Error: Task timed out after 1.00 seconds") {
		t.Errorf("message %q", d.ErrorMessage)
	}
	// Not a timing assertion on speed: a sleeping guest must be stopped at
	// its deadline, not after its 60 s sleep.
	if elapsed > 30*time.Second {
		t.Errorf("timed-out sleep took %v", elapsed)
	}
}

func TestSpinIsStoppedAndHostKeepsServing(t *testing.T) {
	spin := load(t, "Spin", sample(t, "spin"), wasmhost.FunctionConfig{Timeout: time.Second})
	hello := load(t, "Hello", sample(t, "hello"), wasmhost.FunctionConfig{})
	var wg sync.WaitGroup
	spins := make([]*invoke.Result, 2)
	for i := range spins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spins[i] = spin.Invoke(context.Background(), request(`{}`))
		}()
	}
	// While two guests spin, the host still serves others.
	wantSuccess(t, hello.Invoke(context.Background(), request(`{"name":"during"}`)), `{"message":"Hello, during!"}`)
	wg.Wait()
	for _, res := range spins {
		if res.Kind != invoke.Timeout || res.ErrorType != invoke.ErrTimeout {
			t.Fatalf("spin: kind %v %s", res.Kind, res.Payload)
		}
	}
	wantSuccess(t, hello.Invoke(context.Background(), request(`{"name":"after"}`)), `{"message":"Hello, after!"}`)
}

func TestWatLoopTimesOut(t *testing.T) {
	f := load(t, "Loop", fixture(t, "loop"), wasmhost.FunctionConfig{Timeout: time.Second})
	res := f.Invoke(context.Background(), request(`{}`))
	if res.Kind != invoke.Timeout {
		t.Fatalf("kind %v: %s", res.Kind, res.Payload)
	}
}

func TestMemoryCap(t *testing.T) {
	t.Run("wat grows until refused", func(t *testing.T) {
		f := load(t, "Grow", fixture(t, "grow"), wasmhost.FunctionConfig{MemoryMB: 16})
		res := f.Invoke(context.Background(), request(`{}`))
		if res.Kind != invoke.Crash || res.ErrorType != invoke.ErrOutOfMemory {
			t.Fatalf("kind %v %s: %s", res.Kind, res.ErrorType, res.Payload)
		}
		if res.MaxMemoryBytes > 16<<20 {
			t.Errorf("memory reached %d bytes past the 16 MB cap", res.MaxMemoryBytes)
		}
	})
	t.Run("go guest hoards memory", func(t *testing.T) {
		f := load(t, "Abuse", goWasm(t, "wasmhost/testdata/abuse"), wasmhost.FunctionConfig{MemoryMB: 64, Timeout: 20 * time.Second})
		res := f.Invoke(context.Background(), request(`{"mode":"bomb"}`))
		if res.Kind != invoke.Crash || res.ErrorType != invoke.ErrOutOfMemory {
			t.Fatalf("kind %v %s: %s\n%s", res.Kind, res.ErrorType, res.Payload, res.Log)
		}
		if res.MaxMemoryBytes > 64<<20 {
			t.Errorf("memory reached %d bytes past the 64 MB cap", res.MaxMemoryBytes)
		}
		// The next invocation starts fresh and works.
		res = f.Invoke(context.Background(), request(`{"mode":"chatty","mb":0}`))
		wantSuccess(t, res, `"ok"`)
	})
}

func TestHugeOutputsAreBounded(t *testing.T) {
	f := load(t, "Abuse", goWasm(t, "wasmhost/testdata/abuse"), wasmhost.FunctionConfig{MemoryMB: 256, Timeout: 30 * time.Second, MaxLogBytes: 64 << 10})
	res := f.Invoke(context.Background(), request(`{"mode":"chatty","mb":8}`))
	wantSuccess(t, res, `"ok"`)
	if len(res.Log) > 65<<10 {
		t.Errorf("log kept %d bytes, bound is 64 KiB", len(res.Log))
	}
	if !strings.HasSuffix(string(res.Log), "chatty: done\n") || !strings.Contains(string(res.Log), "earlier output dropped") {
		t.Errorf("log should keep the tail and say it dropped output; tail %q", res.Log[len(res.Log)-40:])
	}

	res = f.Invoke(context.Background(), request(`{"mode":"big","mb":7}`))
	if res.Kind != invoke.ResponseTooLarge || res.ErrorType != "Function.ResponseSizeTooLarge" {
		t.Fatalf("kind %v %s", res.Kind, res.ErrorType)
	}
	if d := decodeError(t, res); !strings.Contains(d.ErrorMessage, "exceeded maximum allowed payload size (6291556 bytes)") {
		t.Errorf("message %q", d.ErrorMessage)
	}
	res = f.Invoke(context.Background(), request(`{"mode":"exit"}`))
	if res.Kind != invoke.Crash || res.ErrorType != invoke.ErrExit || !strings.Contains(string(res.Payload), "exit status 7") {
		t.Fatalf("exit: %v %s", res.Kind, res.Payload)
	}
}

func TestLoadRejects(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    string
	}{
		{"notwasm", "not a WebAssembly module"},
		{"badimport", `imports "env.nope", which fresco does not provide`},
		{"noentry", "exports neither fresco_handle"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			_, err := host(t).Load(context.Background(), wasmhost.FunctionConfig{Name: "Broken"}, fixture(t, tc.fixture))
			var le *wasmhost.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err %v, want a *LoadError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "load function Broken: ") || !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q, want it to name the function and contain %q", msg, tc.want)
			}
		})
	}
	t.Run("truncated module", func(t *testing.T) {
		b := fixture(t, "minimal")
		_, err := host(t).Load(context.Background(), wasmhost.FunctionConfig{Name: "Cut"}, b[:len(b)-3])
		if err == nil || !strings.Contains(err.Error(), "load function Cut: invalid module") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestABIFixtures(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		event   string
		kind    invoke.Kind
		errType string
		want    string // payload for success, substring of the message otherwise
	}{
		{"minimal", `{}`, invoke.Success, "", `{}`},
		{"echo", `{"big":"` + strings.Repeat("z", 200000) + `"}`, invoke.Success, "", `{"big":"` + strings.Repeat("z", 200000) + `"}`},
		{"badptr", `{}`, invoke.Crash, invoke.ErrABI, "fresco.invocation_response: buffer [0xfffffff0, +64) is outside guest memory"},
		{"badlen", `{}`, invoke.Crash, invoke.ErrABI, "fresco.invocation_event_read: buffer [0x0, +2147483647) is outside guest memory"},
		{"trap", `{}`, invoke.Crash, invoke.ErrExit, "Runtime exited with error: wasm error: unreachable"},
		{"recurse", `{}`, invoke.Crash, invoke.ErrExit, "Runtime exited with error: stack overflow"},
		{"noresponse", `{}`, invoke.Crash, invoke.ErrNoResponse, "returned without posting"},
		{"twice", `{}`, invoke.Success, "", `{"first":true}`},
		{"initerr", `{}`, invoke.Crash, "Custom.InitFailed", "boom at init"},
		{"stdio_echo", `{"via":"stdin"}`, invoke.Success, "", `{"via":"stdin"}`},
		{"stdio_fail", `{}`, invoke.FunctionError, invoke.ErrExit, "exit status 3"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			// A generous timeout: under the race detector, growing the stack to
			// its limit (recurse) is slow, and no case here is about time.
			f := load(t, tc.fixture, fixture(t, tc.fixture), wasmhost.FunctionConfig{Timeout: time.Minute})
			res := f.Invoke(context.Background(), request(tc.event))
			if res.Kind != tc.kind {
				t.Fatalf("kind %v, want %v: %s\n%s", res.Kind, tc.kind, res.Payload, res.Log)
			}
			if tc.kind == invoke.Success {
				if string(res.Payload) != tc.want {
					t.Fatalf("payload %.80q, want %.80q", res.Payload, tc.want)
				}
				return
			}
			d := decodeError(t, res)
			if d.ErrorType != tc.errType || !strings.Contains(d.ErrorMessage, tc.want) {
				t.Fatalf("got %s, want type %s and message containing %q", res.Payload, tc.errType, tc.want)
			}
		})
	}
}

func TestNoStateSurvives(t *testing.T) {
	f := load(t, "InitWrite", fixture(t, "initwrite"), wasmhost.FunctionConfig{})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wantSuccess(t, f.Invoke(context.Background(), request(`{}`)), `{"mem":1,"global":1}`)
		}()
	}
	wg.Wait()
}

func TestContextValueFixture(t *testing.T) {
	f := load(t, "Ctx", fixture(t, "ctx"), wasmhost.FunctionConfig{})
	req := request(`{}`)
	wantSuccess(t, f.Invoke(context.Background(), req), req.RequestID)
}

func TestCSamples(t *testing.T) {
	for _, name := range []string{"chello", "cstdio"} {
		t.Run(name, func(t *testing.T) {
			f := load(t, name, readFile(t, filepath.Join("..", "samples", name, name+".wasm")), wasmhost.FunctionConfig{})
			wantSuccess(t, f.Invoke(context.Background(), request(`{"name":"Ada"}`)), `{"message":"Hello, Ada!"}`)
			wantSuccess(t, f.Invoke(context.Background(), request(`{}`)), `{"message":"Hello, world!"}`)
			res := f.Invoke(context.Background(), request(`[1,2]`))
			if res.Kind != invoke.FunctionError || res.ErrorType != "InvalidEvent" {
				t.Fatalf("non-object event: %v %s", res.Kind, res.Payload)
			}
		})
	}
}

func TestCompilationCacheOnDisk(t *testing.T) {
	dir := t.TempDir()
	h, err := wasmhost.New(wasmhost.Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f, err := h.Load(context.Background(), wasmhost.FunctionConfig{Name: "Minimal"}, fixture(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close(context.Background())
	h.Close(context.Background())
	var files int
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Fatal("compilation cache directory is empty after a load")
	}
	// A second host on the same directory loads from it.
	f2 := loadOn(t, wasmhost.Config{CacheDir: dir}, "Minimal", fixture(t, "minimal"))
	wantSuccess(t, f2.Invoke(context.Background(), request(`{}`)), `{}`)
}

// TestPooledMemoryIsClean: an instance's memory comes from a pool of
// mappings; what one guest wrote to every byte of it must be gone for the
// next, sequential or concurrent.
func TestPooledMemoryIsClean(t *testing.T) {
	f := load(t, "Scribble", fixture(t, "scribble"), wasmhost.FunctionConfig{})
	for i := 0; i < 20; i++ {
		wantSuccess(t, f.Invoke(context.Background(), request(`{}`)), "clean")
	}
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wantSuccess(t, f.Invoke(context.Background(), request(`{}`)), "clean")
		}()
	}
	wg.Wait()
}
