package emulator_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// sdkClient is aws-sdk-go-v2's Lambda client pointed at fresco.
func sdkClient(t testing.TB) *lambda.Client {
	url := startServer(t)
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFRESCO", "secret", ""),
		// Timeouts and throttling are asserted, not retried.
		RetryMaxAttempts: 1,
	})
}

func TestSDKSamples(t *testing.T) {
	c := sdkClient(t)
	for _, tc := range []struct {
		fn, in, want string
	}{
		{"Hello", `{"name":"Ada"}`, `{"message":"Hello, Ada!"}`},
		{"Hello", `{}`, `{"message":"Hello, world!"}`},
		{"Counter", `{}`, `{"count":1}`},
		{"Echo", `{"a": [1, 2, "<&>"]}`, `{"a": [1, 2, "<&>"]}`},
		{"Sleep", `{"ms":10}`, ``},
		{"CHello", `{"name":"Ada"}`, `{"message":"Hello, Ada!"}`},
		{"CStdio", `{"name":"Ada"}`, `{"message":"Hello, Ada!"}`},
		{"arn:aws:lambda:us-east-1:123456789012:function:Hello", `{"name":"ARN"}`, `{"message":"Hello, ARN!"}`},
		{"123456789012:function:Hello:$LATEST", `{"name":"partial"}`, `{"message":"Hello, partial!"}`},
		{"Hello:$LATEST", `{"name":"q"}`, `{"message":"Hello, q!"}`},
		// The same handler built natively, and a bash bootstrap: Runtime API
		// processes behind the same Invoke API.
		{"NativeHello", `{"name":"Ada"}`, `{"message":"Hello, Ada!"}`},
		{"NativeHello", `{}`, `{"message":"Hello, world!"}`},
		{"arn:aws:lambda:us-east-1:123456789012:function:NativeHello", `{"name":"ARN"}`, `{"message":"Hello, ARN!"}`},
		{"123456789012:function:NativeHello:$LATEST", `{"name":"partial"}`, `{"message":"Hello, partial!"}`},
		{"NativeHello:$LATEST", `{"name":"q"}`, `{"message":"Hello, q!"}`},
		{"ShellHello", `{"name":"Ada"}`, `{"message":"Hello, Ada!"}`},
		{"ShellHello", `{}`, `{"message":"Hello, world!"}`},
		// A file of its CodeUri at /var/task, and /tmp empty at every
		// invocation (the second call's /tmp holds nothing of the first's).
		{"Files", `{"note":"x"}`, `{"greeting":"Hello from a file shipped with the code","tmp_before":[],"note":"x"}`},
		{"Files", `{"note":"y"}`, `{"greeting":"Hello from a file shipped with the code","tmp_before":[],"note":"y"}`},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(tc.fn), Payload: []byte(tc.in)})
			if err != nil {
				t.Fatal(err)
			}
			if out.StatusCode != 200 || out.FunctionError != nil {
				t.Fatalf("status %d, function error %v: %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
			}
			if aws.ToString(out.ExecutedVersion) != "$LATEST" {
				t.Errorf("executed version %q", aws.ToString(out.ExecutedVersion))
			}
			if tc.want != "" && string(out.Payload) != tc.want {
				t.Fatalf("payload %s, want %s", out.Payload, tc.want)
			}
		})
	}
}

// TestSDKVisitsUsesTheCache: the Visits sample keeps its count in the
// host's cache, which outlasts every invocation's instance, until it is
// deleted.
func TestSDKVisitsUsesTheCache(t *testing.T) {
	c := sdkClient(t)
	name := fmt.Sprintf("visitor-%d", time.Now().UnixNano())
	visit := func(payload string) string {
		t.Helper()
		out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Visits"), Payload: []byte(payload)})
		if err != nil {
			t.Fatal(err)
		}
		if out.FunctionError != nil {
			t.Fatalf("function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
		}
		return string(out.Payload)
	}
	for i := 1; i <= 3; i++ {
		if got, want := visit(`{"name":"`+name+`"}`), fmt.Sprintf(`{"name":%q,"visits":%d}`, name, i); got != want {
			t.Fatalf("visit %d: %s, want %s", i, got, want)
		}
	}
	visit(`{"name":"` + name + `","forget":true}`)
	if got, want := visit(`{"name":"`+name+`"}`), fmt.Sprintf(`{"name":%q,"visits":1}`, name); got != want {
		t.Fatalf("after forget: %s, want %s", got, want)
	}
}

// Hello has AutoPublishAlias: live: version 1 and the alias run it, and
// say so in X-Amz-Executed-Version; other qualifiers are not found.
func TestSDKVersionsAndAliases(t *testing.T) {
	c := sdkClient(t)
	for _, tc := range []struct {
		name, qualifier, version string
	}{
		{"Hello:1", "", "1"},
		{"Hello:live", "", "1"},
		{"Hello", "live", "1"},
		{"Hello", "1", "1"},
		{"arn:aws:lambda:us-east-1:123456789012:function:Hello:live", "", "1"},
		{"123456789012:function:Hello:1", "", "1"},
		{"Hello", "$LATEST", "$LATEST"},
	} {
		in := &lambda.InvokeInput{FunctionName: aws.String(tc.name), Payload: []byte(`{"name":"alias"}`)}
		if tc.qualifier != "" {
			in.Qualifier = aws.String(tc.qualifier)
		}
		out, err := c.Invoke(context.Background(), in)
		if err != nil {
			t.Fatalf("%s (qualifier %q): %v", tc.name, tc.qualifier, err)
		}
		if v := aws.ToString(out.ExecutedVersion); v != tc.version || string(out.Payload) != `{"message":"Hello, alias!"}` {
			t.Errorf("%s (qualifier %q): version %q, payload %s; want version %s", tc.name, tc.qualifier, v, out.Payload, tc.version)
		}
	}
	for _, tc := range []struct{ name, qualifier, message string }{
		{"Hello:2", "", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Hello:2"},
		{"Hello", "staging", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Hello:staging"},
		{"Counter:live", "", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Counter:live"},
	} {
		in := &lambda.InvokeInput{FunctionName: aws.String(tc.name)}
		if tc.qualifier != "" {
			in.Qualifier = aws.String(tc.qualifier)
		}
		_, err := c.Invoke(context.Background(), in)
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || nf.ErrorMessage() != tc.message {
			t.Errorf("%s (qualifier %q): %v, want ResourceNotFoundException %q", tc.name, tc.qualifier, err, tc.message)
		}
	}
}

func TestSDKInvocationTypes(t *testing.T) {
	c := sdkClient(t)
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("Hello"), Payload: []byte(`{"name":"async"}`), InvocationType: types.InvocationTypeEvent,
	})
	if err != nil || out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Fatalf("Event: %v status %d payload %q", err, out.StatusCode, out.Payload)
	}
	out, err = c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Hello"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Fatalf("DryRun: %v status %d", err, out.StatusCode)
	}
	// The Event invocation ran detached; its outcome reaches the log.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(serverLog.String(), "async invocation succeeded") {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the Event invocation:\n%s", serverLog.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSDKTailLog(t *testing.T) {
	c := sdkClient(t)
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("CHello"), Payload: []byte(`{"name":"tail"}`), LogType: types.LogTypeTail,
	})
	if err != nil {
		t.Fatal(err)
	}
	logText, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(logText), "\n"), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "START RequestId: ") || !strings.HasSuffix(lines[0], " Version: $LATEST") {
		t.Fatalf("log:\n%s", logText)
	}
	if !strings.Contains(string(logText), "chello: greeting tail") {
		t.Errorf("log lacks the function's output:\n%s", logText)
	}
	end, report := lines[len(lines)-2], lines[len(lines)-1]
	if !strings.HasPrefix(end, "END RequestId: ") {
		t.Errorf("END line %q", end)
	}
	for _, field := range []string{"REPORT RequestId: ", "\tDuration: ", " ms\tBilled Duration: ", "\tMemory Size: 128 MB\tMax Memory Used: "} {
		if !strings.Contains(report, field) {
			t.Errorf("REPORT line %q lacks %q", report, field)
		}
	}
	// CHello runs from its snapshot: its init ran once, at load, so no
	// invocation reports an Init Duration (as with Lambda SnapStart).
	if strings.Contains(report, "Init Duration") {
		t.Errorf("REPORT line %q has an Init Duration, but CHello's init ran at load", report)
	}
}

func TestSDKErrors(t *testing.T) {
	c := sdkClient(t)
	ctx := context.Background()
	t.Run("not found", func(t *testing.T) {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Nope")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("err %v, want ResourceNotFoundException", err)
		}
	})
	t.Run("unknown qualifier", func(t *testing.T) {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Hello"), Qualifier: aws.String("7")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("err %v, want ResourceNotFoundException", err)
		}
	})
	t.Run("not json", func(t *testing.T) {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Hello"), Payload: []byte(`{"name":`)})
		var ire *types.InvalidRequestContentException
		if !errors.As(err, &ire) {
			t.Fatalf("err %v, want InvalidRequestContentException", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		big := []byte(`"` + strings.Repeat("x", 6291456) + `"`)
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Echo"), Payload: big})
		var tl *types.RequestTooLargeException
		if !errors.As(err, &tl) {
			t.Fatalf("err %v, want RequestTooLargeException", err)
		}
	})
	t.Run("function error", func(t *testing.T) {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Fail"), Payload: []byte(`{"field":"email"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FunctionError) != "Unhandled" || out.StatusCode != 200 {
			t.Fatalf("function error %q status %d", aws.ToString(out.FunctionError), out.StatusCode)
		}
		if string(out.Payload) != `{"errorMessage":"invalid field \"email\"","errorType":"ValidationError"}` {
			t.Fatalf("payload %s", out.Payload)
		}
	})
	t.Run("panic", func(t *testing.T) {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Panic")})
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ ErrorType, ErrorMessage string }
		json.Unmarshal(out.Payload, &doc)
		if aws.ToString(out.FunctionError) != "Unhandled" || doc.ErrorType != "string" || doc.ErrorMessage != "something went badly wrong" {
			t.Fatalf("%q %s", aws.ToString(out.FunctionError), out.Payload)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Spin")})
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ ErrorType, ErrorMessage string }
		json.Unmarshal(out.Payload, &doc)
		if aws.ToString(out.FunctionError) != "Unhandled" || doc.ErrorType != "Sandbox.Timedout" ||
			!strings.HasSuffix(doc.ErrorMessage, "Error: Task timed out after 1.00 seconds") {
			t.Fatalf("%q %s", aws.ToString(out.FunctionError), out.Payload)
		}
		// And the server goes on serving.
		out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Hello")})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("after a timeout: %v %s", err, out.Payload)
		}
	})
	t.Run("throttled", func(t *testing.T) {
		// Sleep has ReservedConcurrentExecutions: 4.
		var wg sync.WaitGroup
		var mu sync.Mutex
		throttled, ok := 0, 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Sleep"), Payload: []byte(`{"ms":1000}`)})
				mu.Lock()
				defer mu.Unlock()
				var tmr *types.TooManyRequestsException
				switch {
				case err == nil:
					ok++
				case errors.As(err, &tmr):
					throttled++
				default:
					t.Errorf("unexpected error %v", err)
				}
			}()
		}
		wg.Wait()
		if ok > 4 || throttled < 4 || ok+throttled != 8 {
			t.Fatalf("%d succeeded, %d throttled; want at most 4 running at once", ok, throttled)
		}
	})
}

// TestSDKEventsQueueAtReservedConcurrency: Event invocations of a function
// at its ReservedConcurrentExecutions are accepted (202) and queued, as on
// AWS, and all of them run.
func TestSDKEventsQueueAtReservedConcurrency(t *testing.T) {
	c := sdkClient(t)
	ctx := context.Background()
	var ids []string
	for range 10 { // Sleep has ReservedConcurrentExecutions: 4
		out, err := c.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String("Sleep"), Payload: []byte(`{"ms":200}`), InvocationType: types.InvocationTypeEvent,
		})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("Event refused: %v %v", err, out)
		}
		id, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
		ids = append(ids, id)
	}
	deadline := time.Now().Add(time.Minute)
	for _, id := range ids {
		for !strings.Contains(serverLog.String(), "function=Sleep request_id="+id+" attempt=1 outcome=success") {
			if time.Now().After(deadline) {
				t.Fatalf("Event %s never ran:\n%s", id, serverLog.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func TestSDKClientContextReachesTheGuest(t *testing.T) {
	c := sdkClient(t)
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"tenant":"acme"},"env":{"locale":"fr"}}`))
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("fresco-context-dev"), ClientContext: aws.String(cc)})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		RequestID    string            `json:"request_id"`
		FunctionName string            `json:"function_name"`
		ARN          string            `json:"invoked_function_arn"`
		Memory       int               `json:"memory_limit_mb"`
		RemainingMs  int64             `json:"remaining_ms"`
		ClientCustom map[string]string `json:"client_custom"`
		Greeting     string            `json:"greeting"`
	}
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	if got.ClientCustom["tenant"] != "acme" || got.FunctionName != "fresco-context-dev" || got.Memory != 256 ||
		got.Greeting != "hello from template.yaml" || got.ARN != "arn:aws:lambda:us-east-1:123456789012:function:fresco-context-dev" ||
		got.RemainingMs <= 0 || got.RemainingMs > 3000 || len(got.RequestID) != 36 {
		t.Fatalf("context: %s", out.Payload)
	}
}

// TestSDKConcurrentCounter: 50 invocations at once of a function that
// counts its invocations in a package variable each see a count of 1:
// every one starts from the image. Under the race detector, on a machine
// whose cores the package's other tests keep busy compiling, an
// invocation may wait past its 3 s Timeout for an instance, which then
// counts against it (Sandbox.Timedout, as it should); those are logged,
// and every other answer must still be a count of 1.
func TestSDKConcurrentCounter(t *testing.T) {
	c := sdkClient(t)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	var timedOut atomic.Int32
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Counter")})
			switch {
			case err != nil:
				errs <- err
			case raceEnabled && out.FunctionError != nil && strings.Contains(string(out.Payload), `"errorType":"Sandbox.Timedout"`):
				timedOut.Add(1)
			case string(out.Payload) != `{"count":1}`:
				errs <- fmt.Errorf("payload %s", out.Payload)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := timedOut.Load(); n > 0 {
		t.Logf("%d of 50 timed out waiting for an instance (race detector)", n)
		if n == 50 {
			t.Error("every invocation timed out")
		}
	}
}

// TestSDKConcurrentNativeHello: 16 invocations at once of the natively
// built Hello all succeed, served by more than one runtime process.
func TestSDKConcurrentNativeHello(t *testing.T) {
	c := sdkClient(t)
	got := hammer(t, c, "NativeHello", `{"name":"Ada"}`, 16)
	if got[`{"message":"Hello, Ada!"}`] != 16 {
		t.Fatalf("answers %v", got)
	}
	if n := strings.Count(serverLog.String(), `msg="runtime process started" function=NativeHello `); n < 2 {
		t.Errorf("NativeHello ran on %d process(es)", n)
	}
}

// TestSDKEventProcessFunction: an Event invocation of a process function
// runs detached and logs its outcome.
func TestSDKEventProcessFunction(t *testing.T) {
	c := sdkClient(t)
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("ShellHello"), Payload: []byte(`{"name":"event"}`), InvocationType: types.InvocationTypeEvent,
	})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("Event: %v status %v", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(serverLog.String(), "shellhello: greeting event") ||
		!strings.Contains(serverLog.String(), `msg="async invocation succeeded" function=ShellHello`) {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the Event invocation:\n%s", serverLog.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
