package wasmhost_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/frescolabs/fresco/scripts/bench/naive"
	"github.com/frescolabs/fresco/wasmhost"
)

// BenchmarkInvoke measures one invocation, in-process, from a compiled
// module to its response: fresco's path (Module.Invoke: fresh instance,
// limits, log capture, teardown) next to the naive baseline (scripts/bench/naive:
// a default wazero runtime, plain InstantiateModule per call with a default
// ModuleConfig, the entry points called, Close), in the same run.
//
//	go test ./wasmhost -run '^$' -bench Invoke -benchmem
func BenchmarkInvoke(b *testing.B) {
	for _, m := range []struct {
		name string
		wasm func(testing.TB) []byte
	}{
		{"minimal", func(tb testing.TB) []byte { return fixture(tb, "minimal") }},
		{"go-hello", func(tb testing.TB) []byte { return sample(tb, "hello") }},
		{"c-hello", func(tb testing.TB) []byte { return readFile(tb, "../samples/chello/chello.wasm") }},
	} {
		wasm := m.wasm(b)
		payload := `{"name":"Ada"}`
		b.Run(m.name+"/naive", func(b *testing.B) {
			ctx := context.Background()
			base, err := naive.New(ctx, wasm)
			if err != nil {
				b.Fatal(err)
			}
			defer base.Close(ctx)
			req := request(payload)
			b.ResetTimer()
			for b.Loop() {
				if _, err := base.Invoke(ctx, req); err != nil {
					b.Fatal(err)
				}
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

// BenchmarkInvokeParallel measures invocations from as many goroutines as
// -cpu says (b.RunParallel, 32 per core here, as the HTTP bench's c32),
// for both reset mechanisms, in one run.
//
//	go test ./wasmhost -run '^$' -bench InvokeParallel -benchmem
func BenchmarkInvokeParallel(b *testing.B) {
	for _, m := range []struct {
		name string
		wasm func(testing.TB) []byte
	}{
		{"go-hello", func(tb testing.TB) []byte { return sample(tb, "hello") }},
		{"c-hello", func(tb testing.TB) []byte { return readFile(tb, "../samples/chello/chello.wasm") }},
	} {
		wasm := m.wasm(b)
		for _, full := range []bool{false, true} {
			for _, par := range []int{1, 16} {
				name := m.name + map[bool]string{false: "/dirty", true: "/full"}[full] + fmt.Sprintf("/x%d", par)
				b.Run(name, func(b *testing.B) {
					f := loadOn(b, wasmhost.Config{CacheDir: testCacheDir(), FullResets: full}, m.name, wasm)
					b.SetParallelism(par)
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						req := request(`{"name":"Ada"}`)
						for pb.Next() {
							if res := f.Invoke(context.Background(), req); res.Kind != 0 {
								b.Errorf("%v %s", res.Kind, res.Payload)
								return
							}
						}
					})
				})
			}
		}
	}
}
