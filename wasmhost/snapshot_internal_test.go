package wasmhost

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

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
			in, _, err := f.snap.get(context.Background())
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
		in, _, err := f.snap.get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	for _, in := range ins {
		f.snap.put(in, true)
	}
	if got := len(f.snap.ready); got != 5 {
		t.Fatalf("%d ready instances after the burst, want 5", got)
	}
	if n := f.snap.trim(time.Now()); n != 0 {
		t.Errorf("trimmed %d instances of a function used just now", n)
	}
	if n := f.snap.trim(time.Now().Add(idleAfter + time.Second)); n != 5-idleKeep || len(f.snap.ready) != idleKeep {
		t.Errorf("trimmed %d, %d ready; want %d trimmed, %d ready", n, len(f.snap.ready), 5-idleKeep, idleKeep)
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
