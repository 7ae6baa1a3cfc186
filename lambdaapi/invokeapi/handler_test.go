package invokeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/frescolabs/fresco/internal/invoke"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	reUUID4   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	reTraceID = regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`)
)

// bigLog is a log longer than the tail: its last 4096 bytes are recognisable.
var bigLog = func() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 10000; i++ {
		b.WriteString("line ")
		b.WriteString(strings.Repeat(string(rune('a'+i%26)), 20))
		b.WriteByte('\n')
	}
	return b.Bytes()
}()

// testFunctions builds a fresh set of fake functions for one test.
func testFunctions() (*fakeBackend, map[string]*fakeFunction) {
	fns := map[string]*fakeFunction{
		"Hello": {Name: "Hello", Versions: map[string]string{"live": "1", "1": "1"}},
		"Fail": {Name: "Fail", Run: func(_ context.Context, req *invoke.Request) (*invoke.Result, error) {
			res := invoke.ErrorResult(invoke.FunctionError, "Handler.Error", "boom")
			res.Log = []byte("START RequestId: " + req.RequestID + "\nboom\nEND\nREPORT\n")
			return res, nil
		}},
		"Slow": {Name: "Slow", Run: func(_ context.Context, req *invoke.Request) (*invoke.Result, error) {
			return invoke.ErrorResult(invoke.Timeout, invoke.ErrTimeout,
				"RequestId: "+req.RequestID+" Error: Task timed out after 3.00 seconds"), nil
		}},
		"Noisy": {Name: "Noisy", Run: func(_ context.Context, req *invoke.Request) (*invoke.Result, error) {
			return &invoke.Result{Kind: invoke.Success, Payload: []byte(`"ok"`), Log: bigLog}, nil
		}},
		"Quiet": {Name: "Quiet", Run: func(_ context.Context, req *invoke.Request) (*invoke.Result, error) {
			return &invoke.Result{Kind: invoke.Success, Payload: []byte(`"ok"`), Log: []byte("short log\n")}, nil
		}},
		"Throttled": {Name: "Throttled",
			Run: func(context.Context, *invoke.Request) (*invoke.Result, error) {
				return nil, invoke.TooManyRequests("Rate Exceeded.")
			},
			AsyncErr: invoke.TooManyRequests("Rate Exceeded."),
		},
		"Broken": {Name: "Broken", Run: func(context.Context, *invoke.Request) (*invoke.Result, error) {
			return nil, errors.New("disk on fire at /secret/path")
		}},
		"Panics": {Name: "Panics", Run: func(context.Context, *invoke.Request) (*invoke.Result, error) {
			panic("handler bug")
		}},
		"Nil": {Name: "Nil", Run: func(context.Context, *invoke.Request) (*invoke.Result, error) {
			return nil, nil
		}},
	}
	list := make([]*fakeFunction, 0, len(fns))
	for _, fn := range fns {
		list = append(list, fn)
	}
	return newFakeBackend(list...), fns
}

type call struct {
	method  string // POST when empty
	target  string
	body    []byte
	headers map[string]string
	// noLength sends the body without a Content-Length (chunked).
	noLength bool
}

func serve(t *testing.T, h http.Handler, c call) *http.Response {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader = bytes.NewReader(c.body)
	if c.noLength {
		body = struct{ io.Reader }{bytes.NewReader(c.body)}
	}
	req := httptest.NewRequest(method, c.target, body)
	if c.noLength {
		req.ContentLength = -1
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func readBody(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func invokePath(name string) string { return "/2015-03-31/functions/" + name + "/invocations" }

// checkServiceError checks the shape every service error has.
func checkServiceError(t *testing.T, res *http.Response, body []byte, status int, typ, msgPart string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("status = %d, want %d (body %s)", res.StatusCode, status, body)
	}
	if got := res.Header.Get("x-amzn-ErrorType"); got != typ {
		t.Errorf("x-amzn-ErrorType = %q, want %q", got, typ)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if !reUUID4.MatchString(res.Header.Get("x-amzn-RequestId")) {
		t.Errorf("x-amzn-RequestId = %q, want a UUID v4", res.Header.Get("x-amzn-RequestId"))
	}
	var e map[string]string
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	wantType := "User"
	if status >= 500 {
		wantType = "Service"
	}
	if e["Type"] != wantType || len(e) != 2 {
		t.Errorf("error body = %s, want {Type:%q, message}", body, wantType)
	}
	if !strings.Contains(e["message"], msgPart) {
		t.Errorf("message = %q, want it to contain %q", e["message"], msgPart)
	}
}

func TestInvokeNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, target  string
		wantLookup    lookupCall
		wantARN       string
		wantVersion   string
		wantStatus    int
		wantErrorType string
	}{
		{"plain", invokePath("Hello"), lookupCall{Name: "Hello", Qualifier: ""}, testARNPrefix + "Hello", "$LATEST", 200, ""},
		{"qualified", invokePath("Hello:live"), lookupCall{Name: "Hello", Qualifier: "live"}, testARNPrefix + "Hello:live", "1", 200, ""},
		{"latest encoded", invokePath("Hello%3A%24LATEST"), lookupCall{Name: "Hello", Qualifier: "$LATEST"}, testARNPrefix + "Hello:$LATEST", "$LATEST", 200, ""},
		{"latest plain", invokePath("Hello:$LATEST"), lookupCall{Name: "Hello", Qualifier: "$LATEST"}, testARNPrefix + "Hello:$LATEST", "$LATEST", 200, ""},
		{"lowercase escape", invokePath("Hello%3alive"), lookupCall{Name: "Hello", Qualifier: "live"}, testARNPrefix + "Hello:live", "1", 200, ""},
		{"full ARN", invokePath("arn:aws:lambda:us-east-1:123456789012:function:Hello"), lookupCall{Name: "Hello", Qualifier: ""}, testARNPrefix + "Hello", "$LATEST", 200, ""},
		{"full ARN encoded with version", invokePath("arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3AHello%3A1"), lookupCall{Name: "Hello", Qualifier: "1"}, testARNPrefix + "Hello:1", "1", 200, ""},
		{"ARN of another region", invokePath("arn:aws:lambda:eu-west-3:210987654321:function:Hello"), lookupCall{Name: "Hello", Qualifier: ""}, testARNPrefix + "Hello", "$LATEST", 200, ""},
		{"partial ARN", invokePath("123456789012:function:Hello"), lookupCall{Name: "Hello", Qualifier: ""}, testARNPrefix + "Hello", "$LATEST", 200, ""},
		{"partial ARN encoded", invokePath("123456789012%3Afunction%3AHello%3Alive"), lookupCall{Name: "Hello", Qualifier: "live"}, testARNPrefix + "Hello:live", "1", 200, ""},
		{"query qualifier", invokePath("Hello") + "?Qualifier=live", lookupCall{Name: "Hello", Qualifier: "live"}, testARNPrefix + "Hello:live", "1", 200, ""},
		{"query latest", invokePath("Hello") + "?Qualifier=%24LATEST", lookupCall{Name: "Hello", Qualifier: "$LATEST"}, testARNPrefix + "Hello:$LATEST", "$LATEST", 200, ""},
		{"same qualifier twice", invokePath("Hello%3Alive") + "?Qualifier=live", lookupCall{Name: "Hello", Qualifier: "live"}, testARNPrefix + "Hello:live", "1", 200, ""},
		{"empty query qualifier", invokePath("Hello") + "?Qualifier=", lookupCall{Name: "Hello", Qualifier: ""}, testARNPrefix + "Hello", "$LATEST", 200, ""},
		{"qualifier conflict", invokePath("Hello:live") + "?Qualifier=1", lookupCall{}, "", "", 400, "InvalidParameterValueException"},
		{"unknown function", invokePath("Nope"), lookupCall{Name: "Nope", Qualifier: ""}, "", "", 404, "ResourceNotFoundException"},
		{"unknown qualifier", invokePath("Hello:prod"), lookupCall{Name: "Hello", Qualifier: "prod"}, "", "", 404, "ResourceNotFoundException"},
		{"unknown query qualifier", invokePath("Hello") + "?Qualifier=9", lookupCall{Name: "Hello", Qualifier: "9"}, "", "", 404, "ResourceNotFoundException"},
		{"dotted name", invokePath("Hello.World"), lookupCall{Name: "Hello.World", Qualifier: ""}, "", "", 404, "ResourceNotFoundException"},
		{"bad character", invokePath("Hello%20World"), lookupCall{}, "", "", 400, "InvalidParameterValueException"},
		{"encoded slash", invokePath("Hello%2FWorld"), lookupCall{}, "", "", 400, "InvalidParameterValueException"},
		{"double encoded colon", invokePath("Hello%253Alive"), lookupCall{}, "", "", 400, "InvalidParameterValueException"},
		{"empty name", invokePath(""), lookupCall{}, "", "", 400, "InvalidParameterValueException"},
		{"name too long", invokePath(strings.Repeat("x", 65)), lookupCall{}, "", "", 400, "InvalidParameterValueException"},
		{"namespaced too long", invokePath(strings.Repeat("x", 171)), lookupCall{}, "", "", 400, "InvalidParameterValueException"},
		{"bad ARN", invokePath("arn:aws:lambda:us-east-1:123:function:Hello"), lookupCall{}, "", "", 400, "InvalidParameterValueException"},
		{"bad query qualifier", invokePath("Hello") + "?Qualifier=a%3Ab", lookupCall{}, "", "", 400, "InvalidParameterValueException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, fns := testFunctions()
			res := serve(t, NewHandler(b, nil), call{target: tt.target, body: []byte(`{"k":1}`)})
			body := readBody(t, res)
			if b.LastLookup() != tt.wantLookup {
				t.Errorf("Lookup(%+v), want %+v", b.LastLookup(), tt.wantLookup)
			}
			if tt.wantErrorType != "" {
				checkServiceError(t, res, body, tt.wantStatus, tt.wantErrorType, "")
				return
			}
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", res.StatusCode, tt.wantStatus, body)
			}
			calls := fns["Hello"].SyncCalls()
			if len(calls) != 1 {
				t.Fatalf("%d invocations, want 1", len(calls))
			}
			if calls[0].InvokedFunctionARN != tt.wantARN {
				t.Errorf("InvokedFunctionARN = %q, want %q", calls[0].InvokedFunctionARN, tt.wantARN)
			}
			if got := res.Header.Get("X-Amz-Executed-Version"); got != tt.wantVersion {
				t.Errorf("X-Amz-Executed-Version = %q, want %q", got, tt.wantVersion)
			}
		})
	}
}

func TestQualifierConflictMessage(t *testing.T) {
	t.Parallel()
	b, _ := testFunctions()
	res := serve(t, NewHandler(b, nil), call{target: invokePath("Hello%3Alive") + "?Qualifier=1"})
	body := readBody(t, res)
	checkServiceError(t, res, body, 400, "InvalidParameterValueException",
		"The derived qualifier from the function name does not match the specified qualifier.")
}

func TestInvokeSuccess(t *testing.T) {
	t.Parallel()
	b, fns := testFunctions()
	res := serve(t, NewHandler(b, nil), call{
		target:  invokePath("Hello"),
		body:    []byte(`{"name":"fresco"}`),
		headers: map[string]string{"Content-Type": ""},
	})
	body := readBody(t, res)
	if res.StatusCode != 200 || string(body) != `{"name":"fresco"}` {
		t.Fatalf("got %d %s", res.StatusCode, body)
	}
	h := res.Header
	if h.Get("Content-Type") != "application/json" || h.Get("X-Amz-Executed-Version") != "$LATEST" {
		t.Errorf("headers = %v", h)
	}
	for _, k := range []string{"X-Amz-Function-Error", "X-Amz-Log-Result", "x-amzn-ErrorType"} {
		if _, ok := h[http.CanonicalHeaderKey(k)]; ok {
			t.Errorf("unexpected header %s: %q", k, h.Get(k))
		}
	}
	calls := fns["Hello"].SyncCalls()
	if len(calls) != 1 {
		t.Fatalf("%d invocations", len(calls))
	}
	req := calls[0]
	if req.RequestID != h.Get("x-amzn-RequestId") || !reUUID4.MatchString(req.RequestID) {
		t.Errorf("RequestID = %q, header %q", req.RequestID, h.Get("x-amzn-RequestId"))
	}
	if !reTraceID.MatchString(req.TraceID) {
		t.Errorf("TraceID = %q", req.TraceID)
	}
	if string(req.Payload) != `{"name":"fresco"}` || req.ClientContext != nil || !req.Deadline.IsZero() {
		t.Errorf("request = %+v", req)
	}
}

func TestRequestIDsAreFresh(t *testing.T) {
	t.Parallel()
	b, _ := testFunctions()
	h := NewHandler(b, nil)
	seen := map[string]bool{}
	for range 50 {
		res := serve(t, h, call{target: invokePath("Hello")})
		id := res.Header.Get("x-amzn-RequestId")
		if !reUUID4.MatchString(id) || seen[id] {
			t.Fatalf("request id %q (seen: %v)", id, seen[id])
		}
		seen[id] = true
	}
}

func TestTraceHeaderHonoured(t *testing.T) {
	t.Parallel()
	b, fns := testFunctions()
	const incoming = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	serve(t, NewHandler(b, nil), call{target: invokePath("Hello"), headers: map[string]string{"X-Amzn-Trace-Id": incoming}})
	serve(t, NewHandler(b, nil), call{target: invokePath("Hello"), headers: map[string]string{"X-Amzn-Trace-Id": "garbage"}})
	calls := fns["Hello"].SyncCalls()
	if calls[0].TraceID != incoming {
		t.Errorf("TraceID = %q, want the caller's", calls[0].TraceID)
	}
	if !reTraceID.MatchString(calls[1].TraceID) {
		t.Errorf("TraceID for a header without Root = %q, want a fresh one", calls[1].TraceID)
	}
}

func TestInvocationTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, invocationType string
		wantStatus           int
		wantSync, wantAsync  int
	}{
		{"default", "", 200, 1, 0},
		{"RequestResponse", "RequestResponse", 200, 1, 0},
		{"Event", "Event", 202, 0, 1},
		{"DryRun", "DryRun", 204, 0, 0},
		{"lower case", "event", 400, 0, 0},
		{"bogus", "Later", 400, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, fns := testFunctions()
			res := serve(t, NewHandler(b, nil), call{
				target:  invokePath("Hello"),
				body:    []byte(`{"a":1}`),
				headers: map[string]string{"X-Amz-Invocation-Type": tt.invocationType, "X-Amz-Log-Type": "Tail"},
			})
			body := readBody(t, res)
			if tt.wantStatus == 400 {
				checkServiceError(t, res, body, 400, "InvalidParameterValueException", "invocationType")
			}
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", res.StatusCode, tt.wantStatus, body)
			}
			if !reUUID4.MatchString(res.Header.Get("x-amzn-RequestId")) {
				t.Errorf("x-amzn-RequestId = %q", res.Header.Get("x-amzn-RequestId"))
			}
			fn := fns["Hello"]
			if got := len(fn.SyncCalls()); got != tt.wantSync {
				t.Errorf("%d synchronous invocations, want %d", got, tt.wantSync)
			}
			async := fn.AsyncCalls()
			if len(async) != tt.wantAsync {
				t.Errorf("%d asynchronous invocations, want %d", len(async), tt.wantAsync)
			}
			if tt.wantStatus == 202 || tt.wantStatus == 204 {
				if len(body) != 0 {
					t.Errorf("body = %q, want none", body)
				}
				if _, ok := res.Header["X-Amz-Log-Result"]; ok {
					t.Errorf("X-Amz-Log-Result on a %d", res.StatusCode)
				}
			}
			if len(async) == 1 {
				req := async[0]
				if req.RequestID != res.Header.Get("x-amzn-RequestId") || string(req.Payload) != `{"a":1}` ||
					req.InvokedFunctionARN != testARNPrefix+"Hello" || !reTraceID.MatchString(req.TraceID) {
					t.Errorf("async request = %+v", req)
				}
			}
		})
	}
}

func TestDryRunUnknownFunction(t *testing.T) {
	t.Parallel()
	b, _ := testFunctions()
	res := serve(t, NewHandler(b, nil), call{target: invokePath("Nope"), headers: map[string]string{"X-Amz-Invocation-Type": "DryRun"}})
	checkServiceError(t, res, readBody(t, res), 404, "ResourceNotFoundException", "Function not found")
}

func TestPayloads(t *testing.T) {
	t.Parallel()
	jsonOfSize := func(n int) []byte { // a JSON string exactly n bytes long
		b := bytes.Repeat([]byte("a"), n)
		b[0], b[n-1] = '"', '"'
		return b
	}
	tests := []struct {
		name           string
		invocationType string
		body           []byte
		noLength       bool
		wantStatus     int
		wantErrorType  string
		wantMessage    string
		wantPayload    string // what reaches the function, when it is checked
	}{
		{name: "empty is {}", body: nil, wantStatus: 200, wantPayload: "{}"},
		{name: "empty event is {}", invocationType: "Event", body: nil, wantStatus: 202, wantPayload: "{}"},
		{name: "string", body: []byte(`"hi"`), wantStatus: 200, wantPayload: `"hi"`},
		{name: "number", body: []byte(`42`), wantStatus: 200, wantPayload: `42`},
		{name: "null", body: []byte(`null`), wantStatus: 200, wantPayload: `null`},
		{name: "whitespace around", body: []byte(" {\"a\":1}\n"), wantStatus: 200, wantPayload: " {\"a\":1}\n"},
		{name: "not JSON", body: []byte(`hello`), wantStatus: 400, wantErrorType: "InvalidRequestContentException",
			wantMessage: "Could not parse request body into json: Could not parse payload into json: invalid character 'h'"},
		{name: "truncated JSON", body: []byte(`{"a":`), wantStatus: 400, wantErrorType: "InvalidRequestContentException",
			wantMessage: "Could not parse request body into json: "},
		{name: "only whitespace", body: []byte("  "), wantStatus: 400, wantErrorType: "InvalidRequestContentException"},
		{name: "not JSON on DryRun", invocationType: "DryRun", body: []byte(`x`), wantStatus: 400, wantErrorType: "InvalidRequestContentException"},
		{name: "exactly 6291456", body: jsonOfSize(invoke.MaxSyncRequest), wantStatus: 200},
		{name: "6291456 + 1", body: jsonOfSize(invoke.MaxSyncRequest + 1), wantStatus: 413, wantErrorType: "RequestTooLargeException",
			wantMessage: "Request must be smaller than 6291456 bytes for the InvokeFunction operation"},
		{name: "6291456 + 1 chunked", body: jsonOfSize(invoke.MaxSyncRequest + 1), noLength: true, wantStatus: 413, wantErrorType: "RequestTooLargeException",
			wantMessage: "Request must be smaller than 6291456 bytes for the InvokeFunction operation"},
		{name: "exactly 6291456 chunked", body: jsonOfSize(invoke.MaxSyncRequest), noLength: true, wantStatus: 200},
		{name: "DryRun 6291456 + 1", invocationType: "DryRun", body: jsonOfSize(invoke.MaxSyncRequest + 1), wantStatus: 413, wantErrorType: "RequestTooLargeException"},
		{name: "Event exactly 1 MB", invocationType: "Event", body: jsonOfSize(invoke.MaxAsyncRequest), wantStatus: 202},
		{name: "Event 1 MB + 1", invocationType: "Event", body: jsonOfSize(invoke.MaxAsyncRequest + 1), wantStatus: 413, wantErrorType: "RequestTooLargeException",
			wantMessage: "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"},
		{name: "Event 1 MB + 1 chunked", invocationType: "Event", body: jsonOfSize(invoke.MaxAsyncRequest + 1), noLength: true, wantStatus: 413, wantErrorType: "RequestTooLargeException",
			wantMessage: "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"},
		{name: "Event 2 MB is fine synchronously", body: jsonOfSize(2 << 20), wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, fns := testFunctions()
			res := serve(t, NewHandler(b, nil), call{
				target:   invokePath("Hello"),
				body:     tt.body,
				noLength: tt.noLength,
				headers:  map[string]string{"X-Amz-Invocation-Type": tt.invocationType},
			})
			body := readBody(t, res)
			if tt.wantErrorType != "" {
				checkServiceError(t, res, body, tt.wantStatus, tt.wantErrorType, tt.wantMessage)
				if n := len(fns["Hello"].SyncCalls()) + len(fns["Hello"].AsyncCalls()); n != 0 {
					t.Errorf("%d invocations after an error", n)
				}
				return
			}
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%.200s)", res.StatusCode, tt.wantStatus, body)
			}
			calls := append(fns["Hello"].SyncCalls(), fns["Hello"].AsyncCalls()...)
			if len(calls) != 1 {
				t.Fatalf("%d invocations, want 1", len(calls))
			}
			want := tt.wantPayload
			if want == "" {
				want = string(tt.body)
			}
			if string(calls[0].Payload) != want {
				t.Errorf("payload = %.100q, want %.100q", calls[0].Payload, want)
			}
		})
	}
}

// TestOversizeDeclaredNotRead checks that a declared oversize with
// Expect: 100-continue is refused without reading the body.
func TestOversizeDeclaredNotRead(t *testing.T) {
	t.Parallel()
	b, _ := testFunctions()
	body := &countingReader{r: strings.NewReader(strings.Repeat("a", 100))}
	req := httptest.NewRequest(http.MethodPost, invokePath("Hello"), body)
	req.ContentLength = invoke.MaxSyncRequest + 1
	req.Header.Set("Expect", "100-continue")
	rec := httptest.NewRecorder()
	NewHandler(b, nil).ServeHTTP(rec, req)
	res := rec.Result()
	checkServiceError(t, res, readBody(t, res), 413, "RequestTooLargeException", "6291456")
	if body.n != 0 {
		t.Errorf("read %d bytes of a body refused by its Content-Length", body.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestClientContext(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString
	const doc = `{"custom":{"k":"v"},"env":{"platform":"test"}}`
	tests := []struct {
		name, header   string
		invocationType string
		wantStatus     int
		wantMessage    string
		wantContext    string
	}{
		{name: "absent", wantStatus: 200},
		{name: "object", header: b64([]byte(doc)), wantStatus: 200, wantContext: doc},
		{name: "unpadded", header: base64.RawStdEncoding.EncodeToString([]byte(`{"a":1}`)), wantStatus: 200, wantContext: `{"a":1}`},
		{name: "empty object", header: b64([]byte(`{}`)), wantStatus: 200, wantContext: `{}`},
		{name: "Event drops it", header: b64([]byte(doc)), invocationType: "Event", wantStatus: 202},
		{name: "not base64", header: "not*base64!", wantStatus: 400, wantMessage: "Client context must be a valid Base64-encoded JSON object."},
		{name: "not JSON", header: b64([]byte("hello")), wantStatus: 400, wantMessage: "Client context must be a valid Base64-encoded JSON object."},
		{name: "JSON array", header: b64([]byte(`[1,2]`)), wantStatus: 400, wantMessage: "Client context must be a valid Base64-encoded JSON object."},
		{name: "JSON string", header: b64([]byte(`"x"`)), wantStatus: 400, wantMessage: "Client context must be a valid Base64-encoded JSON object."},
		{name: "exactly 3583 bytes", header: sizedContext(3583), wantStatus: 200, wantContext: "*"},
		{name: "3584 bytes", header: sizedContext(3584), wantStatus: 400, wantMessage: "3583"},
		{name: "invalid on Event too", header: "%%%", invocationType: "Event", wantStatus: 400, wantMessage: "Base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, fns := testFunctions()
			res := serve(t, NewHandler(b, nil), call{
				target:  invokePath("Hello"),
				headers: map[string]string{"X-Amz-Client-Context": tt.header, "X-Amz-Invocation-Type": tt.invocationType},
			})
			body := readBody(t, res)
			if tt.wantStatus == 400 {
				checkServiceError(t, res, body, 400, "InvalidRequestContentException", tt.wantMessage)
				return
			}
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d (%s)", res.StatusCode, body)
			}
			calls := append(fns["Hello"].SyncCalls(), fns["Hello"].AsyncCalls()...)
			got := string(calls[0].ClientContext)
			switch {
			case tt.wantContext == "*":
				if !json.Valid(calls[0].ClientContext) {
					t.Errorf("ClientContext = %q", got)
				}
			case got != tt.wantContext:
				t.Errorf("ClientContext = %q, want %q", got, tt.wantContext)
			}
		})
	}
}

// sizedContext is a valid client context header exactly n bytes long
// (unpadded base64, which is accepted, of a JSON object of 3n/4 bytes).
func sizedContext(n int) string {
	k := n * 3 / 4
	s := base64.RawStdEncoding.EncodeToString([]byte(`{"p":"` + strings.Repeat("x", k-8) + `"}`))
	if len(s) != n {
		panic("sizedContext: no base64 text of that length")
	}
	return s
}

func TestLogTail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, function, logType string
		invocationType          string
		wantStatus              int
		wantLog                 []byte // nil: no header
	}{
		{name: "Tail long log", function: "Noisy", logType: "Tail", wantStatus: 200, wantLog: bigLog[len(bigLog)-4096:]},
		{name: "Tail short log", function: "Quiet", logType: "Tail", wantStatus: 200, wantLog: []byte("short log\n")},
		{name: "None", function: "Noisy", logType: "None", wantStatus: 200},
		{name: "absent", function: "Noisy", wantStatus: 200},
		{name: "Tail on Event", function: "Noisy", logType: "Tail", invocationType: "Event", wantStatus: 202},
		{name: "bogus", function: "Noisy", logType: "Head", wantStatus: 400},
		{name: "lower case", function: "Noisy", logType: "tail", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, _ := testFunctions()
			res := serve(t, NewHandler(b, nil), call{
				target:  invokePath(tt.function),
				headers: map[string]string{"X-Amz-Log-Type": tt.logType, "X-Amz-Invocation-Type": tt.invocationType},
			})
			body := readBody(t, res)
			if tt.wantStatus == 400 {
				checkServiceError(t, res, body, 400, "InvalidParameterValueException", "logType")
				return
			}
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d (%s)", res.StatusCode, body)
			}
			v, ok := res.Header["X-Amz-Log-Result"]
			if tt.wantLog == nil {
				if ok {
					t.Fatalf("X-Amz-Log-Result = %q, want none", v)
				}
				return
			}
			got, err := base64.StdEncoding.DecodeString(res.Header.Get("X-Amz-Log-Result"))
			if err != nil || !bytes.Equal(got, tt.wantLog) {
				t.Fatalf("X-Amz-Log-Result decodes to %d bytes %q (%v), want %d bytes", len(got), got, err, len(tt.wantLog))
			}
		})
	}
}

func TestFunctionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		function, wantType, wantMessage string
	}{
		{"Fail", "Handler.Error", "boom"},
		{"Slow", "Sandbox.Timedout", "Task timed out after 3.00 seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			t.Parallel()
			b, _ := testFunctions()
			res := serve(t, NewHandler(b, nil), call{target: invokePath(tt.function), headers: map[string]string{"X-Amz-Log-Type": "Tail"}})
			body := readBody(t, res)
			if res.StatusCode != 200 {
				t.Fatalf("status = %d", res.StatusCode)
			}
			h := res.Header
			if h.Get("X-Amz-Function-Error") != "Unhandled" || h.Get("X-Amz-Executed-Version") != "$LATEST" ||
				h.Get("Content-Type") != "application/json" || h.Get("x-amzn-ErrorType") != "" {
				t.Errorf("headers = %v", h)
			}
			var p invoke.ErrorPayload
			if err := json.Unmarshal(body, &p); err != nil || p.ErrorType != tt.wantType || !strings.Contains(p.ErrorMessage, tt.wantMessage) {
				t.Errorf("body = %s (%v)", body, err)
			}
			if tt.function == "Fail" {
				log, _ := base64.StdEncoding.DecodeString(h.Get("X-Amz-Log-Result"))
				if !strings.Contains(string(log), "START RequestId: "+h.Get("x-amzn-RequestId")) {
					t.Errorf("log tail = %q", log)
				}
			}
		})
	}
}

// TestServiceErrorGolden pins the exact bodies of service errors.
func TestServiceErrorGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		golden        string
		c             call
		wantStatus    int
		wantErrorType string
	}{
		{"not_found", call{target: invokePath("Nope")}, 404, "ResourceNotFoundException"},
		{"throttled", call{target: invokePath("Throttled")}, 429, "TooManyRequestsException"},
		{"throttled_event", call{target: invokePath("Throttled"), headers: map[string]string{"X-Amz-Invocation-Type": "Event"}}, 429, "TooManyRequestsException"},
		{"unexpected", call{target: invokePath("Broken")}, 500, "ServiceException"},
		{"nil_result", call{target: invokePath("Nil")}, 500, "ServiceException"},
		{"panic", call{target: invokePath("Panics")}, 500, "ServiceException"},
		{"too_large", call{target: invokePath("Hello"), body: bytes.Repeat([]byte(" "), invoke.MaxSyncRequest+1)}, 413, "RequestTooLargeException"},
		{"invalid_json", call{target: invokePath("Hello"), body: []byte("{")}, 400, "InvalidRequestContentException"},
		{"qualifier_mismatch", call{target: invokePath("Hello:live") + "?Qualifier=1"}, 400, "InvalidParameterValueException"},
		{"invalid_name", call{target: invokePath("a%20b")}, 400, "InvalidParameterValueException"},
		{"unknown_route", call{target: "/2015-03-31/functions/Hello/configuration"}, 404, "UnknownOperationException"},
		{"wrong_method", call{method: http.MethodGet, target: invokePath("Hello")}, 405, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			b, _ := testFunctions()
			res := serve(t, NewHandler(b, nil), tt.c)
			body := readBody(t, res)
			checkServiceError(t, res, body, tt.wantStatus, tt.wantErrorType, "")
			if strings.Contains(string(body), "secret") {
				t.Errorf("body leaks an internal error: %s", body)
			}
			if tt.wantStatus == 405 && res.Header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q", res.Header.Get("Allow"))
			}
			golden(t, filepath.Join("testdata", tt.golden+".json"), body)
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.TrimSuffix(want, []byte("\n"))) {
		t.Errorf("body = %s\nwant   %s (%s)", got, want, path)
	}
}

// TestPanicRecovery checks that a panic is a 500 ServiceException, logged,
// and that the server goes on serving.
func TestPanicRecovery(t *testing.T) {
	t.Parallel()
	b, _ := testFunctions()
	var logs syncBuffer
	srv := httptest.NewServer(NewHandler(b, slog.New(slog.NewJSONHandler(&logs, nil))))
	defer srv.Close()

	for range 3 {
		res, err := http.Post(srv.URL+invokePath("Panics"), "", nil)
		if err != nil {
			t.Fatalf("the connection was dropped: %v", err)
		}
		body := readBody(t, res)
		res.Body.Close()
		checkServiceError(t, res, body, 500, "ServiceException", "An internal error occurred.")
		if res.Header.Get("X-Amz-Executed-Version") != "" {
			t.Errorf("headers of the aborted answer leaked: %v", res.Header)
		}
	}
	res, err := http.Post(srv.URL+invokePath("Hello"), "", strings.NewReader(`1`))
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, res)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "1" {
		t.Errorf("after panics: %d %s", res.StatusCode, body)
	}
	if !strings.Contains(logs.String(), `"panic":"handler bug"`) {
		t.Errorf("panic not logged: %s", logs.String())
	}
}

// TestPanicAfterWrite checks that a panic once the answer has begun aborts
// the response instead of appending an error to it.
func TestPanicAfterWrite(t *testing.T) {
	t.Parallel()
	s := &server{logger: slog.New(slog.DiscardHandler)}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		panic("late")
	})
	mws := s.middlewares()
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	defer func() {
		if rec := recover(); rec != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", rec)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	b, _ := testFunctions()
	var logs syncBuffer
	h := NewHandler(b, slog.New(slog.NewJSONHandler(&logs, nil)))
	res := serve(t, h, call{target: invokePath("Hello%3Alive")})
	serve(t, h, call{target: "/nowhere"})

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2: %s", len(lines), logs.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"msg": "request", "method": "POST", "path": invokePath("Hello%3Alive"), "status": float64(200),
		"function": "Hello", "request_id": res.Header.Get("x-amzn-RequestId"),
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("log %s = %v, want %v", k, rec[k], v)
		}
	}
	if _, ok := rec["duration"].(float64); !ok {
		t.Errorf("log duration = %v", rec["duration"])
	}
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["status"] != float64(404) || rec["function"] != "" {
		t.Errorf("log of unknown route = %v", rec)
	}
}

// TestInvokeContextOutlivesCaller checks that the invocation does not see the
// caller's cancellation (Lambda runs it to completion).
func TestInvokeContextOutlivesCaller(t *testing.T) {
	t.Parallel()
	var sawErr error
	b := newFakeBackend(&fakeFunction{Name: "F", Run: func(ctx context.Context, req *invoke.Request) (*invoke.Result, error) {
		sawErr = ctx.Err()
		return &invoke.Result{Payload: []byte("{}")}, nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, invokePath("F"), nil)
	rec := httptest.NewRecorder()
	NewHandler(b, nil).ServeHTTP(rec, req)
	if rec.Code != 200 || sawErr != nil {
		t.Errorf("status %d, invocation context error %v", rec.Code, sawErr)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHammer sends many concurrent invocations of every kind through one
// handler and checks that each answer belongs to its own request.
func TestHammer(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]string{} // request id -> payload the function saw
	b := newFakeBackend(&fakeFunction{Name: "F", Run: func(_ context.Context, req *invoke.Request) (*invoke.Result, error) {
		mu.Lock()
		seen[req.RequestID] = string(req.Payload)
		mu.Unlock()
		return &invoke.Result{Payload: req.Payload, Log: []byte(req.RequestID)}, nil
	}})
	srv := httptest.NewServer(NewHandler(b, nil))
	defer srv.Close()

	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan string, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				payload := `{"w":` + strings.Repeat("1", w+1) + `,"i":` + strings.Repeat("2", i%7+1) + `}`
				req, _ := http.NewRequest(http.MethodPost, srv.URL+invokePath("F%3A%24LATEST"), strings.NewReader(payload))
				req.Header.Set("X-Amz-Log-Type", "Tail")
				res, err := srv.Client().Do(req)
				if err != nil {
					errs <- err.Error()
					continue
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				id := res.Header.Get("x-amzn-RequestId")
				log, _ := base64.StdEncoding.DecodeString(res.Header.Get("X-Amz-Log-Result"))
				mu.Lock()
				got := seen[id]
				mu.Unlock()
				if res.StatusCode != 200 || string(body) != payload || got != payload || string(log) != id {
					errs <- res.Status + " " + string(body) + " for " + payload
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if len(seen) != workers*each {
		t.Errorf("%d distinct request ids, want %d", len(seen), workers*each)
	}
}
