package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// apigwTime is the fixed clock of the API Gateway tests.
var apigwTime = time.Date(2026, time.March, 14, 15, 9, 26, 535000000, time.UTC)

func intp(n int) *int { return &n }

// mixedAPIs is a REST API and an HTTP API on one listener, every route to
// the function "Fn".
var mixedAPIs = []testAPI{
	{
		Name: "RestApi", Kind: apispec.RESTAPI, Stage: "test",
		StageVariables:   map[string]string{"color": "blue"},
		BinaryMediaTypes: []string{"image/png", "application/octet-stream"},
		CORS: &apispec.CORS{
			AllowOrigins: []string{"https://app.example"},
			AllowHeaders: []string{"Content-Type", "X-Tag"},
			MaxAge:       intp(600),
		},
		Routes: []testRoute{
			{Method: "GET", Path: "/rest/items/{id}", Function: "Fn"},
			{Method: "POST", Path: "/rest/items/{id}", Function: "Fn"},
			{Method: "ANY", Path: "/rest/files/{path+}", Function: "Fn"},
			{Method: "POST", Path: "/rest/upload", Function: "Fn"},
			{Method: "GET", Path: "/", Function: "Fn"},
		},
	},
	{
		Name: "HttpApi", Kind: apispec.HTTPAPI, Stage: "$default",
		CORS: &apispec.CORS{
			AllowOrigins:     []string{"https://app.example"},
			AllowMethods:     []string{"GET", "POST"},
			AllowHeaders:     []string{"content-type"},
			ExposeHeaders:    []string{"x-tag"},
			MaxAge:           intp(300),
			AllowCredentials: true,
		},
		Routes: []testRoute{
			{Method: "GET", Path: "/http/hello/{name}", Function: "Fn"},
			{Method: "ANY", Path: "/http/{proxy+}", Function: "Fn"},
			{Method: "POST", Path: "/http/upload", Function: "Fn"},
			{Method: "GET", Path: "/http/v1/{id}", Function: "Fn", PayloadFormatVersion: "1.0"},
		},
	},
}

// defaultAPIs is an HTTP API with a $default route beside a named one.
var defaultAPIs = []testAPI{{
	Name: "ServerlessHttpApi", Kind: apispec.HTTPAPI, Stage: "$default",
	Routes: []testRoute{
		{Method: "GET", Path: "/known", Function: "Fn"},
		{Method: "ANY", Path: "$default", Function: "Fn"},
	},
}}

// httpOnlyAPIs is an HTTP API alone: its unknown routes are 404s.
var httpOnlyAPIs = []testAPI{{
	Name: "ServerlessHttpApi", Kind: apispec.HTTPAPI, Stage: "$default",
	Routes: []testRoute{{Method: "GET", Path: "/known", Function: "Fn"}},
}}

// testRequest is one HTTP request of a test, sent for real.
type testRequest struct {
	method  string
	target  string      // path and query, as sent
	header  [][2]string // in order; repeated names are repeated headers
	body    []byte
	noAgent bool
}

func (tr testRequest) send(t *testing.T, base string) *http.Response {
	t.Helper()
	var body io.Reader
	if tr.body != nil {
		body = bytes.NewReader(tr.body)
	}
	req, err := http.NewRequest(tr.method, base+tr.target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "api.example.test"
	req.Header.Set("User-Agent", "fresco-test")
	req.Header.Set("Accept-Encoding", "identity")
	for _, kv := range tr.header {
		req.Header.Add(kv[0], kv[1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// apigwHarness is one handler on a real listener with a fake function Fn,
// deterministic ids and clock, and its logs.
type apigwHarness struct {
	url  string
	port string
	fn   *fakeFunction
	logs *safeBuffer
}

func newAPIGWHarness(t *testing.T, apis []testAPI, run func(ctx context.Context, req *invoke.Request) (*invoke.Result, error)) *apigwHarness {
	t.Helper()
	var n atomic.Int64
	fn := &fakeFunction{Name: "Fn", Run: run}
	logs := &safeBuffer{}
	h, err := newTestHandler(apis, APIGatewayConfig{
		Backend: newFakeBackend(fn),
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
		Now:     func() time.Time { return apigwTime },
		NewID:   func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return &apigwHarness{url: srv.URL, port: u.Port(), fn: fn, logs: logs}
}

// safeBuffer collects logs written by the server's goroutines.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *safeBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *safeBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor returns the logs once they contain s, or after a second: a
// request's line is written after its answer has gone out.
func (l *safeBuffer) waitFor(s string) string {
	deadline := time.Now().Add(time.Second)
	for {
		logs := l.String()
		if strings.Contains(logs, s) || time.Now().After(deadline) {
			return logs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// returning answers every invocation with output.
func returning(output string) func(context.Context, *invoke.Request) (*invoke.Result, error) {
	return func(context.Context, *invoke.Request) (*invoke.Result, error) {
		return &invoke.Result{Kind: invoke.Success, Payload: []byte(output)}, nil
	}
}

// dumpResponse renders a response for a golden file: the status line, the
// headers but Date, sorted, and the body (base64 when it is not text).
func dumpResponse(t *testing.T, resp *http.Response, port string) string {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", resp.Proto, resp.Status)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		if k != "Date" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	if utf8.Valid(body) {
		b.Write(body)
	} else {
		b.WriteString("base64:" + base64.StdEncoding.EncodeToString(body))
	}
	return maskPort(b.String(), port)
}

// maskPort replaces the test server's port, the one volatile part of the
// events and answers once ids and clock are fixed.
func maskPort(s, port string) string {
	s = strings.ReplaceAll(s, `"`+port+`"`, `"PORT"`)
	return strings.ReplaceAll(s, ":"+port, ":PORT")
}

// checkGolden compares got with testdata/apigw/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "apigw", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (-update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// indentEvent renders an event for a golden file.
func indentEvent(t *testing.T, payload []byte, port string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, payload, "", "  "); err != nil {
		t.Fatalf("event is not JSON: %v\n%s", err, payload)
	}
	return maskPort(b.String(), port) + "\n"
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\xff\xfe")

// TestAPIGatewayGolden sends real requests and compares the event the
// function received and the answer the client got with golden files.
func TestAPIGatewayGolden(t *testing.T) {
	t.Parallel()
	// headers and multiValueHeaders merge; a value both give appears once.
	v1OK := `{"statusCode":201,"headers":{"X-Single":"one","X-Both":"from-headers","X-Dup":"same"},` +
		`"multiValueHeaders":{"X-Multi":["a","b"],"x-both":["from-multi-1","from-multi-2"],"X-Dup":["other","same"]},"body":"created"}`
	tests := []struct {
		name   string
		apis   []testAPI
		req    testRequest
		output string // the function's answer; "" when it is not called
	}{
		{"rest_path_params", mixedAPIs, testRequest{
			method: "GET", target: "/rest/items/a%20b?tag=x&tag=y&single=1&empty=",
			header: [][2]string{{"X-Multi", "one"}, {"X-Multi", "two"}, {"Cookie", "session=abc; theme=dark"}},
		}, v1OK},
		{"rest_greedy", mixedAPIs, testRequest{method: "DELETE", target: "/rest/files/docs/2026/report%2Bfinal.txt"},
			`{"statusCode":204,"body":"dropped by HTTP"}`},
		{"rest_root", mixedAPIs, testRequest{method: "GET", target: "/"}, `{"statusCode":200,"body":"root"}`},
		{"rest_binary", mixedAPIs, testRequest{
			method: "POST", target: "/rest/upload", header: [][2]string{{"Content-Type", "image/png"}}, body: pngBytes,
		}, `{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"` + base64.StdEncoding.EncodeToString(pngBytes) + `","isBase64Encoded":true}`},
		{"rest_text_body", mixedAPIs, testRequest{
			method: "POST", target: "/rest/upload", header: [][2]string{{"Content-Type", "text/plain; charset=utf-8"}}, body: []byte("héllo"),
		}, `{"statusCode":200,"body":"ok"}`},
		{"http_params_cookies", mixedAPIs, testRequest{
			method: "GET", target: "/http/hello/J%C3%BCrgen?q=1&q=2&lang=de",
			header: [][2]string{{"X-Multi", "one"}, {"X-Multi", "two"}, {"Cookie", "session=abc; theme=dark"}, {"Cookie", "third=3"}},
		}, `{"statusCode":200,"headers":{"Content-Type":"text/plain","X-Custom":"a,b"},"cookies":["id=1; Path=/","lang=de"],"body":"hi"}`},
		{"http_greedy", mixedAPIs, testRequest{method: "PUT", target: "/http/a/b%20c/d", body: []byte(`{"x":1}`),
			header: [][2]string{{"Content-Type", "application/json"}}},
			`{"statusCode":202,"body":"{}"}`},
		{"http_binary", mixedAPIs, testRequest{
			method: "POST", target: "/http/upload", header: [][2]string{{"Content-Type", "application/octet-stream"}}, body: pngBytes,
		}, `{"statusCode":200,"headers":{"content-type":"application/octet-stream"},"body":"` + base64.StdEncoding.EncodeToString(pngBytes) + `","isBase64Encoded":true}`},
		{"http_form_is_binary", mixedAPIs, testRequest{
			method: "POST", target: "/http/upload", header: [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}, body: []byte("a=1&b=2"),
		}, `{"statusCode":200,"body":"ok"}`},
		{"http_payload_v1", mixedAPIs, testRequest{method: "GET", target: "/http/v1/a%20b?x=1&x=2"}, v1OK},
		{"http_simple_object", mixedAPIs, testRequest{method: "GET", target: "/http/hello/Ada"}, `{"message":"Hello, Ada!"}`},
		{"http_simple_string", mixedAPIs, testRequest{method: "GET", target: "/http/hello/Ada"}, `"Hello, Ada!"`},
		{"http_default_route", defaultAPIs, testRequest{method: "PATCH", target: "/anything/else?x=1"}, `{"statusCode":200,"body":"default"}`},
		{"cors_http_answer", mixedAPIs, testRequest{method: "GET", target: "/http/hello/Ada",
			header: [][2]string{{"Origin", "https://app.example"}}},
			`{"statusCode":200,"headers":{"Access-Control-Allow-Origin":"https://evil.example"},"body":"cors"}`},
		{"cors_http_answer_other_origin", mixedAPIs, testRequest{method: "GET", target: "/http/hello/Ada",
			header: [][2]string{{"Origin", "https://other.example"}}},
			`{"statusCode":200,"headers":{"Access-Control-Allow-Origin":"https://evil.example"},"body":"cors"}`},
		{"cors_http_preflight", mixedAPIs, testRequest{method: "OPTIONS", target: "/http/hello/Ada",
			header: [][2]string{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}}}, ""},
		{"cors_http_preflight_other_origin", mixedAPIs, testRequest{method: "OPTIONS", target: "/http/hello/Ada",
			header: [][2]string{{"Origin", "https://other.example"}, {"Access-Control-Request-Method", "GET"}}}, ""},
		{"cors_rest_preflight", mixedAPIs, testRequest{method: "OPTIONS", target: "/rest/items/7",
			header: [][2]string{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}}}, ""},
		{"cors_rest_preflight_any", mixedAPIs, testRequest{method: "OPTIONS", target: "/rest/files/x"}, ""},
		{"unknown_route_rest", mixedAPIs, testRequest{method: "GET", target: "/nowhere"}, ""},
		{"unknown_method_rest", mixedAPIs, testRequest{method: "PUT", target: "/rest/items/7"}, ""},
		{"http_any_takes_other_methods", mixedAPIs, testRequest{method: "POST", target: "/http/v1/7"}, `{"statusCode":200,"body":"proxy"}`},
		{"unknown_route_http", httpOnlyAPIs, testRequest{method: "GET", target: "/nowhere"}, ""},
		{"unknown_method_http_only", httpOnlyAPIs, testRequest{method: "POST", target: "/known"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newAPIGWHarness(t, tc.apis, returning(tc.output))
			resp := tc.req.send(t, h.url)
			checkGolden(t, tc.name+".http", dumpResponse(t, resp, h.port))
			calls := h.fn.SyncCalls()
			if tc.output == "" {
				if len(calls) != 0 {
					t.Fatalf("the function was called:\n%s", calls[0].Payload)
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("%d invocations, want 1\nlogs:\n%s", len(calls), h.logs)
			}
			checkGolden(t, tc.name+".json", indentEvent(t, calls[0].Payload, h.port))
			checkEventDecodes(t, calls[0].Payload)
		})
	}
}

// checkEventDecodes: the event decodes into aws-lambda-go's type of its
// format and encodes back to the same JSON, so nothing is lost.
func checkEventDecodes(t *testing.T, payload []byte) {
	t.Helper()
	var head struct {
		Version string `json:"version"`
	}
	json.Unmarshal(payload, &head)
	var again []byte
	var err error
	switch head.Version {
	case apispec.PayloadV2.String():
		var ev events.APIGatewayV2HTTPRequest
		if err = json.Unmarshal(payload, &ev); err == nil {
			again, err = marshalEvent(ev)
		}
	case apispec.PayloadV1.String():
		var ev struct {
			Version string `json:"version"`
			events.APIGatewayProxyRequest
		}
		if err = json.Unmarshal(payload, &ev); err == nil {
			again, err = marshalEvent(ev)
		}
	default:
		var ev events.APIGatewayProxyRequest
		if err = json.Unmarshal(payload, &ev); err == nil {
			again, err = marshalEvent(ev)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, payload) {
		t.Errorf("event does not survive aws-lambda-go's types:\n%s\n%s", payload, again)
	}
}

// TestAPIGatewayBadGateway: a function error, a timeout, a failed lookup
// and every kind of malformed answer are a 502 {"message":"Internal server
// error"}, with the reason in the log and not in the answer.
func TestAPIGatewayBadGateway(t *testing.T) {
	t.Parallel()
	fail := func(kind invoke.Kind, typ, msg string) func(context.Context, *invoke.Request) (*invoke.Result, error) {
		return func(context.Context, *invoke.Request) (*invoke.Result, error) {
			return invoke.ErrorResult(kind, typ, msg), nil
		}
	}
	tests := []struct {
		name   string
		target string // /rest/... or /http/...
		run    func(context.Context, *invoke.Request) (*invoke.Result, error)
		reason string
	}{
		{"function error rest", "/rest/items/1", fail(invoke.FunctionError, "ValidationError", "bad input"), "function function error (ValidationError)"},
		{"function error http", "/http/hello/x", fail(invoke.FunctionError, "ValidationError", "bad input"), `bad input`},
		{"timeout", "/http/hello/x", fail(invoke.Timeout, invoke.ErrTimeout, "Task timed out after 3.00 seconds"), "function timeout (Sandbox.Timedout)"},
		{"crash", "/rest/items/1", fail(invoke.Crash, invoke.ErrExit, "exit status 2"), "Runtime.ExitError"},
		{"service error", "/http/hello/x", func(context.Context, *invoke.Request) (*invoke.Result, error) {
			return nil, invoke.TooManyRequests("Rate Exceeded.")
		}, "TooManyRequestsException"},
		{"not json", "/http/hello/x", returning(`{"statusCode":`), "not JSON"},
		{"rest not an object", "/rest/items/1", returning(`"hello"`), "not a JSON object"},
		{"rest no statusCode", "/rest/items/1", returning(`{"body":"x"}`), "no statusCode"},
		{"rest extra member", "/rest/items/1", returning(`{"statusCode":200,"body":"x","cookies":["a=1"]}`), "unexpected members cookies"},
		{"rest body not a string", "/rest/items/1", returning(`{"statusCode":200,"body":{"a":1}}`), "cannot unmarshal"},
		{"http bad status", "/http/hello/x", returning(`{"statusCode":1000}`), "statusCode 1000 is not a final HTTP status"},
		{"http informational status", "/http/hello/x", returning(`{"statusCode":100}`), "statusCode 100"},
		{"http bad base64", "/http/hello/x", returning(`{"statusCode":200,"body":"%%%","isBase64Encoded":true}`), "body is not base64"},
		{"http header not a string", "/http/hello/x", returning(`{"statusCode":200,"headers":{"X-N":5}}`), "cannot unmarshal"},
		{"http v1 no statusCode", "/http/v1/1", returning(`{"message":"simple form is 2.0 only"}`), "no statusCode"},
		{"panic", "/http/hello/x", func(context.Context, *invoke.Request) (*invoke.Result, error) { panic("boom") }, "panic in API Gateway handler"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newAPIGWHarness(t, mixedAPIs, tc.run)
			resp := testRequest{method: "GET", target: tc.target}.send(t, h.url)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway || string(body) != `{"message":"Internal server error"}` {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			rest := strings.HasPrefix(tc.target, "/rest/")
			if got := resp.Header.Get("X-Amzn-Errortype"); rest != (got == "InternalServerErrorException") {
				t.Errorf("x-amzn-ErrorType %q", got)
			}
			if rest != (resp.Header.Get("X-Amzn-Requestid") != "") || rest == (resp.Header.Get("Apigw-Requestid") != "") {
				t.Errorf("request id headers: %v", resp.Header)
			}
			logs := h.logs.waitFor("api request")
			if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, tc.reason) {
				t.Errorf("log lacks the reason %q:\n%s", tc.reason, logs)
			}
		})
	}
}

// TestAPIGatewayRequestLimits: a body too large for an invocation is a 413
// and never reaches the function.
func TestAPIGatewayRequestLimits(t *testing.T) {
	t.Parallel()
	h := newAPIGWHarness(t, mixedAPIs, returning(`{"statusCode":200}`))
	for _, size := range []int{maxAPIRequest + 1, maxAPIRequest - 10} {
		resp := testRequest{method: "POST", target: "/http/upload", body: bytes.Repeat([]byte("a"), size),
			header: [][2]string{{"Content-Type", "text/plain"}}}.send(t, h.url)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || string(body) != `{"message":"Request Entity Too Large"}` {
			t.Errorf("%d bytes: %d %s", size, resp.StatusCode, body)
		}
	}
	// A body of unknown length is cut off at the limit all the same.
	req, _ := http.NewRequest("POST", h.url+"/http/upload", io.MultiReader(bytes.NewReader(make([]byte, maxAPIRequest)), strings.NewReader("x")))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if req.ContentLength != 0 || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: length %d, status %d", req.ContentLength, resp.StatusCode)
	}
	if n := len(h.fn.SyncCalls()); n != 0 {
		t.Errorf("the function was called %d times", n)
	}
}

// TestAPIGatewayInvocation: the function runs with a fresh request id, its
// ARN, the trace id of the X-Amzn-Trace-Id header, and a context that the
// caller's going away does not cancel.
func TestAPIGatewayInvocation(t *testing.T) {
	t.Parallel()
	var ctxErr atomic.Value
	h := newAPIGWHarness(t, mixedAPIs, func(ctx context.Context, req *invoke.Request) (*invoke.Result, error) {
		ctxErr.Store(fmt.Sprint(ctx.Err()))
		return &invoke.Result{Kind: invoke.Success, Payload: []byte(`{"statusCode":200}`)}, nil
	})
	trace := "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"
	resp := testRequest{method: "GET", target: "/rest/items/1", header: [][2]string{{"X-Amzn-Trace-Id", trace}}}.send(t, h.url)
	resp.Body.Close()
	calls := h.fn.SyncCalls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	req := calls[0]
	if req.TraceID != trace || req.InvokedFunctionARN != testARNPrefix+"Fn" {
		t.Errorf("request: %+v", req)
	}
	// API Gateway's id (1) is the answer's; the invocation has its own (2).
	if req.RequestID != "00000000-0000-4000-8000-000000000002" || resp.Header.Get("X-Amzn-Requestid") != "00000000-0000-4000-8000-000000000001" {
		t.Errorf("ids: invocation %s, answer %s", req.RequestID, resp.Header.Get("X-Amzn-Requestid"))
	}
	var ev events.APIGatewayProxyRequest
	json.Unmarshal(req.Payload, &ev)
	if ev.Headers["X-Amzn-Trace-Id"] != trace || ev.RequestContext.RequestID != "00000000-0000-4000-8000-000000000001" {
		t.Errorf("event: %+v", ev)
	}
	if got := ctxErr.Load(); got != "<nil>" {
		t.Errorf("ctx.Err() = %v", got)
	}
}

// TestAPIGatewayConfigErrors: routes API Gateway would refuse are refused.
func TestAPIGatewayConfigErrors(t *testing.T) {
	t.Parallel()
	b := newFakeBackend()
	for _, tc := range []struct {
		api  testAPI
		want string
	}{
		{testAPI{Name: "A", Kind: apispec.RESTAPI, Routes: []testRoute{{Method: "GET", Path: "no-slash", Function: "F"}}}, "must start with /"},
		{testAPI{Name: "A", Kind: apispec.RESTAPI, Routes: []testRoute{{Method: "FETCH", Path: "/", Function: "F"}}}, `method "FETCH"`},
		{testAPI{Name: "A", Kind: apispec.RESTAPI, Routes: []testRoute{{Method: "ANY", Path: "$default", Function: "F"}}}, "only HTTP APIs"},
		{testAPI{Name: "A", Kind: apispec.HTTPAPI, Routes: []testRoute{{Method: "GET", Path: "$default", Function: "F"}}}, "its method is ANY"},
		{testAPI{Name: "A", Kind: apispec.HTTPAPI, Routes: []testRoute{{Method: "GET", Path: "/{p+}/x", Function: "F"}}}, "must be the last segment"},
		{testAPI{Name: "A", Kind: apispec.HTTPAPI, Routes: []testRoute{{Method: "GET", Path: "/a{b}", Function: "F"}}}, "whole segment"},
		{testAPI{Name: "A", Kind: apispec.HTTPAPI, Routes: []testRoute{{Method: "GET", Path: "/{a}/{a}", Function: "F"}}}, "appears twice"},
		{testAPI{Name: "A", Kind: apispec.HTTPAPI, Routes: []testRoute{{Method: "GET", Path: "/a//b", Function: "F"}}}, "empty segment"},
		{testAPI{Name: "A", Kind: apispec.HTTPAPI, Routes: []testRoute{{Method: "GET", Path: "/a", Function: "F", PayloadFormatVersion: "3.0"}}}, "payload format"},
		{testAPI{Name: "A", Kind: apispec.RESTAPI, Routes: []testRoute{{Method: "GET", Path: "/a", Function: "F", PayloadFormatVersion: "2.0"}}}, "REST APIs use 1.0"},
		{testAPI{Name: "A", Kind: apispec.HTTPAPI, Routes: []testRoute{{Method: "GET", Path: "/a", Function: ""}}}, "no function"},
		{testAPI{Name: "A", Kind: apispec.HTTPAPI, Routes: []testRoute{
			{Method: "get", Path: "/a/{x}", Function: "F"}, {Method: "GET", Path: "/a/{y}", Function: "G"},
		}}, "declared twice (functions F and G)"},
	} {
		_, err := newTestHandler([]testAPI{tc.api}, APIGatewayConfig{Backend: b})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.api.Routes, err, tc.want)
		}
	}
	// The same route in two APIs is allowed; the first serves it.
	var logs bytes.Buffer
	two := []testAPI{
		{Name: "First", Kind: apispec.HTTPAPI, Routes: []testRoute{{Method: "GET", Path: "/a", Function: "F"}}},
		{Name: "Second", Kind: apispec.HTTPAPI, Routes: []testRoute{{Method: "GET", Path: "/a", Function: "G"}}},
	}
	if _, err := newTestHandler(two, APIGatewayConfig{Backend: b, Logger: slog.New(slog.NewTextHandler(&logs, nil))}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "served_by=First") {
		t.Errorf("no warning of the conflict: %s", logs.String())
	}
}

// BenchmarkAPIGateway measures the handler's own work for one request:
// routing, the 2.0 event, the answer; the function answers at once.
func BenchmarkAPIGateway(b *testing.B) {
	h, err := newTestHandler(mixedAPIs, APIGatewayConfig{
		Backend: constBackend(`{"statusCode":200,"body":"ok"}`),
	})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/http/hello/Ada?q=1&q=2", nil)
	req.Header.Set("Cookie", "a=1; b=2")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// constBackend is a Backend whose every function answers with the same
// output and keeps nothing.
type constBackend string

func (c constBackend) Lookup(string, string) (invoke.Handle, error) { return c, nil }
func (c constBackend) Name() string                                 { return "Fn" }
func (c constBackend) ARN() string                                  { return testARNPrefix + "Fn" }
func (c constBackend) Version() string                              { return "$LATEST" }
func (c constBackend) InvokeAsync(*invoke.Request) error            { return nil }

func (c constBackend) Invoke(context.Context, *invoke.Request) (*invoke.Result, error) {
	return &invoke.Result{Kind: invoke.Success, Payload: []byte(c)}, nil
}
