package wasmhost_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

var (
	hostOnce  sync.Once
	testHost  *wasmhost.Host
	benchHost *wasmhost.Host
	hostErr   error

	buildMu  sync.Mutex
	builtDir string
	built    = map[string]string{}
)

// host returns a Host shared by the package's tests, with an on-disk
// compilation cache so that reruns do not recompile the Go samples. Every
// reset in the tests is checked against the image; benchmarks get a host
// without the check, as fresco runs by default.
func host(t testing.TB) *wasmhost.Host {
	t.Helper()
	hostOnce.Do(func() {
		cache := testCacheDir()
		testHost, hostErr = wasmhost.New(wasmhost.Config{CacheDir: cache, VerifyResets: true})
		if hostErr == nil {
			benchHost, hostErr = wasmhost.New(wasmhost.Config{CacheDir: cache})
		}
	})
	if hostErr != nil {
		t.Fatal(hostErr)
	}
	if _, ok := t.(*testing.B); ok {
		return benchHost
	}
	return testHost
}

// testCacheDir is the compilation cache of the package's tests, on disk,
// so that reruns do not recompile the Go samples.
func testCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "fresco", "wazero-test")
}

// goWasm builds the Go package at pkg (relative to the repository root) to
// a reactor module, once per test binary, and returns its bytes.
func goWasm(t testing.TB, pkg string) []byte {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if path, ok := built[pkg]; ok {
		return readFile(t, path)
	}
	if builtDir == "" {
		d, err := os.MkdirTemp("", "fresco-samples-")
		if err != nil {
			t.Fatal(err)
		}
		builtDir = d
	}
	out := filepath.Join(builtDir, fmt.Sprintf("%d.wasm", len(built)))
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	// As fresco build does: snapshot-safe (docs/abi.md, "Snapshots").
	cmd := exec.Command(gobin, "build", "-buildmode=c-shared", "-trimpath", "-tags=fresco_snapshot", "-ldflags=-checklinkname=0", "-o", out, "./"+pkg)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return readFile(t, out)
}

func sample(t testing.TB, name string) []byte { return goWasm(t, "samples/"+name) }

func fixture(t testing.TB, name string) []byte {
	return readFile(t, filepath.Join("testdata", name+".wasm"))
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// load loads wasm as a function named name.
func load(t testing.TB, name string, wasm []byte, cfg wasmhost.FunctionConfig) *wasmhost.Module {
	t.Helper()
	cfg.Name = name
	f, err := host(t).Load(context.Background(), cfg, wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

// loadOn loads wasm as a function named name on a host of its own, made
// with cfg; both are closed when the test ends.
func loadOn(t testing.TB, cfg wasmhost.Config, name string, wasm []byte) *wasmhost.Module {
	t.Helper()
	h, err := wasmhost.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	f, err := h.Load(context.Background(), wasmhost.FunctionConfig{Name: name}, wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

var reqN atomic.Int64

func request(payload string) *invoke.Request {
	n := reqN.Add(1)
	return &invoke.Request{
		RequestID:          fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		Payload:            []byte(payload),
		InvokedFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:test",
		TraceID:            "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
	}
}
