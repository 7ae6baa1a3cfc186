package procpool_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/procpool"
	"github.com/frescolabs/fresco/emulator/procpool/procpooltest"
	"github.com/frescolabs/fresco/internal/invoke"
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

func TestRuntimeQueueTimeout(t *testing.T) {
	t.Parallel()
	for _, taken := range []bool{false, true} {
		t.Run(fmt.Sprintf("taken=%v", taken), func(t *testing.T) {
			t.Parallel()
			h := procpooltest.NewHarness(t, 100*time.Millisecond)
			out := h.Invoke(context.Background(), &invoke.Request{RequestID: "slow", Payload: []byte(`{}`)})
			if taken {
				h.Next()
			}
			o := procpooltest.Wait(t, out)
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			want := `{"errorMessage":"RequestId: slow Error: Task timed out after 0.10 seconds","errorType":"Sandbox.Timedout"}`
			if o.Res.Kind != invoke.Timeout || string(o.Res.Payload) != want {
				t.Fatalf("result %v %s, want %s", o.Res.Kind, o.Res.Payload, want)
			}
		})
	}
}

func TestRuntimeQueueInvokeCancelled(t *testing.T) {
	t.Parallel()
	q := procpool.NewQueue(procpooltest.TestARN, time.Minute)
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
	h := procpooltest.NewHarness(t, time.Minute)

	// A runtime that hangs up while waiting on HTTP.
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.Srv.URL+runtimeNextRoute, nil)
		if resp, err := h.Srv.Client().Do(req); err == nil {
			resp.Body.Close()
			t.Error("next answered a runtime that hung up")
		}
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-gone
	// The server notices the hang-up a moment later; an invocation assigned
	// before then goes to the runtime that left, as in Lambda.
	for h.Active.Load() != 0 {
		time.Sleep(time.Millisecond)
	}

	out := h.Invoke(context.Background(), &invoke.Request{Payload: []byte(`{}`)})
	// Next callers whose context is already done, while the invocation waits.
	done, stop := context.WithCancel(context.Background())
	stop()
	for range 100 {
		if req, err := h.Q.Next(done); err == nil {
			t.Fatalf("Next with a done context took %s", req.RequestID)
		}
	}
	resp, _ := h.Next()
	id := resp.Header.Get(invoke.HeaderRuntimeRequestID)
	h.Do(context.Background(), http.MethodPost, procpooltest.InvocationPath(id, "response"), nil, []byte(`"kept"`))
	if o := procpooltest.Wait(t, out); o.Err != nil || string(o.Res.Payload) != `"kept"` {
		t.Fatalf("Invoke = %+v, %v", o.Res, o.Err)
	}
}

// TestRuntimeQueueHammer runs 8 fake runtimes over HTTP against 200
// concurrent invocations: each is answered once, with its own payload.
func TestRuntimeQueueHammer(t *testing.T) {
	t.Parallel()
	const runtimes, invocations = 8, 200
	h := procpooltest.NewHarness(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	seen := make(map[string]int) // request id -> times taken
	var wg sync.WaitGroup
	for range runtimes {
		wg.Go(func() {
			for {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.Srv.URL+runtimeNextRoute, nil)
				resp, err := h.Srv.Client().Do(req)
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
				post, _ := http.NewRequest(http.MethodPost, h.Srv.URL+procpooltest.InvocationPath(id, "response"), bytes.NewReader(answer))
				presp, err := h.Srv.Client().Do(post)
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
			res, err := h.Q.Invoke(context.Background(), &invoke.Request{Payload: []byte(payload)})
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
