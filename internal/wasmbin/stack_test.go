package wasmbin

import (
	"context"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestStackCount: with the count, calls behave as before and give back
// every byte they took (whether they return at their end, by return from
// inside a block, or by a branch to their own label, with one result or
// two), and a call past the budget traps and leaves $stack at -1.
func TestStackCount(t *testing.T) {
	t.Parallel()
	m, err := Parse(wasmbinFixture(t, "stack"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddStopChecks(); err != nil {
		t.Fatal(err)
	}
	bin, err := m.Binary()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	mod, err := r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	stack := mod.ExportedGlobal(StackExport).(api.MutableGlobal)
	if got := stack.Get(); got != StackBudget {
		t.Fatalf("$stack = %d at instantiation, want %d", got, StackBudget)
	}
	const budget = 1 << 20
	stack.Set(budget)
	for _, tc := range []struct {
		fn   string
		args []uint64
		want uint64
	}{{"depth", []uint64{1000}, 1000}, {"pair_sum", []uint64{100}, 3}, {"leaf", nil, 7}, {"depth", []uint64{0}, 0}} {
		got, err := mod.ExportedFunction(tc.fn).Call(ctx, tc.args...)
		if err != nil || got[0] != tc.want {
			t.Errorf("%s%v = %v, %v; want %d", tc.fn, tc.args, got, err, tc.want)
		}
		if left := stack.Get(); left != budget {
			t.Errorf("after %s%v, $stack = %d, want %d back", tc.fn, tc.args, int32(left), budget)
		}
	}
	// depth's frame: 56 bytes and its parameter's 8; depth(n) takes n+1.
	const frame = 64
	if _, err := mod.ExportedFunction("depth").Call(ctx, budget/frame-1); err != nil {
		t.Errorf("depth(%d), within the budget: %v", budget/frame-1, err)
	}
	_, err = mod.ExportedFunction("depth").Call(ctx, budget/frame)
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("depth(%d), past the budget: %v, want the unreachable trap", budget/frame, err)
	}
	if left := int32(stack.Get()); left != -1 {
		t.Errorf("$stack = %d after the trap, want -1", left)
	}
}
