package lambdaapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

const runtimeTestARN = "arn:aws:lambda:us-east-1:123456789012:function:Native"

// runtimeHarness is a RuntimeQueue served over HTTP.
type runtimeHarness struct {
	t      *testing.T
	q      *RuntimeQueue
	srv    *httptest.Server
	active atomic.Int64 // requests being served
}

func newRuntimeHarness(t *testing.T, timeout time.Duration) *runtimeHarness {
	t.Helper()
	h := &runtimeHarness{t: t, q: NewRuntimeQueue(runtimeTestARN, timeout)}
	api := NewRuntimeAPIHandler(h.q, nil)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.active.Add(1)
		defer h.active.Add(-1)
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

type invokeOutcome struct {
	res *invoke.Result
	err error
}

// invoke starts an invocation and returns where its outcome arrives.
func (h *runtimeHarness) invoke(ctx context.Context, req *invoke.Request) <-chan invokeOutcome {
	ch := make(chan invokeOutcome, 1)
	go func() {
		res, err := h.q.Invoke(ctx, req)
		ch <- invokeOutcome{res, err}
	}()
	return ch
}

// do sends one request and returns the answer with its body read.
func (h *runtimeHarness) do(ctx context.Context, method, path string, header http.Header, body []byte) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, b
}

// next takes the next invocation over HTTP.
func (h *runtimeHarness) next() (*http.Response, []byte) {
	h.t.Helper()
	resp, body := h.do(context.Background(), http.MethodGet, runtimeNextRoute, nil, nil)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("next: status %d, body %s", resp.StatusCode, body)
	}
	return resp, body
}

func invocationPath(id, what string) string {
	return "/2018-06-01/runtime/invocation/" + id + "/" + what
}

func wait(t *testing.T, ch <-chan invokeOutcome) invokeOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("invocation did not end")
	}
	return invokeOutcome{}
}

func TestRuntimeAPINextHeaders(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	tests := []struct {
		name string
		req  invoke.Request
		want map[string]string // "" means absent
	}{
		{
			name: "plain",
			req:  invoke.Request{RequestID: "id-plain", Payload: []byte(`{"a":1}`), Deadline: deadline, TraceID: "Root=1-5f-abc;Sampled=0"},
			want: map[string]string{
				headerRuntimeRequestID:       "id-plain",
				headerRuntimeDeadline:        strconv.FormatInt(deadline.UnixMilli(), 10),
				headerRuntimeFunctionARN:     runtimeTestARN,
				headerRuntimeTraceID:         "Root=1-5f-abc;Sampled=0",
				headerRuntimeClientContext:   "",
				headerRuntimeCognitoIdentity: "",
				headerContentType:            contentTypeJSON,
			},
		},
		{
			name: "contexts",
			req: invoke.Request{
				RequestID: "id-ctx", Payload: []byte(`{}`), Deadline: deadline,
				InvokedFunctionARN: runtimeTestARN + ":live",
				ClientContext:      []byte("{\n  \"custom\": {\"k\": \"v\"}\n}"),
				CognitoIdentity:    []byte(`{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}`),
			},
			want: map[string]string{
				headerRuntimeRequestID:       "id-ctx",
				headerRuntimeFunctionARN:     runtimeTestARN + ":live",
				headerRuntimeClientContext:   `{"custom":{"k":"v"}}`,
				headerRuntimeCognitoIdentity: `{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newRuntimeHarness(t, time.Minute)
			out := h.invoke(context.Background(), &tt.req)
			resp, body := h.next()
			if string(body) != string(tt.req.Payload) {
				t.Errorf("body = %s, want %s", body, tt.req.Payload)
			}
			for k, want := range tt.want {
				if _, present := resp.Header[http.CanonicalHeaderKey(k)]; want == "" && present {
					t.Errorf("header %s present (%q), want absent", k, resp.Header.Get(k))
				}
				if got := resp.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if resp.Header.Get(headerRuntimeTraceID) == "" {
				t.Error("no trace id")
			}
			h.do(context.Background(), http.MethodPost, invocationPath(tt.req.RequestID, "response"), nil, []byte(`"ok"`))
			if o := wait(t, out); o.err != nil || o.res.Kind != invoke.Success {
				t.Fatalf("Invoke = %+v, %v", o.res, o.err)
			}
		})
	}
}

func TestRuntimeAPIPosts(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), invoke.MaxResponse+1)
	type post struct {
		path   string // "response", "error" or an absolute path; the id is the invocation's
		method string // POST when empty
		id     string // the invocation's when empty
		header http.Header
		body   []byte
		status int
		// errorType is the errorType of the answer's document; "" expects
		// {"status":"OK"} (or nothing to check for 404/405).
		errorType string
	}
	tests := []struct {
		name    string
		timeout time.Duration
		posts   []post
		// want is the invocation's result; nil when it is not checked.
		wantKind    invoke.Kind
		wantType    string
		wantPayload string
	}{
		{
			name:        "response",
			posts:       []post{{path: "response", body: []byte(`{"hello":"world"}`), status: 202}},
			wantKind:    invoke.Success,
			wantPayload: `{"hello":"world"}`,
		},
		{
			name: "error with header",
			posts: []post{{path: "error", header: http.Header{headerRuntimeErrorType: {"MyError"}},
				body: []byte(`{"errorMessage":"bad","errorType":"MyError","stackTrace":[]}`), status: 202}},
			wantKind: invoke.FunctionError, wantType: "MyError",
			wantPayload: `{"errorMessage":"bad","errorType":"MyError","stackTrace":[]}`,
		},
		{
			name:     "error type from the document",
			posts:    []post{{path: "error", body: []byte(`{"errorMessage":"bad","errorType":"DocError"}`), status: 202}},
			wantKind: invoke.FunctionError, wantType: "DocError",
			wantPayload: `{"errorMessage":"bad","errorType":"DocError"}`,
		},
		{
			name:     "error without a document",
			posts:    []post{{path: "error", body: []byte("segfault\n"), status: 202}},
			wantKind: invoke.FunctionError, wantType: "Unhandled",
			wantPayload: `{"errorMessage":"segfault","errorType":"Unhandled"}`,
		},
		{
			name: "second response refused",
			posts: []post{
				{path: "response", body: []byte(`1`), status: 202},
				{path: "response", body: []byte(`2`), status: 400, errorType: runtimeErrInvalidRequestID},
				{path: "error", body: []byte(`{}`), status: 400, errorType: runtimeErrInvalidRequestID},
			},
			wantKind: invoke.Success, wantPayload: `1`,
		},
		{
			name: "unknown id refused",
			posts: []post{
				{path: "response", id: "no-such-id", body: []byte(`1`), status: 400, errorType: runtimeErrInvalidRequestID},
				{path: "error", id: "no-such-id", body: []byte(`{}`), status: 400, errorType: runtimeErrInvalidRequestID},
				{path: "response", body: []byte(`2`), status: 202},
			},
			wantKind: invoke.Success, wantPayload: `2`,
		},
		{
			name: "response too large",
			posts: []post{
				{path: "response", body: big, status: 413, errorType: invoke.ErrResponseTooLarge},
				{path: "response", body: []byte(`1`), status: 400, errorType: runtimeErrInvalidRequestID},
			},
			wantKind: invoke.ResponseTooLarge, wantType: invoke.ErrResponseTooLarge,
		},
		{
			name: "response at the limit",
			posts: []post{
				{path: "response", body: big[:invoke.MaxResponse], status: 202},
			},
			wantKind: invoke.Success,
		},
		{
			name:    "response after the timeout",
			timeout: 50 * time.Millisecond,
			posts: []post{
				{path: "sleep"},
				{path: "response", body: []byte(`1`), status: 400, errorType: runtimeErrInvalidRequestID},
			},
			wantKind: invoke.Timeout, wantType: invoke.ErrTimeout,
		},
		{
			name: "unknown operations",
			posts: []post{
				{path: "/2018-06-01/runtime/invocation/x/nothing", status: 404, errorType: runtimeErrUnknownOperation},
				{path: "/2018-06-01/runtime/invocation/next", status: 405, errorType: runtimeErrUnknownOperation},
				{path: "response", method: http.MethodGet, status: 405, errorType: runtimeErrUnknownOperation},
				{path: "response", body: []byte(`"fine"`), status: 202},
			},
			wantKind: invoke.Success, wantPayload: `"fine"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timeout := tt.timeout
			if timeout == 0 {
				timeout = time.Minute
			}
			h := newRuntimeHarness(t, timeout)
			out := h.invoke(context.Background(), &invoke.Request{Payload: []byte(`{}`)})
			resp, _ := h.next()
			id := resp.Header.Get(headerRuntimeRequestID)
			for i, p := range tt.posts {
				if p.path == "sleep" {
					again := make(chan invokeOutcome, 1)
					again <- wait(t, out)
					out = again
					continue
				}
				path := p.path
				if !strings.HasPrefix(path, "/") {
					pid := id
					if p.id != "" {
						pid = p.id
					}
					path = invocationPath(pid, path)
				}
				method := p.method
				if method == "" {
					method = http.MethodPost
				}
				resp, body := h.do(context.Background(), method, path, p.header, p.body)
				if resp.StatusCode != p.status {
					t.Fatalf("post %d (%s %s): status %d, want %d; body %s", i, method, path, resp.StatusCode, p.status, body)
				}
				if ct := resp.Header.Get(headerContentType); ct != contentTypeJSON {
					t.Errorf("post %d: Content-Type %q", i, ct)
				}
				if p.errorType == "" {
					if p.status == 202 && string(body) != `{"status":"OK"}` {
						t.Errorf("post %d: body %s, want {\"status\":\"OK\"}", i, body)
					}
					continue
				}
				var doc map[string]string
				if err := json.Unmarshal(body, &doc); err != nil {
					t.Fatalf("post %d: body %s: %v", i, body, err)
				}
				if doc["errorType"] != p.errorType || doc["errorMessage"] == "" || len(doc) != 2 {
					t.Errorf("post %d: body %s, want errorType %s and an errorMessage", i, body, p.errorType)
				}
			}
			o := wait(t, out)
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.res.Kind != tt.wantKind || o.res.ErrorType != tt.wantType {
				t.Errorf("result %v %q, want %v %q", o.res.Kind, o.res.ErrorType, tt.wantKind, tt.wantType)
			}
			if tt.wantPayload != "" && string(o.res.Payload) != tt.wantPayload {
				t.Errorf("payload %s, want %s", o.res.Payload, tt.wantPayload)
			}
			if o.res.Kind != invoke.Success {
				var doc invoke.ErrorPayload
				if err := json.Unmarshal(o.res.Payload, &doc); err != nil || doc.ErrorType != tt.wantType || doc.ErrorMessage == "" {
					t.Errorf("error document %s (%v)", o.res.Payload, err)
				}
			}
		})
	}
}

func TestRuntimeAPIInitError(t *testing.T) {
	t.Parallel()
	h := newRuntimeHarness(t, time.Minute)
	doc := `{"errorMessage":"cannot load config","errorType":"ConfigError"}`
	resp, body := h.do(context.Background(), http.MethodPost, runtimeInitRoute,
		http.Header{headerRuntimeErrorType: {"Runtime.ConfigError"}}, []byte(doc))
	if resp.StatusCode != http.StatusAccepted || string(body) != `{"status":"OK"}` {
		t.Fatalf("init/error: %d %s", resp.StatusCode, body)
	}
	res := h.q.TakeInitError()
	if res == nil || res.Kind != invoke.Crash || res.ErrorType != "Runtime.ConfigError" || string(res.Payload) != doc {
		t.Fatalf("TakeInitError = %+v", res)
	}
	if res := h.q.TakeInitError(); res != nil {
		t.Fatalf("second TakeInitError = %+v, want nil", res)
	}
}

// TestRuntimeAPIErrorTrailers is how aws-lambda-go reports a response it
// failed to stream: trailers on the response post.
func TestRuntimeAPIErrorTrailers(t *testing.T) {
	t.Parallel()
	h := newRuntimeHarness(t, time.Minute)
	out := h.invoke(context.Background(), &invoke.Request{Payload: []byte(`{}`)})
	resp, _ := h.next()
	id := resp.Header.Get(headerRuntimeRequestID)

	doc := `{"errorMessage":"read failed","errorType":"errorString"}`
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+invocationPath(id, "response"), pr)
	req.Trailer = http.Header{headerRuntimeErrorType: nil, trailerRuntimeErrorBody: nil}
	go func() {
		pw.Write([]byte("partial"))
		req.Trailer.Set(headerRuntimeErrorType, "errorString")
		req.Trailer.Set(trailerRuntimeErrorBody, base64.StdEncoding.EncodeToString([]byte(doc)))
		pw.Close()
	}()
	r, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", r.StatusCode)
	}
	o := wait(t, out)
	if o.err != nil || o.res.Kind != invoke.FunctionError || o.res.ErrorType != "errorString" || string(o.res.Payload) != doc {
		t.Fatalf("Invoke = %+v, %v", o.res, o.err)
	}
}

func TestRuntimeQueueTimeout(t *testing.T) {
	t.Parallel()
	for _, taken := range []bool{false, true} {
		t.Run(fmt.Sprintf("taken=%v", taken), func(t *testing.T) {
			t.Parallel()
			h := newRuntimeHarness(t, 100*time.Millisecond)
			out := h.invoke(context.Background(), &invoke.Request{RequestID: "slow", Payload: []byte(`{}`)})
			if taken {
				h.next()
			}
			o := wait(t, out)
			if o.err != nil {
				t.Fatal(o.err)
			}
			want := `{"errorMessage":"RequestId: slow Error: Task timed out after 0.10 seconds","errorType":"Sandbox.Timedout"}`
			if o.res.Kind != invoke.Timeout || string(o.res.Payload) != want {
				t.Fatalf("result %v %s, want %s", o.res.Kind, o.res.Payload, want)
			}
		})
	}
}

func TestRuntimeQueueInvokeCancelled(t *testing.T) {
	t.Parallel()
	q := NewRuntimeQueue(runtimeTestARN, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	res, err := q.Invoke(ctx, &invoke.Request{Payload: []byte(`{}`)})
	if err == nil || res != nil {
		t.Fatalf("Invoke = %+v, %v; want context.Canceled", res, err)
	}
}

// TestRuntimeQueueAbandonedNext checks that a Next whose caller is gone does
// not lose an invocation, whichever of the two is ready first.
func TestRuntimeQueueAbandonedNext(t *testing.T) {
	t.Parallel()
	h := newRuntimeHarness(t, time.Minute)

	// A runtime that hangs up while waiting on HTTP.
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+runtimeNextRoute, nil)
		if resp, err := h.srv.Client().Do(req); err == nil {
			resp.Body.Close()
			t.Error("next answered a runtime that hung up")
		}
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-gone
	// The server notices the hang-up a moment later; an invocation assigned
	// before then goes to the runtime that left, as in Lambda.
	for h.active.Load() != 0 {
		time.Sleep(time.Millisecond)
	}

	out := h.invoke(context.Background(), &invoke.Request{Payload: []byte(`{}`)})
	// Next callers whose context is already done, while the invocation waits.
	done, stop := context.WithCancel(context.Background())
	stop()
	for range 100 {
		if req, err := h.q.Next(done); err == nil {
			t.Fatalf("Next with a done context took %s", req.RequestID)
		}
	}
	resp, _ := h.next()
	id := resp.Header.Get(headerRuntimeRequestID)
	h.do(context.Background(), http.MethodPost, invocationPath(id, "response"), nil, []byte(`"kept"`))
	if o := wait(t, out); o.err != nil || string(o.res.Payload) != `"kept"` {
		t.Fatalf("Invoke = %+v, %v", o.res, o.err)
	}
}

// TestRuntimeQueueHammer runs 8 fake runtimes over HTTP against 200
// concurrent invocations: each is answered once, with its own payload.
func TestRuntimeQueueHammer(t *testing.T) {
	t.Parallel()
	const runtimes, invocations = 8, 200
	h := newRuntimeHarness(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	seen := make(map[string]int) // request id -> times taken
	var wg sync.WaitGroup
	for range runtimes {
		wg.Go(func() {
			for {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+runtimeNextRoute, nil)
				resp, err := h.srv.Client().Do(req)
				if err != nil {
					return // cancelled at the end
				}
				payload, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				id := resp.Header.Get(headerRuntimeRequestID)
				mu.Lock()
				seen[id]++
				mu.Unlock()
				answer := append([]byte(`{"echo":`), payload...)
				answer = append(answer, '}')
				post, _ := http.NewRequest(http.MethodPost, h.srv.URL+invocationPath(id, "response"), bytes.NewReader(answer))
				presp, err := h.srv.Client().Do(post)
				if err != nil {
					t.Error(err)
					return
				}
				presp.Body.Close()
				if presp.StatusCode != http.StatusAccepted {
					t.Errorf("response for %s: %d", id, presp.StatusCode)
				}
			}
		})
	}

	var iwg sync.WaitGroup
	for i := range invocations {
		iwg.Go(func() {
			payload := fmt.Sprintf(`{"n":%d}`, i)
			res, err := h.q.Invoke(context.Background(), &invoke.Request{Payload: []byte(payload)})
			if err != nil {
				t.Error(err)
				return
			}
			if want := `{"echo":` + payload + `}`; res.Kind != invoke.Success || string(res.Payload) != want {
				t.Errorf("invocation %d: %v %s, want %s", i, res.Kind, res.Payload, want)
			}
		})
	}
	iwg.Wait()
	cancel()
	wg.Wait()
	if len(seen) != invocations {
		t.Errorf("%d distinct invocations taken, want %d", len(seen), invocations)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("invocation %s taken %d times", id, n)
		}
	}
}
