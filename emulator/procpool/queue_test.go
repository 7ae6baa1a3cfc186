package procpool_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/procpool"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/runtimeapi"
)

// (The harness is lambdaapi/runtimeapi's: the queue is tested as runtimes
// see it, over the Runtime API.)

// The wire contract as the tests know it, written out.
const (
	runtimeNextRoute        = "/2018-06-01/runtime/invocation/next"
	runtimeInitRoute        = "/2018-06-01/runtime/init/error"
	headerRuntimeErrorType  = "Lambda-Runtime-Function-Error-Type"
	trailerRuntimeErrorBody = "Lambda-Runtime-Function-Error-Body"
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
	q := procpool.NewQueue(runtimeTestARN, time.Minute)
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
	id := resp.Header.Get(invoke.HeaderRuntimeRequestID)
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
				id := resp.Header.Get(invoke.HeaderRuntimeRequestID)
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
