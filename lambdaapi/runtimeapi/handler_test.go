package runtimeapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/procpool/procpooltest"
	"github.com/frescolabs/fresco/internal/invoke"
)

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
				invoke.HeaderRuntimeRequestID:       "id-plain",
				invoke.HeaderRuntimeDeadline:        strconv.FormatInt(deadline.UnixMilli(), 10),
				invoke.HeaderRuntimeFunctionARN:     procpooltest.TestARN,
				invoke.HeaderRuntimeTraceID:         "Root=1-5f-abc;Sampled=0",
				invoke.HeaderRuntimeClientContext:   "",
				invoke.HeaderRuntimeCognitoIdentity: "",
				"Content-Type":                      "application/json",
			},
		},
		{
			name: "contexts",
			req: invoke.Request{
				RequestID: "id-ctx", Payload: []byte(`{}`), Deadline: deadline,
				InvokedFunctionARN: procpooltest.TestARN + ":live",
				ClientContext:      []byte("{\n  \"custom\": {\"k\": \"v\"}\n}"),
				CognitoIdentity:    []byte(`{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}`),
			},
			want: map[string]string{
				invoke.HeaderRuntimeRequestID:       "id-ctx",
				invoke.HeaderRuntimeFunctionARN:     procpooltest.TestARN + ":live",
				invoke.HeaderRuntimeClientContext:   `{"custom":{"k":"v"}}`,
				invoke.HeaderRuntimeCognitoIdentity: `{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := procpooltest.NewHarness(t, time.Minute)
			out := h.Invoke(context.Background(), &tt.req)
			resp, body := h.Next()
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
			if resp.Header.Get(invoke.HeaderRuntimeTraceID) == "" {
				t.Error("no trace id")
			}
			h.Do(context.Background(), http.MethodPost, procpooltest.InvocationPath(tt.req.RequestID, "response"), nil, []byte(`"ok"`))
			if o := procpooltest.Wait(t, out); o.Err != nil || o.Res.Kind != invoke.Success {
				t.Fatalf("Invoke = %+v, %v", o.Res, o.Err)
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
			h := procpooltest.NewHarness(t, timeout)
			out := h.Invoke(context.Background(), &invoke.Request{Payload: []byte(`{}`)})
			resp, _ := h.Next()
			id := resp.Header.Get(invoke.HeaderRuntimeRequestID)
			for i, p := range tt.posts {
				if p.path == "sleep" {
					again := make(chan procpooltest.Outcome, 1)
					again <- procpooltest.Wait(t, out)
					out = again
					continue
				}
				path := p.path
				if !strings.HasPrefix(path, "/") {
					pid := id
					if p.id != "" {
						pid = p.id
					}
					path = procpooltest.InvocationPath(pid, path)
				}
				method := p.method
				if method == "" {
					method = http.MethodPost
				}
				resp, body := h.Do(context.Background(), method, path, p.header, p.body)
				if resp.StatusCode != p.status {
					t.Fatalf("post %d (%s %s): status %d, want %d; body %s", i, method, path, resp.StatusCode, p.status, body)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
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
			o := procpooltest.Wait(t, out)
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			if o.Res.Kind != tt.wantKind || o.Res.ErrorType != tt.wantType {
				t.Errorf("result %v %q, want %v %q", o.Res.Kind, o.Res.ErrorType, tt.wantKind, tt.wantType)
			}
			if tt.wantPayload != "" && string(o.Res.Payload) != tt.wantPayload {
				t.Errorf("payload %s, want %s", o.Res.Payload, tt.wantPayload)
			}
			if o.Res.Kind != invoke.Success {
				var doc invoke.ErrorPayload
				if err := json.Unmarshal(o.Res.Payload, &doc); err != nil || doc.ErrorType != tt.wantType || doc.ErrorMessage == "" {
					t.Errorf("error document %s (%v)", o.Res.Payload, err)
				}
			}
		})
	}
}

func TestRuntimeAPIInitError(t *testing.T) {
	t.Parallel()
	h := procpooltest.NewHarness(t, time.Minute)
	doc := `{"errorMessage":"cannot load config","errorType":"ConfigError"}`
	resp, body := h.Do(context.Background(), http.MethodPost, runtimeInitRoute,
		http.Header{headerRuntimeErrorType: {"Runtime.ConfigError"}}, []byte(doc))
	if resp.StatusCode != http.StatusAccepted || string(body) != `{"status":"OK"}` {
		t.Fatalf("init/error: %d %s", resp.StatusCode, body)
	}
	res := h.Q.TakeInitError()
	if res == nil || res.Kind != invoke.Crash || res.ErrorType != "Runtime.ConfigError" || string(res.Payload) != doc {
		t.Fatalf("TakeInitError = %+v", res)
	}
	if res := h.Q.TakeInitError(); res != nil {
		t.Fatalf("second TakeInitError = %+v, want nil", res)
	}
}

// TestRuntimeAPIErrorTrailers is how aws-lambda-go reports a response it
// failed to stream: trailers on the response post.
func TestRuntimeAPIErrorTrailers(t *testing.T) {
	t.Parallel()
	h := procpooltest.NewHarness(t, time.Minute)
	out := h.Invoke(context.Background(), &invoke.Request{Payload: []byte(`{}`)})
	resp, _ := h.Next()
	id := resp.Header.Get(invoke.HeaderRuntimeRequestID)

	doc := `{"errorMessage":"read failed","errorType":"errorString"}`
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, h.Srv.URL+procpooltest.InvocationPath(id, "response"), pr)
	req.Trailer = http.Header{headerRuntimeErrorType: nil, trailerRuntimeErrorBody: nil}
	go func() {
		pw.Write([]byte("partial"))
		req.Trailer.Set(headerRuntimeErrorType, "errorString")
		req.Trailer.Set(trailerRuntimeErrorBody, base64.StdEncoding.EncodeToString([]byte(doc)))
		pw.Close()
	}()
	r, err := h.Srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", r.StatusCode)
	}
	o := procpooltest.Wait(t, out)
	if o.Err != nil || o.Res.Kind != invoke.FunctionError || o.Res.ErrorType != "errorString" || string(o.Res.Payload) != doc {
		t.Fatalf("Invoke = %+v, %v", o.Res, o.Err)
	}
}
