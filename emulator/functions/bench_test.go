package functions

import (
	"context"
	"testing"

	"github.com/frescolabs/fresco/internal/invoke"
)

type nopRunner struct{ res invoke.Result }

func (n *nopRunner) Invoke(context.Context, *invoke.Request) *invoke.Result {
	r := n.res
	return &r
}
func (*nopRunner) Close(context.Context) error { return nil }

// BenchmarkLookupInvoke is what the core adds to every invocation: the
// lookup (here through an alias), the concurrency slots, the log block and
// the observers, around a runner that does nothing.
func BenchmarkLookupInvoke(b *testing.B) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	v := Version{Config: Config{MemoryMB: 128, Env: map[string]string{"STAGE": "dev", "A": "1"}}, Code: Code{Sha256: "x"}}
	reg.Create(ctx, Function{Name: "Hello", AutoPublishAlias: "live", ReservedConcurrency: 100}, v, &nopRunner{res: invoke.Result{Payload: []byte(`{}`)}})
	reg.AutoPublish(ctx, "Hello")
	inv := NewInvoker(reg, InvokerConfig{Observers: []Observer{func(Observation) {}}})
	req := &invoke.Request{RequestID: "8f2c2c8e-0000-4000-8000-000000000000", Payload: []byte(`{}`)}
	for _, q := range []string{"", "live"} {
		b.Run("qualifier="+q, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					h, err := inv.Lookup(ctx, "Hello", q)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := h.Invoke(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
