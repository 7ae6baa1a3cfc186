package runtimeapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/procpool"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/runtimeapi"
)

// The wire contract as the tests know it, written out.
const (
	runtimeNextRoute        = "/2018-06-01/runtime/invocation/next"
	runtimeInitRoute        = "/2018-06-01/runtime/init/error"
	headerRuntimeErrorType  = "Lambda-Runtime-Function-Error-Type"
	trailerRuntimeErrorBody = "Lambda-Runtime-Function-Error-Body"

	runtimeErrInvalidRequestID = "InvalidRequestID"
	runtimeErrUnknownOperation = "UnknownOperation"
)

const runtimeTestARN = "arn:aws:lambda:us-east-1:123456789012:function:Native"

// runtimeHarness is a procpool.Queue served over HTTP.
type runtimeHarness struct {
	t      *testing.T
	q      *procpool.Queue
	srv    *httptest.Server
	active atomic.Int64 // requests being served
}

func newRuntimeHarness(t *testing.T, timeout time.Duration) *runtimeHarness {
	t.Helper()
	h := &runtimeHarness{t: t, q: procpool.NewQueue(runtimeTestARN, timeout)}
	api := runtimeapi.NewHandler(h.q, nil)
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
