package wasmhost

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/invoke"
)

// BenchmarkSnapshotReset measures what a reset costs per image: copying the
// image over an instance's memory and setting its globals back, for the
// minimal module and for the Go Hello sample (whose image is ~9.5 MB).
//
//	go test ./wasmhost -run '^$' -bench SnapshotReset
func BenchmarkSnapshotReset(b *testing.B) {
	for _, m := range []struct {
		name string
		wasm func(testing.TB) []byte
	}{
		{"minimal", func(tb testing.TB) []byte { return mustRead(tb, filepath.Join("testdata", "minimal.wasm")) }},
		{"go-hello", buildHelloForBench},
	} {
		b.Run(m.name, func(b *testing.B) {
			h, err := New(Config{})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close(context.Background())
			f, err := h.Load(context.Background(), FunctionConfig{Name: m.name}, m.wasm(b))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close(context.Background())
			if f.snap == nil {
				b.Fatalf("no snapshot: %v", f.snapErr)
			}
			in, _, err := f.snap.get(context.Background(), time.Now(), time.Now().Add(time.Minute))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(f.snap.mem)))
			for b.Loop() {
				if !f.snap.restore(in) {
					b.Fatal("restore failed")
				}
			}
			f.snap.discard(in)
		})
	}
}

// TestSnapshotTrimsIdleInstances: after a burst, a function that stays idle
// keeps one ready instance; the rest are discarded, and it still serves.
func TestSnapshotTrimsIdleInstances(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	f, err := h.Load(context.Background(), FunctionConfig{Name: "Snapshot"}, mustRead(t, filepath.Join("testdata", "snapshot.wasm")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	var ins []*instance
	for range 5 {
		in, _, err := f.snap.get(context.Background(), time.Now(), time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	for _, in := range ins {
		f.snap.put(in, true)
	}
	if got := f.snap.ready.len(); got != 5 {
		t.Fatalf("%d ready instances after the burst, want 5", got)
	}
	if n := f.snap.trim(time.Now()); n != 0 {
		t.Errorf("trimmed %d instances of a function used just now", n)
	}
	if n := f.snap.trim(time.Now().Add(idleAfter + time.Second)); n != 5-idleKeep || f.snap.ready.len() != idleKeep {
		t.Errorf("trimmed %d, %d ready; want %d trimmed, %d ready", n, f.snap.ready.len(), 5-idleKeep, idleKeep)
	}
	if res := f.Invoke(context.Background(), &invoke.Request{RequestID: "after-trim"}); res.Kind != invoke.Success {
		t.Errorf("after the trim: %v %s", res.Kind, res.Payload)
	}
}

func mustRead(tb testing.TB, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func buildHelloForBench(tb testing.TB) []byte {
	out := filepath.Join(tb.TempDir(), "hello.wasm")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-buildmode=c-shared", "-trimpath",
		"-tags=fresco_snapshot", "-ldflags=-checklinkname=0", "-o", out, "./samples/hello")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build: %v\n%s", err, b)
	}
	return mustRead(tb, out)
}

// TestVerifyResetsSeesV128HighHalf: instances made from the image of the
// globals fixture match it, v128 high half included; a reset that restores
// a v128 global through api.MutableGlobal.Set (which clears the high half,
// the bug of issue 14 item 4) is caught by the check --verify-resets runs.
func TestVerifyResetsSeesV128HighHalf(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	f, err := h.Load(context.Background(), FunctionConfig{Name: "Globals"}, mustRead(t, filepath.Join("testdata", "globals.wasm")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	s := f.snap
	if s == nil || len(s.v128) != 1 {
		t.Fatalf("snapshot %v (%v), want one with a v128 global", s, f.snapErr)
	}
	if want := []uint64{42, 7}; !slices.Equal(s.wide, want) {
		t.Fatalf("image of the v128 global %v, want %v", s.wide, want)
	}
	var ins []*instance
	for range 3 { // the first is the image's own instance, then two made
		in, _, err := s.get(context.Background(), time.Now(), time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.matches(in); err != nil {
			t.Errorf("instance %d: %v", len(ins), err)
		}
		ins = append(ins, in)
	}
	if made := s.made.Load(); made != 2 {
		t.Errorf("%d instances made, want 2", made)
	}
	in := ins[2]
	name := s.names[s.v128[0]]
	// The guest overwrites the global; a correct reset brings it back.
	if _, err := in.setV128.Call(context.Background(), 1, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.matches(in); err == nil {
		t.Fatal("matches passes an instance whose v128 global was overwritten")
	}
	if !s.restore(in) {
		t.Fatal("restore failed")
	}
	if err := s.matches(in); err != nil {
		t.Fatalf("after restore: %v", err)
	}
	// The broken reset: the low half through the global's export.
	in.mod.ExportedGlobal(name).(api.MutableGlobal).Set(s.globals[s.v128[0]])
	err = s.matches(in)
	if err == nil || !strings.Contains(err.Error(), "global "+name+" (v128) is [0x2a 0x0], the image [0x2a 0x7]") {
		t.Errorf("matches after a reset of the low half only: %v", err)
	}
	for _, in := range ins {
		s.discard(in)
	}
}

// TestReadyMemoryBudget: ready instances of all functions hold at most the
// host's budget; an instance reset past it is discarded, and the functions
// still serve. The trim of an idle function gives its memories back. With
// dirty-page resets (inline) and with full copies (in the background, as on
// kernels before 6.7 and under qemu-user).
func TestReadyMemoryBudget(t *testing.T) {
	for _, full := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "FullResets"}[full], func(t *testing.T) { testReadyMemoryBudget(t, full) })
	}
}

func testReadyMemoryBudget(t *testing.T, full bool) {
	wasm := mustRead(t, filepath.Join("testdata", "pages.wasm")) // a 4 MB image
	h, err := New(Config{ReadyMemoryMB: 10, FullResets: full})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	var fs []*Module
	for _, name := range []string{"A", "B"} {
		f, err := h.Load(context.Background(), FunctionConfig{Name: name}, wasm)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close(context.Background())
		fs = append(fs, f)
	}
	// Each instance counts what it holds: with a shared image (dirty-page
	// resets) an instance mapping it counts its own pages and the
	// overhead, less than the image (the one init ran in holds a whole
	// copy of its own); with full copies every instance the whole image.
	shared := fs[0].snap.image != nil // where resets track written pages
	if shared && full {
		t.Fatal("image shared with FullResets")
	}
	const image = 4 << 20
	less := 0 // ready instances counting less than the image
	charged := func() (sum int64) {
		less = 0
		for _, f := range fs {
			f.snap.ready.mu.Lock()
			for _, in := range f.snap.ready.items {
				if in.charged > image || (shared && in.charged < instanceOverhead) || (!shared && in.charged != image) {
					t.Errorf("%s: a ready instance counts %d bytes (image of %d, shared %v)", f.Name(), in.charged, image, shared)
				}
				if in.charged < image {
					less++
				}
				sum += in.charged
			}
			f.snap.ready.mu.Unlock()
		}
		return sum
	}
	limit, used := h.ReadyMemory()
	if want := charged(); limit != 10<<20 || used != want {
		t.Fatalf("budget %d, used %d after two loads; want %d, %d", limit, used, 10<<20, want)
	}
	// A burst of four instances of each: with full copies at most two of
	// the eight fit; instances sharing the image hold less, so more do
	// (of a burst of twelve each, past the budget too).
	burst := 4
	if shared {
		burst = 12
	}
	for _, f := range fs {
		var ins []*instance
		for range burst {
			in, _, err := f.snap.get(context.Background(), time.Now(), time.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			ins = append(ins, in)
		}
		for _, in := range ins {
			f.snap.put(in, true)
		}
	}
	if _, used := h.ReadyMemory(); used > limit || used != charged() {
		t.Errorf("ready instances hold %d bytes (counted %d), over the budget of %d", used, charged(), limit)
	}
	got := fs[0].snap.ready.len() + fs[1].snap.ready.len()
	if !shared && got != 2 {
		t.Errorf("%d instances ready, want the 2 the budget holds", got)
	}
	if shared && (got <= 2 || less == 0) {
		t.Errorf("%d instances ready, %d counting less than the image; want more than the 2 whole images the budget would hold", got, less)
	}
	_, used = h.ReadyMemory()
	t.Logf("%d of %d instances ready; they hold %d bytes of the budget's %d", got, 2*burst, used, limit)
	ev := []byte("\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00")
	for _, f := range fs {
		if res := f.Invoke(context.Background(), &invoke.Request{RequestID: "r", Payload: ev}); res.Kind != invoke.Success || string(res.Payload) != "clean" {
			t.Errorf("%s: %v %s", f.Name(), res.Kind, res.Payload)
		}
		// Without dirty-page tracking (full copies: kernels before 6.7,
		// qemu-user) a 4 MB image is reset, and an instance past the
		// budget discarded, in the background: wait for those.
		f.snap.resets.Wait()
	}
	pool := h.memory.(*memoryPool)
	free := func() int {
		pool.mu.Lock()
		defer pool.mu.Unlock()
		n := 0
		for _, list := range pool.free {
			n += len(list)
		}
		return n
	}
	if free() == 0 {
		t.Fatal("the discarded instances' memories are not in the pool")
	}
	// Make both idle with more than one ready instance, then trim.
	for _, f := range fs {
		for f.snap.ready.len() < 2 {
			in, err := f.snap.newInstance(context.Background(), time.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			// Past the budget (counted, as push would): the trim's to discard.
			in.charged = f.snap.ready.charge(in)
			f.snap.ready.budget.used.Add(in.charged)
			f.snap.ready.items = append(f.snap.ready.items, in)
		}
		if n := f.snap.trim(time.Now().Add(idleAfter + time.Second)); n == 0 {
			t.Errorf("%s: nothing trimmed", f.Name())
		}
	}
	if n := free(); n != 0 {
		t.Errorf("%d free memories kept after an idle trim, want 0", n)
	}
	if _, used := h.ReadyMemory(); used != charged() || fs[0].snap.ready.len()+fs[1].snap.ready.len() != 2 {
		t.Errorf("ready instances hold %d bytes after the trim, want the two kept (%d)", used, charged())
	}
}

// TestProvision: Provision makes ready instances up to what is asked, and
// invocations take them.
func TestProvision(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	f, err := h.Load(context.Background(), FunctionConfig{Name: "Pages"}, mustRead(t, filepath.Join("testdata", "pages.wasm")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	if n, err := f.Provision(context.Background(), 3); err != nil || n != 3 || f.Ready() != 3 {
		t.Fatalf("Provision(3) = %d, %v; %d ready", n, err, f.Ready())
	}
	made := f.snap.made.Load()
	ev := []byte("\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00")
	if res := f.Invoke(context.Background(), &invoke.Request{RequestID: "r", Payload: ev}); res.Kind != invoke.Success || res.RestoreDuration != 0 {
		t.Errorf("%v %s, restore %v: want a provisioned instance", res.Kind, res.Payload, res.RestoreDuration)
	}
	if f.snap.made.Load() != made {
		t.Error("an invocation made an instance although some were provisioned")
	}
}
