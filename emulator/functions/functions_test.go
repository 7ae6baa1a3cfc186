package functions

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// fakeRunner answers every invocation with its name, and fails the test
// if it is invoked after Close.
type fakeRunner struct {
	t      *testing.T
	name   string
	block  chan struct{} // when not nil, Invoke waits for it
	calls  atomic.Int64
	closed atomic.Bool
}

func (f *fakeRunner) Invoke(ctx context.Context, req *invoke.Request) *invoke.Result {
	if f.closed.Load() {
		f.t.Errorf("runner %s invoked after Close", f.name)
	}
	f.calls.Add(1)
	if f.block != nil {
		<-f.block
	}
	return &invoke.Result{Payload: []byte(`"` + f.name + `"`), Log: []byte("hi from " + f.name)}
}

func (f *fakeRunner) Close(context.Context) error {
	if f.closed.Swap(true) {
		f.t.Errorf("runner %s closed twice", f.name)
	}
	return nil
}

func newRunner(t *testing.T, name string) *fakeRunner { return &fakeRunner{t: t, name: name} }

func latest(name, sha string) Version {
	return Version{Function: name, Config: Config{MemoryMB: 128, Env: map[string]string{"K": "V"}}, Code: Code{Sha256: sha, Artifact: "/a/" + sha}}
}

// checkNotFound checks err is a ResourceNotFoundException with message.
func checkNotFound(t *testing.T, err error, message string) {
	t.Helper()
	var se *invoke.ServiceError
	if !errors.As(err, &se) || se.Type != "ResourceNotFoundException" || se.Status != 404 || se.Message != message {
		t.Fatalf("error %v, want ResourceNotFoundException %q", err, message)
	}
}

func TestLookup(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{Region: "eu-west-1"})
	if err := reg.Create(ctx, Function{Name: "hello-fn", OtherNames: []string{"Hello"}, AutoPublishAlias: "live"}, latest("hello-fn", "aaa"), newRunner(t, "a")); err != nil {
		t.Fatal(err)
	}
	if v, err := reg.AutoPublish(ctx, "Hello"); err != nil || v.Version != "1" {
		t.Fatalf("AutoPublish = %+v, %v", v, err)
	}
	arn := "arn:aws:lambda:eu-west-1:123456789012:function:hello-fn"
	for _, tt := range []struct {
		name, qualifier, version string
	}{
		{"Hello", "", LatestVersion},
		{"hello-fn", "$LATEST", LatestVersion},
		{"Hello", "1", "1"},
		{"Hello", "live", "1"},
	} {
		got, err := reg.Lookup(ctx, tt.name, tt.qualifier)
		if err != nil {
			t.Fatalf("Lookup(%q, %q): %v", tt.name, tt.qualifier, err)
		}
		if got.Version.Version != tt.version || got.ARN != arn || got.Function.Name != "hello-fn" || got.Qualifier != tt.qualifier {
			t.Errorf("Lookup(%q, %q) = %+v, want version %s", tt.name, tt.qualifier, got, tt.version)
		}
		if want := arn + map[bool]string{true: "", false: ":" + tt.qualifier}[tt.qualifier == ""]; got.QualifiedARN() != want {
			t.Errorf("QualifiedARN = %s, want %s", got.QualifiedARN(), want)
		}
	}
	_, err := reg.Lookup(ctx, "Nope", "")
	checkNotFound(t, err, "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:Nope")
	for _, q := range []string{"2", "dev", "01", "0"} {
		_, err := reg.Lookup(ctx, "Hello", q)
		checkNotFound(t, err, "Function not found: "+arn+":"+q)
	}
}

func TestAliasRoutingWeights(t *testing.T) {
	ctx := context.Background()
	var x float64
	reg := NewRegistry(RegistryConfig{Rand: func() float64 { return x }})
	reg.Create(ctx, Function{Name: "F"}, latest("F", "a"), newRunner(t, "a"))
	reg.Publish(ctx, "F", "")
	reg.UpdateCode(ctx, "F", Code{Sha256: "b"}, newRunner(t, "b"))
	if v, _ := reg.Publish(ctx, "F", ""); v.Version != "2" {
		t.Fatalf("second Publish = %s", v.Version)
	}
	if err := reg.PutAlias(ctx, Alias{Function: "F", Name: "canary", FunctionVersion: "1", RoutingWeights: map[string]float64{"2": 0.25}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		x    float64
		want string
	}{{0, "2"}, {0.2499, "2"}, {0.25, "1"}, {0.99, "1"}} {
		x = tt.x
		got, err := reg.Lookup(ctx, "F", "canary")
		if err != nil || got.Version.Version != tt.want {
			t.Errorf("rand %v: version %s (%v), want %s", tt.x, got.Version.Version, err, tt.want)
		}
	}
	err := reg.PutAlias(ctx, Alias{Function: "F", Name: "bad", FunctionVersion: "7"})
	checkNotFound(t, err, "Function not found: "+reg.ARN("F")+":7")
}

func TestPublishUnchangedReturnsLastVersion(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	reg.Create(ctx, Function{Name: "F"}, latest("F", "a"), newRunner(t, "a"))
	v1, _ := reg.Publish(ctx, "F", "first")
	v2, _ := reg.Publish(ctx, "F", "again")
	if v1.Version != "1" || v2.Version != "1" || v2.Description != "first" {
		t.Fatalf("publish twice = %+v, %+v; want version 1 once", v1, v2)
	}
	_, err := reg.Publish(ctx, "Nope", "")
	checkNotFound(t, err, "Function not found: "+reg.ARN("Nope"))
}

// An update of an AutoPublishAlias function publishes a version and moves
// the alias; the code the alias left is closed after its invocations, and
// invoking its version again loads it through the Loader.
func TestUpdateCodeAutoPublishes(t *testing.T) {
	ctx := context.Background()
	var loaded atomic.Int64
	reg := NewRegistry(RegistryConfig{Loader: LoaderFunc(func(_ context.Context, v Version) (Runner, error) {
		loaded.Add(1)
		return newRunner(t, "reloaded-"+v.Code.Sha256), nil
	})})
	inv := NewInvoker(reg, InvokerConfig{})
	a := newRunner(t, "a")
	a.block = make(chan struct{})
	reg.Create(ctx, Function{Name: "F", AutoPublishAlias: "live"}, latest("F", "a"), a)
	reg.AutoPublish(ctx, "F")

	h, err := inv.Lookup(ctx, "F", "live")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *invoke.Result)
	go func() {
		res, _ := h.Invoke(ctx, &invoke.Request{RequestID: "r1"})
		done <- res
	}()
	for a.calls.Load() == 0 {
		// wait for the invocation to be running on a
	}
	b := newRunner(t, "b")
	updated := make(chan Version)
	go func() {
		v, err := reg.UpdateCode(ctx, "F", Code{Sha256: "b"}, b)
		if err != nil {
			t.Error(err)
		}
		updated <- v
	}()
	// a is closed only once its invocation is over.
	close(a.block)
	if res := <-done; string(res.Payload) != `"a"` {
		t.Errorf("in-flight invocation answered %s", res.Payload)
	}
	if v := <-updated; v.Version != "2" {
		t.Fatalf("UpdateCode published %q, want 2", v.Version)
	}
	if !a.closed.Load() {
		t.Error("the code no version pins any more is still open")
	}
	for q, want := range map[string]string{"live": `"b"`, "": `"b"`, "2": `"b"`, "1": `"reloaded-a"`} {
		h, err := inv.Lookup(ctx, "F", q)
		if err != nil {
			t.Fatal(err)
		}
		res, err := h.Invoke(ctx, &invoke.Request{RequestID: "r-" + q})
		if err != nil || string(res.Payload) != want {
			t.Errorf("F:%s answered %s (%v), want %s", q, res.Payload, err, want)
		}
	}
	if loaded.Load() != 1 {
		t.Errorf("Loader called %d times, want 1", loaded.Load())
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if !b.closed.Load() {
		t.Error("Close left a runner open")
	}
}

func TestInvokerLogAndObservers(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	reg.Create(ctx, Function{Name: "F", AutoPublishAlias: "live"}, latest("F", "a"), newRunner(t, "a"))
	reg.AutoPublish(ctx, "F")
	var log bytes.Buffer
	var seen []Observation
	inv := NewInvoker(reg, InvokerConfig{FunctionLog: &log, Observers: []Observer{func(o Observation) { seen = append(seen, o) }}})
	h, _ := inv.Lookup(ctx, "F", "live")
	res, err := h.Invoke(ctx, &invoke.Request{RequestID: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := "START RequestId: req-1 Version: 1\nhi from a\nEND RequestId: req-1\nREPORT RequestId: req-1\t"
	if !strings.HasPrefix(string(res.Log), want) || log.String() != string(res.Log) {
		t.Errorf("log %q, want it to begin %q and to be written once", res.Log, want)
	}
	if len(seen) != 1 || seen[0].Version != "1" || seen[0].Function != "F" || seen[0].Result != res || seen[0].Type != RequestResponse {
		t.Errorf("observations %+v", seen)
	}
}

func TestInvokerConcurrencyLimits(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	slow := newRunner(t, "slow")
	slow.block = make(chan struct{})
	reg.Create(ctx, Function{Name: "Reserved", ReservedConcurrency: 1}, latest("Reserved", "a"), slow)
	reg.Create(ctx, Function{Name: "Other"}, latest("Other", "b"), newRunner(t, "other"))
	var throttled atomic.Int64
	inv := NewInvoker(reg, InvokerConfig{MaxConcurrency: 2, Observers: []Observer{func(o Observation) {
		if o.Throttled {
			throttled.Add(1)
		}
	}}})
	h, _ := inv.Lookup(ctx, "Reserved", "")
	if err := h.InvokeAsync(&invoke.Request{RequestID: "async"}); err != nil {
		t.Fatal(err)
	}
	for slow.calls.Load() == 0 {
	}
	_, err := h.Invoke(ctx, &invoke.Request{RequestID: "second"})
	var se *invoke.ServiceError
	if !errors.As(err, &se) || se.Type != "TooManyRequestsException" || !strings.Contains(se.Message, "reserved concurrency (1)") {
		t.Fatalf("second invocation of a function at its reserved concurrency: %v", err)
	}
	// One slot of two is taken: Other runs, and a third in flight is refused.
	other, _ := inv.Lookup(ctx, "Other", "")
	if _, err := other.Invoke(ctx, &invoke.Request{RequestID: "o"}); err != nil {
		t.Fatal(err)
	}
	block := newRunner(t, "block")
	block.block = make(chan struct{})
	reg.Create(ctx, Function{Name: "Block"}, latest("Block", "c"), block)
	bh, _ := inv.Lookup(ctx, "Block", "")
	bh.InvokeAsync(&invoke.Request{RequestID: "b"})
	for block.calls.Load() == 0 {
	}
	if _, err := other.Invoke(ctx, &invoke.Request{RequestID: "o2"}); !errors.As(err, &se) || se.Message != "Rate Exceeded." {
		t.Fatalf("invocation over the overall limit: %v", err)
	}
	if throttled.Load() != 2 {
		t.Errorf("%d throttles observed, want 2", throttled.Load())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := inv.Close(cctx); err == nil {
		t.Error("Close returned with Event invocations running")
	}
	close(slow.block)
	close(block.block)
	if err := inv.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// Hammer: invocations never run on a closed runner while the code is
// replaced under them.
func TestUpdateCodeUnderLoad(t *testing.T) {
	ctx := context.Background()
	// An invocation that resolved the alias just before it moved runs the
	// version it resolved, loaded again.
	reg := NewRegistry(RegistryConfig{Loader: LoaderFunc(func(_ context.Context, v Version) (Runner, error) {
		return newRunner(t, "reloaded-"+v.Version), nil
	})})
	reg.Create(ctx, Function{Name: "F", AutoPublishAlias: "live"}, latest("F", "0"), newRunner(t, "0"))
	reg.AutoPublish(ctx, "F")
	inv := NewInvoker(reg, InvokerConfig{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 8; i++ {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				h, err := inv.Lookup(ctx, "F", []string{"", "live"}[i%2])
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := h.Invoke(ctx, &invoke.Request{RequestID: "x"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := 1; i <= 50; i++ {
		sha := string(rune('a' + i%26))
		if _, err := reg.UpdateCode(ctx, "F", Code{Sha256: sha, Revision: string(rune(i))}, newRunner(t, sha)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	vs, _ := reg.Store().Versions(ctx, "F")
	if len(vs) != 52 {
		t.Errorf("%d versions, want $LATEST and 51 published", len(vs))
	}
}

// The REPORT line, byte for byte as Lambda prints it.
func TestReportLine(t *testing.T) {
	for _, tc := range []struct {
		res  invoke.Result
		want string
	}{
		{invoke.Result{Duration: 1234567 * time.Nanosecond, MaxMemoryBytes: 5<<20 + 1},
			"REPORT RequestId: r\tDuration: 1.235 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 6 MB"},
		{invoke.Result{Duration: 20 * time.Microsecond, InitDuration: 35510 * time.Microsecond, RestoreDuration: 7 * time.Microsecond},
			"REPORT RequestId: r\tDuration: 0.020 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB\tInit Duration: 35.510 ms\tRestore Duration: 0.007 ms"},
		{invoke.Result{Kind: invoke.Timeout, Duration: 3 * time.Second},
			"REPORT RequestId: r\tDuration: 3000.000 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB\tStatus: timeout"},
	} {
		if got := ReportLine("r", &tc.res, 128); got != tc.want {
			t.Errorf("ReportLine =\n%q, want\n%q", got, tc.want)
		}
	}
}

// syncLog is a slog logger's output, safe for concurrent use.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.b.String(), s)
}

func (l *syncLog) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }
