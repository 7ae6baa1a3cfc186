package wasmhost_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

var (
	hostOnce sync.Once
	testHost *wasmhost.Host
	hostErr  error

	buildMu  sync.Mutex
	builtDir string
	built    = map[string]string{}
)

// host returns a Host shared by the package's tests, with an on-disk
// compilation cache so that reruns do not recompile the Go samples.
func host(t testing.TB) *wasmhost.Host {
	t.Helper()
	hostOnce.Do(func() {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		testHost, hostErr = wasmhost.New(wasmhost.Config{CacheDir: filepath.Join(dir, "fresco", "wazero-test")})
	})
	if hostErr != nil {
		t.Fatal(hostErr)
	}
	return testHost
}

// sample builds samples/NAME to wasm (once per test binary) and returns
// its bytes.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if path, ok := built[name]; ok {
		return readFile(t, path)
	}
	if builtDir == "" {
		d, err := os.MkdirTemp("", "fresco-samples-")
		if err != nil {
			t.Fatal(err)
		}
		builtDir = d
	}
	out := filepath.Join(builtDir, name+".wasm")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "build", "-buildmode=c-shared", "-o", out, "./samples/"+name)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build sample %s: %v\n%s", name, err, b)
	}
	built[name] = out
	return readFile(t, out)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// load loads wasm as a function named name with cfg's other fields.
func load(t testing.TB, name string, wasm []byte, cfg wasmhost.FunctionConfig) *wasmhost.Function {
	t.Helper()
	cfg.Name = name
	f, err := host(t).Load(context.Background(), cfg, wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

var reqSeq sync.Mutex
var reqN int

func request(payload string) *invoke.Request {
	reqSeq.Lock()
	reqN++
	n := reqN
	reqSeq.Unlock()
	return &invoke.Request{
		RequestID:          "00000000-0000-4000-8000-" + pad12(n),
		Payload:            []byte(payload),
		InvokedFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:test",
		TraceID:            "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
	}
}

func pad12(n int) string {
	s := "000000000000" + itoa(n)
	return s[len(s)-12:]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

var _ = time.Second

func wasmFunctionConfig() wasmhost.FunctionConfig { return wasmhost.FunctionConfig{} }
