package wasmhost_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/internal/redistest"
	"github.com/frescolabs/fresco/wasmhost"
)

// hostio loads the host-interfaces guest (testdata/hostio) as name, with
// its directory as /var/task, on the shared test host unless h is given.
func hostio(t *testing.T, h *wasmhost.Host, name string, cfg wasmhost.FunctionConfig) *wasmhost.Module {
	t.Helper()
	wasm := goWasm(t, "wasmhost/testdata/hostio")
	cfg.Name = name
	cfg.TaskRoot = "testdata/hostio"
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Second
	}
	if h == nil {
		return load(t, name, wasm, cfg)
	}
	f, err := h.Load(context.Background(), cfg, wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

func call(t *testing.T, f *wasmhost.Module, ev string) *invoke.Result {
	t.Helper()
	return f.Invoke(context.Background(), request(ev))
}

// TestBufferPassThrough: a 5 MB event posted back as the response through
// its buffer grows the guest's memory by less than 1 MB, where reading it
// into guest memory and posting that grows it by the body's size at
// least. Max Memory Used counts the linear memory and what the host held
// for the instance, so the comparison is of pages, not of time.
func TestBufferPassThrough(t *testing.T) {
	f := hostio(t, nil, "PassThrough", wasmhost.FunctionConfig{MemoryMB: 128})
	wantSnapshot(t, f)
	body := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16)
	small := call(t, f, "proxy\nsmall")
	wantSuccess(t, small, "proxy\nsmall")
	proxied := call(t, f, "proxy\n"+string(body))
	if proxied.Kind != invoke.Success || !bytes.Equal(proxied.Payload, append([]byte("proxy\n"), body...)) {
		t.Fatalf("proxy: %v, %d bytes: %.200s", proxied.Kind, len(proxied.Payload), proxied.Payload)
	}
	copied := call(t, f, "copy\n"+string(body))
	if copied.Kind != invoke.Success || len(copied.Payload) != len(body)+5 {
		t.Fatalf("copy: %v, %d bytes", copied.Kind, len(copied.Payload))
	}
	grewProxy := int64(proxied.MaxMemoryBytes) - int64(small.MaxMemoryBytes)
	grewCopy := int64(copied.MaxMemoryBytes) - int64(small.MaxMemoryBytes)
	t.Logf("memory: small %d, proxied 5 MB +%d, copied 5 MB +%d", small.MaxMemoryBytes, grewProxy, grewCopy)
	if grewProxy >= 1<<20 {
		t.Errorf("passing 5 MB through a buffer grew the memory by %d bytes, want < 1 MB", grewProxy)
	}
	if grewCopy < 5<<20 {
		t.Errorf("copying 5 MB through guest memory grew it by only %d bytes: the comparison proves nothing", grewCopy)
	}
}

// TestBuffersAreBoundedAndPerInvocation: an invocation holds at most
// 1,024 handles, and a handle of one invocation names nothing in the next.
func TestBuffersAreBoundedAndPerInvocation(t *testing.T) {
	f := hostio(t, nil, "Handles", wasmhost.FunctionConfig{})
	wantSnapshot(t, f)
	// The event's buffer is handle 1; 1,023 more are made.
	wantSuccess(t, call(t, f, "handles"), "1023: fresco: too many buffers held")
	for range 3 {
		// Handle 1 is the event's buffer again, handle 2 one of the
		// last invocation's: gone.
		wantSuccess(t, call(t, f, "peek 2"), "-8")
		wantSuccess(t, call(t, f, "peek 1"), "6")
	}
	if _, reused, _ := f.SnapshotStats(); reused < 5 {
		t.Errorf("only %d invocations ran on a reset instance", reused)
	}
}

// cacheSuite runs the cache calls against the store of h: set, get, a
// get as a buffer, a value set from a buffer, delete, expiry, the bounds,
// and the per-function namespace.
func cacheSuite(t *testing.T, h *wasmhost.Host) {
	a := hostio(t, h, "CacheA", wasmhost.FunctionConfig{})
	b := hostio(t, h, "CacheB", wasmhost.FunctionConfig{})
	key := fmt.Sprintf("k%d", time.Now().UnixNano())
	wantSuccess(t, call(t, a, "get "+key), "miss")
	wantSuccess(t, call(t, a, "set "+key+" 60000\nvalue-a"), "ok")
	wantSuccess(t, call(t, a, "get "+key), "value-a")
	wantSuccess(t, call(t, a, "getproxy "+key), "value-a")
	// Another function's same key is its own.
	wantSuccess(t, call(t, b, "get "+key), "miss")
	wantSuccess(t, call(t, b, "set "+key+" 60000\nvalue-b"), "ok")
	wantSuccess(t, call(t, a, "get "+key), "value-a")
	wantSuccess(t, call(t, b, "get "+key), "value-b")
	// A value from a buffer (the whole event), then deleted.
	ev := "setev " + key + "-ev 60000\n" + strings.Repeat("z", 100_000)
	wantSuccess(t, call(t, a, ev), "ok")
	wantSuccess(t, call(t, a, "getproxy "+key+"-ev"), ev)
	wantSuccess(t, call(t, a, "del "+key+"-ev"), "ok")
	wantSuccess(t, call(t, a, "get "+key+"-ev"), "miss")
	// Expiry: a TTL of 50 ms is gone 300 ms later.
	wantSuccess(t, call(t, a, "set "+key+"-ttl 50\nshort"), "ok")
	time.Sleep(300 * time.Millisecond)
	wantSuccess(t, call(t, a, "get "+key+"-ttl"), "miss")
	// Bounds: a zero TTL, a key too long, a value too large.
	for ev, want := range map[string]string{
		"set " + key + " 0\nv":                          "fresco: invalid argument",
		"set " + strings.Repeat("k", 1025) + " 1000\nv": "fresco: invalid argument",
	} {
		res := call(t, a, ev)
		if res.Kind != invoke.FunctionError || !strings.Contains(string(res.Payload), want) {
			t.Errorf("%.40s: %v %s, want %q", ev, res.Kind, res.Payload, want)
		}
	}
}

// TestCacheEmbedded: the cache calls on the host's in-process cache.
func TestCacheEmbedded(t *testing.T) {
	h, err := wasmhost.New(wasmhost.Config{CacheDir: testCacheDir(), CacheMB: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	if got := h.CacheStore(); got != "embedded (8 MB)" {
		t.Errorf("store %q", got)
	}
	cacheSuite(t, h)
}

// TestCacheRedis: the same calls on a real redis-server, which the test
// starts on a free loopback port.
func TestCacheRedis(t *testing.T) {
	url := redistest.Start(t)
	h, err := wasmhost.New(wasmhost.Config{CacheDir: testCacheDir(), Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	cacheSuite(t, h)
}

// TestCacheRedisDown: with the Redis server gone, a cache call fails with
// UNAVAILABLE for that invocation; the host is unaffected.
func TestCacheRedisDown(t *testing.T) {
	h, err := wasmhost.New(wasmhost.Config{CacheDir: testCacheDir(), Cache: "redis://127.0.0.1:1/0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	f := hostio(t, h, "CacheDown", wasmhost.FunctionConfig{})
	res := call(t, f, "get k")
	if res.Kind != invoke.FunctionError || !strings.Contains(string(res.Payload), "the cache is unavailable") {
		t.Fatalf("%v %s", res.Kind, res.Payload)
	}
	wantSuccess(t, call(t, f, "proxy\nstill serving"), "proxy\nstill serving")
}

// TestFiles: an unchanged Go handler reads a file shipped with its code
// at /var/task, which it cannot write, and finds /tmp empty at the start
// of every invocation, sequential or concurrent, on reset instances: what
// one invocation wrote to /tmp is never seen by the next.
func TestFiles(t *testing.T) {
	f := hostio(t, nil, "Files", wasmhost.FunctionConfig{})
	wantSnapshot(t, f)
	want := func(secret string) string {
		return fmt.Sprintf("task=%q tmp=[] back=%q taskwrite=true", "shipped with the code", secret)
	}
	for i := range 5 {
		s := fmt.Sprintf("secret-%d", i)
		wantSuccess(t, call(t, f, "files\n"+s), want(s))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				s := fmt.Sprintf("secret-%d-%d", g, i)
				if res := call(t, f, "files\n"+s); res.Kind != invoke.Success || string(res.Payload) != want(s) {
					t.Errorf("%s: %v %s", s, res.Kind, res.Payload)
				}
			}
		}()
	}
	wg.Wait()
	made, reused, discarded := f.SnapshotStats()
	t.Logf("instances made %d, reused %d, discarded %d", made, reused, discarded)
	if reused < 10 || discarded != 0 {
		t.Errorf("reused %d, discarded %d: opening and closing files must keep instances resettable", reused, discarded)
	}
}

// TestFilesLeftOpen: an invocation that leaves a file open has its
// instance discarded, and the next finds /tmp empty.
func TestFilesLeftOpen(t *testing.T) {
	f := hostio(t, nil, "LeakFD", wasmhost.FunctionConfig{})
	wantSnapshot(t, f)
	_, _, before := f.SnapshotStats()
	wantSuccess(t, call(t, f, "leakfd"), "leaked")
	if _, _, after := f.SnapshotStats(); after != before+1 {
		t.Errorf("discarded %d instances, want 1", after-before)
	}
	wantSuccess(t, call(t, f, "files\nafter"), fmt.Sprintf("task=%q tmp=[] back=%q taskwrite=true", "shipped with the code", "after"))
}

// TestTmpIsBounded: /tmp holds at most the function's memory (here less
// than EphemeralStorage): a write past it fails, the invocation goes on,
// and Max Memory Used counts what /tmp held.
func TestTmpIsBounded(t *testing.T) {
	f := hostio(t, nil, "BigTmp", wasmhost.FunctionConfig{MemoryMB: 64})
	res := call(t, f, "bigtmp 100")
	if res.Kind != invoke.Success || !strings.HasPrefix(string(res.Payload), "wrote ") || !strings.Contains(string(res.Payload), "I/O error") {
		t.Fatalf("%v %s", res.Kind, res.Payload)
	}
	var mb int
	fmt.Sscanf(string(res.Payload), "wrote %d MB", &mb)
	if mb < 30 || mb >= 64 {
		t.Errorf("wrote %d MB to /tmp of a 64 MB function", mb)
	}
	if res.MaxMemoryBytes < uint64(mb)<<20 {
		t.Errorf("Max Memory Used %d does not count /tmp's %d MB", res.MaxMemoryBytes, mb)
	}
	wantSuccess(t, call(t, f, "bigtmp 10"), "wrote 10 MB")
}

// TestHostStateIsolation: invocations that leave host state behind (files
// in /tmp, a file left open, a full table of buffers) and invocations that
// look for it run interleaved, sequentially and concurrently, on one
// snapshot function: every one finds /tmp empty and only its own
// buffers, and every reset is checked against the image (VerifyResets).
func TestHostStateIsolation(t *testing.T) {
	f := hostio(t, nil, "Isolation", wasmhost.FunctionConfig{})
	wantSnapshot(t, f)
	clean := func(secret string) string {
		return fmt.Sprintf("task=%q tmp=[] back=%q taskwrite=true", "shipped with the code", secret)
	}
	steps := []struct{ ev, want string }{
		{"files\nfirst", clean("first")},
		{"handles", "1023: fresco: too many buffers held"},
		{"peek 2", "-8"},
		{"leakfd", "leaked"},
		{"files\nsecond", clean("second")},
		{"bigtmp 20", "wrote 20 MB"},
		{"files\nthird", clean("third")},
		{"peek 3", "-8"},
	}
	for range 3 {
		for _, s := range steps {
			wantSuccess(t, call(t, f, s.ev), s.want)
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range len(steps) * 2 {
				s := steps[(i+g)%len(steps)]
				if res := call(t, f, s.ev); res.Kind != invoke.Success || string(res.Payload) != s.want {
					t.Errorf("goroutine %d, %q: %v %s, want %s", g, s.ev, res.Kind, res.Payload, s.want)
				}
			}
		}()
	}
	wg.Wait()
	made, reused, discarded := f.SnapshotStats()
	t.Logf("instances made %d, reused %d, discarded %d", made, reused, discarded)
	if reused < 20 {
		t.Errorf("only %d invocations ran on a reset instance: the test proves nothing about resets", reused)
	}
}

// TestCacheCallEndsAtTheDeadline: a Redis server that accepts and never
// answers holds a cache call no longer than the invocation's deadline,
// which then times out as any other; the host serves on.
func TestCacheCallEndsAtTheDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	h, err := wasmhost.New(wasmhost.Config{CacheDir: testCacheDir(), Cache: "redis://" + l.Addr().String() + "/0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	f := hostio(t, h, "CacheHang", wasmhost.FunctionConfig{Timeout: time.Second})
	res := call(t, f, "get k")
	if res.Kind != invoke.Timeout || res.ErrorType != invoke.ErrTimeout {
		t.Fatalf("%v %s: %s", res.Kind, res.ErrorType, res.Payload)
	}
	wantSuccess(t, call(t, f, "proxy\nstill serving"), "proxy\nstill serving")
}
