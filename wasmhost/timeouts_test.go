package wasmhost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestHost(t *testing.T, cfg Config) *Host {
	t.Helper()
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

func loadTest(t *testing.T, h *Host, name string, cfg FunctionConfig) *Module {
	t.Helper()
	cfg.Name = name
	f, err := h.Load(context.Background(), cfg, testdata(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

// TestPostedAnswerStands: a guest that posts its response and then traps,
// or spins, answers with what it posted; the spinning one is stopped
// shortly after posting, not at its 60 s deadline, and neither instance
// is reused.
func TestPostedAnswerStands(t *testing.T) {
	h := newTestHost(t, Config{VerifyResets: true})
	for _, name := range []string{"posttrap", "postloop"} {
		f := loadTest(t, h, name, FunctionConfig{Timeout: time.Minute})
		for range 2 {
			start := time.Now()
			res := f.Invoke(context.Background(), &invoke.Request{RequestID: "r", Payload: []byte(`{}`)})
			elapsed := time.Since(start)
			if res.Kind != invoke.Success || string(res.Payload) != `{"posted":true}` {
				t.Errorf("%s: %v %s, want the posted response", name, res.Kind, res.Payload)
			}
			if !strings.Contains(string(res.Log), "did not return cleanly after posting") {
				t.Errorf("%s: log %q does not say how the guest ended", name, res.Log)
			}
			// Not a timing assertion on speed: the answer must not wait
			// for the deadline, a minute away.
			if elapsed > 30*time.Second {
				t.Errorf("%s: answered after %v", name, elapsed)
			}
		}
		if made := f.snap.made.Load(); made != 1 {
			t.Errorf("%s: %d instances made after the snapshot's, want 1: a stopped or trapped instance is never reset", name, made)
		}
	}
}

// TestInitSlotWaitEndsAtDeadline: an invocation that waits for an init
// slot, all of them held by inits that hang, times out at its own
// deadline with Sandbox.Timedout, not when a slot frees.
func TestInitSlotWaitEndsAtDeadline(t *testing.T) {
	h := newTestHost(t, Config{InitConcurrency: 1})
	h.initTimeout = 3 * time.Second
	f := loadTest(t, h, "inithang_ondemand", FunctionConfig{Timeout: 200 * time.Millisecond})
	if f.snap != nil {
		t.Fatal("a function without fresco_snapshot has a snapshot")
	}
	first := make(chan *invoke.Result, 1)
	go func() { first <- f.Invoke(context.Background(), &invoke.Request{RequestID: "first"}) }()
	time.Sleep(50 * time.Millisecond) // the first holds the slot, in its init
	start := time.Now()
	res := f.Invoke(context.Background(), &invoke.Request{RequestID: "second"})
	waited := time.Since(start)
	if res.Kind != invoke.Timeout || res.ErrorType != invoke.ErrTimeout || !strings.Contains(string(res.Payload), "Task timed out after 0.20 seconds") {
		t.Errorf("second: %v %s %s", res.Kind, res.ErrorType, res.Payload)
	}
	t.Logf("the second invocation waited %v for a slot (timeout 200 ms)", waited)
	if waited >= h.initTimeout {
		t.Errorf("the second invocation waited %v, as long as the first's init", waited)
	}
	r := <-first
	if r.Kind != invoke.Timeout || !strings.Contains(string(r.Payload), "Init timed out after 3.00 seconds") {
		t.Errorf("first: %v %s", r.Kind, r.Payload)
	}
}

// TestSnapshotInitHangIsLoadError: a snapshot's init that does not end
// within the init timeout fails the load, rather than costing every
// invocation the timeout.
func TestSnapshotInitHangIsLoadError(t *testing.T) {
	h := newTestHost(t, Config{})
	h.initTimeout = 300 * time.Millisecond
	_, err := h.Load(context.Background(), FunctionConfig{Name: "inithang"}, testdata(t, "inithang"))
	var le *LoadError
	if !errors.As(err, &le) || !errors.Is(err, errInitTimeout) {
		t.Fatalf("Load: %v, want a LoadError for the init timeout", err)
	}
	t.Log(err)
}

// TestCallerGivesUp: a spinning guest whose caller's context is canceled
// is stopped then, not at its deadline, and the invocation says so.
func TestCallerGivesUp(t *testing.T) {
	h := newTestHost(t, Config{})
	f := loadTest(t, h, "loop", FunctionConfig{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	res := f.Invoke(ctx, &invoke.Request{RequestID: "r"})
	if res.Kind != invoke.Crash || res.ErrorType != invoke.ErrCanceled {
		t.Errorf("%v %s %s, want %s", res.Kind, res.ErrorType, res.Payload, invoke.ErrCanceled)
	}
	// Not a timing assertion on speed: the deadline is a minute away.
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("stopped after %v", elapsed)
	}
}

// TestNoStopChecksStillTimesOut: a module that cannot be given the stop
// checks is stopped at its deadline by wazero's own check, and is not
// snapshotted.
func TestNoStopChecksStillTimesOut(t *testing.T) {
	h := newTestHost(t, Config{})
	f := loadTest(t, h, "loop_nochecks", FunctionConfig{Timeout: 200 * time.Millisecond})
	if f.stopChecks || f.snap != nil || !errors.Is(f.snapErr, errNoStopChecks) {
		t.Fatalf("stop checks %v, snapshot %v (%v)", f.stopChecks, f.snap != nil, f.snapErr)
	}
	res := f.Invoke(context.Background(), &invoke.Request{RequestID: "r"})
	if res.Kind != invoke.Timeout || res.ErrorType != invoke.ErrTimeout {
		t.Errorf("%v %s %s", res.Kind, res.ErrorType, res.Payload)
	}
}
