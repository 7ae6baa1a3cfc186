package procpooltest

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

const nextRoute = "/2018-06-01/runtime/invocation/next"

// TestARN is the ARN of the harness's function.
const TestARN = "arn:aws:lambda:us-east-1:123456789012:function:Native"

// Harness is a procpool.Queue served over HTTP by the Runtime API.
type Harness struct {
	T      *testing.T
	Q      *procpool.Queue
	Srv    *httptest.Server
	Active atomic.Int64 // requests being served
}

// NewHarness serves a new Queue of timeout until the test ends.
func NewHarness(t *testing.T, timeout time.Duration) *Harness {
	t.Helper()
	h := &Harness{T: t, Q: procpool.NewQueue(TestARN, timeout)}
	api := runtimeapi.NewHandler(h.Q, nil)
	h.Srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Active.Add(1)
		defer h.Active.Add(-1)
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(h.Srv.Close)
	return h
}

// Outcome is how an invocation ended.
type Outcome struct {
	Res *invoke.Result
	Err error
}

// Invoke starts an invocation and returns where its outcome arrives.
func (h *Harness) Invoke(ctx context.Context, req *invoke.Request) <-chan Outcome {
	ch := make(chan Outcome, 1)
	go func() {
		res, err := h.Q.Invoke(ctx, req)
		ch <- Outcome{res, err}
	}()
	return ch
}

// Do sends one request and returns the answer with its body read.
func (h *Harness) Do(ctx context.Context, method, path string, header http.Header, body []byte) (*http.Response, []byte) {
	h.T.Helper()
	req, err := http.NewRequestWithContext(ctx, method, h.Srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.T.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.Srv.Client().Do(req)
	if err != nil {
		h.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.T.Fatal(err)
	}
	return resp, b
}

// Next takes the next invocation over HTTP.
func (h *Harness) Next() (*http.Response, []byte) {
	h.T.Helper()
	resp, body := h.Do(context.Background(), http.MethodGet, nextRoute, nil, nil)
	if resp.StatusCode != http.StatusOK {
		h.T.Fatalf("next: status %d, body %s", resp.StatusCode, body)
	}
	return resp, body
}

// InvocationPath is the Runtime API path of an invocation's what (response, error).
func InvocationPath(id, what string) string {
	return "/2018-06-01/runtime/invocation/" + id + "/" + what
}

// Wait waits for an invocation's outcome, at most 10 s.
func Wait(t *testing.T, ch <-chan Outcome) Outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("invocation did not end")
	}
	return Outcome{}
}
