package wasmbin

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// BenchmarkStopChecks compares, in one run, the cost of the ways to stop
// a guest: none at all (the floor), fresco's stop checks (with and
// without the stack count that shares their rewrite), and wazero's
// WithCloseOnContextDone, on compiled code: a recursion (fib, a call per
// step) and a Go program doing a handler's kind of work (JSON, maps,
// strings; testdata/gowork, built here for wasip1).
//
//	go test ./internal/wasmbin -run '^$' -bench StopChecks
func BenchmarkStopChecks(b *testing.B) {
	ctx := context.Background()
	gowork := buildGoWork(b)
	for _, v := range []struct {
		name                       string
		checks, noStack, closeDone bool
	}{
		{"none", false, false, false},
		{"checksWithoutStackCount", true, true, false},
		{"checks", true, false, false},
		{"closeOnContextDone", false, false, true},
	} {
		compile := func(b *testing.B, bin []byte) (wazero.Runtime, wazero.CompiledModule) {
			m, err := Parse(bin)
			if err != nil {
				b.Fatal(err)
			}
			if v.checks {
				if err := m.AddStopChecks(); err != nil {
					b.Fatal(err)
				}
				m.noStackCount = v.noStack
			}
			out, err := m.Binary()
			if err != nil {
				b.Fatal(err)
			}
			r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(v.closeDone))
			wasi_snapshot_preview1.MustInstantiate(ctx, r)
			c, err := r.CompileModule(ctx, out)
			if err != nil {
				b.Fatal(err)
			}
			return r, c
		}
		b.Run("fib25/"+v.name, func(b *testing.B) {
			r, c := compile(b, wasmbinFixture(b, "stop"))
			defer r.Close(ctx)
			mod, err := r.InstantiateModule(ctx, c, wazero.NewModuleConfig().WithName(""))
			if err != nil {
				b.Fatal(err)
			}
			fib := mod.ExportedFunction("fib")
			for b.Loop() {
				if res, err := fib.Call(ctx, 25); err != nil || res[0] != 75025 {
					b.Fatal(res, err)
				}
			}
		})
		b.Run("gowork/"+v.name, func(b *testing.B) {
			r, c := compile(b, gowork)
			defer r.Close(ctx)
			// One run of the command does 2,000 iterations; its start-up
			// (the Go runtime's init) is the same in every variant.
			cfg := wazero.NewModuleConfig().WithName("").WithArgs("gowork", strconv.Itoa(2000))
			for b.Loop() {
				mod, err := r.InstantiateModule(ctx, c, cfg)
				if err != nil {
					b.Fatal(err)
				}
				mod.Close(ctx)
			}
		})
	}
}

// buildGoWork builds testdata/gowork for wasip1 and returns the module.
func buildGoWork(b *testing.B) []byte {
	out := filepath.Join(b.TempDir(), "gowork.wasm")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", out, ".")
	cmd.Dir = filepath.Join("testdata", "gowork")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build gowork: %v\n%s", err, msg)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return bin
}
