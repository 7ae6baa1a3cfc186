package wasmhost_test

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/frescolabs/fresco/wasmhost"
)

// BenchmarkInvoke measures one invocation, in-process, from a compiled
// module to its response: fresco's path (Function.Invoke: fresh instance,
// limits, log capture, teardown) next to the naive baseline (a default
// wazero runtime, plain InstantiateModule per call with a default
// ModuleConfig, the entry points called, Close), in the same run.
//
//	go test ./wasmhost -run '^$' -bench Invoke -benchmem
func BenchmarkInvoke(b *testing.B) {
	for _, m := range []struct {
		name string
		wasm func(testing.TB) []byte
		init []string // entry points the naive path calls before fresco_handle
	}{
		{"minimal", func(tb testing.TB) []byte { return fixture(tb, "minimal") }, nil},
		{"go-hello", func(tb testing.TB) []byte { return sample(tb, "hello") }, []string{"_initialize", "fresco_init"}},
		{"c-hello", func(tb testing.TB) []byte { return readFile(tb, "../samples/chello/chello.wasm") }, []string{"_initialize"}},
	} {
		wasm := m.wasm(b)
		payload := `{"name":"Ada"}`
		b.Run(m.name+"/naive", func(b *testing.B) {
			ctx := context.Background()
			r := wazero.NewRuntime(ctx)
			defer r.Close(ctx)
			wasi_snapshot_preview1.MustInstantiate(ctx, r)
			if err := wasmhost.InstantiateABI(ctx, r); err != nil {
				b.Fatal(err)
			}
			compiled, err := r.CompileModule(ctx, wasm)
			if err != nil {
				b.Fatal(err)
			}
			req := request(payload)
			b.ResetTimer()
			for b.Loop() {
				ictx := wasmhost.WithInvocation(ctx, req)
				mod, err := r.InstantiateModule(ictx, compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
				if err != nil {
					b.Fatal(err)
				}
				for _, fn := range append(m.init, "fresco_handle") {
					if _, err := mod.ExportedFunction(fn).Call(ictx); err != nil {
						b.Fatal(fn, err)
					}
				}
				mod.Close(ctx)
			}
		})
		b.Run(m.name+"/fresco", func(b *testing.B) {
			f := load(b, m.name, wasm, wasmhost.FunctionConfig{})
			req := request(payload)
			b.ResetTimer()
			for b.Loop() {
				if res := f.Invoke(context.Background(), req); res.Kind != 0 {
					b.Fatalf("%v %s", res.Kind, res.Payload)
				}
			}
		})
	}
}
