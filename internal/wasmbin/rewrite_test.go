package wasmbin

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestLimitTables: the bound is shared out among the tables (the one with
// the least room first, none above what it declares), table.grow past a
// table's new maximum returns -1, TablesExport counts the entries, and the
// snapshot rewrite keeps the limits.
func TestLimitTables(t *testing.T) {
	t.Parallel()
	m, err := Parse(wasmbinFixture(t, "tables"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LimitTables(100); err != nil {
		t.Fatal(err)
	}
	if min, exported := m.Tables(); min != 3 || !exported {
		t.Errorf("Tables() = %d, %v, want 3, true", min, exported)
	}
	plain, err := m.Binary()
	if err != nil {
		t.Fatal(err)
	}
	sm, err := m.SnapshotModule()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	for name, bin := range map[string][]byte{"Binary": plain, "SnapshotModule.Binary": sm.Binary} {
		t.Run(name, func(t *testing.T) {
			mod, err := r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName(""))
			if err != nil {
				t.Fatal(err)
			}
			defer mod.Close(ctx)
			grow, size := mod.ExportedFunction("grow"), mod.ExportedFunction(TablesExport)
			call := func(f api.Function, args ...uint64) int32 {
				t.Helper()
				res, err := f.Call(ctx, args...)
				if err != nil {
					t.Fatal(err)
				}
				return int32(res[0])
			}
			// Maxima: $b keeps its 10, $c gets 44 of its 1000, $a the rest, 46.
			for _, tc := range []struct {
				table, by uint64
				want      int32
			}{
				{0, 1 << 30, -1}, {0, 46, -1}, {0, 45, 1}, {0, 1, -1},
				{1, 9, -1}, {1, 8, 2}, {1, 1, -1},
				{2, 45, -1}, {2, 44, 0}, {2, 1, -1},
			} {
				if got := call(grow, tc.table, tc.by); got != tc.want {
					t.Errorf("grow(table %d, %d) = %d, want %d", tc.table, tc.by, got, tc.want)
				}
			}
			if got := call(size); got != 100 {
				t.Errorf("%s() = %d, want 100", TablesExport, got)
			}
		})
	}
	if len(sm.Globals) != 1 || sm.Binary == nil {
		t.Errorf("SnapshotModule: %+v", sm)
	}
}

// TestLimitTablesLeavesModules: a module whose code cannot grow a table
// keeps its binary, and one whose tables' minimums exceed the bound is
// refused.
func TestLimitTablesLeavesModules(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"table_read", "table_set", "globals"} {
		bin := wasmbinFixture(t, name)
		m, err := Parse(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.LimitTables(10); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := m.Binary(); err != nil || !bytes.Equal(got, bin) {
			t.Errorf("%s: Binary() changed the module (%v)", name, err)
		}
		if _, exported := m.Tables(); exported {
			t.Errorf("%s: exports %s", name, TablesExport)
		}
	}
	m, err := Parse(wasmbinFixture(t, "tables"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LimitTables(2); err == nil || !strings.Contains(err.Error(), "at least 3 entries, more than the 2") {
		t.Errorf("LimitTables(2) = %v, want an error about the minimums", err)
	}
}

// TestLimitTablesModuleBuilt: a module of one table and table.grow, made
// with the builder (no export, type or function section of its own beyond
// the grow): the sections the rewrite adds go where they belong, and a
// declared maximum above the bound is lowered.
func TestLimitTablesModuleBuilt(t *testing.T) {
	t.Parallel()
	for _, limits := range []string{"\x00\x01", "\x01\x01\xff\xff\xff\xff\x0f"} { // (table 1), (table 1 2^32-1)
		bin := wasmbinModule(
			"\x01\x01\x60\x00\x01\x7f", // type 0: () -> i32
			"\x03\x01\x00",             // function 0 has type 0
			"\x04\x01\x70"+limits,      // table 0: funcref
			"\x07\x01\x01g\x00\x00",    // export "g": function 0
			// table.grow 0 (ref.null func) (i32.const 0x40000000)
			"\x0a\x01\x0d\x00\xd0\x70\x41\x80\x80\x80\x80\x04\xfc\x0f\x00\x0b")
		m, err := Parse(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.LimitTables(1 << 20); err != nil {
			t.Fatal(err)
		}
		out, err := m.Binary()
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
		mod, err := r.Instantiate(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := mod.ExportedFunction("g").Call(ctx); err != nil || int32(res[0]) != -1 {
			t.Errorf("table.grow by 2^30: %v, %v, want -1", res, err)
		}
		if res, err := mod.ExportedFunction(TablesExport).Call(ctx); err != nil || res[0] != 1 {
			t.Errorf("%s: %v, %v, want 1", TablesExport, res, err)
		}
		r.Close(ctx)
	}
}

func TestAppendU32Width(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v     uint32
		width int
		want  string
	}{
		{0, 1, "\x00"}, {1, 3, "\x81\x80\x00"}, {200, 1, "\xc8\x01"}, {200, 4, "\xc8\x81\x80\x00"},
		{1<<32 - 1, 1, "\xff\xff\xff\xff\x0f"}, {5, 7, "\x85\x80\x80\x80\x00"},
	} {
		got := appendU32Width(nil, tc.v, tc.width)
		if string(got) != tc.want {
			t.Errorf("appendU32Width(%d, %d) = %x, want %x", tc.v, tc.width, got, tc.want)
		}
		if v := lebValue(got); v != uint64(tc.v) {
			t.Errorf("appendU32Width(%d, %d) reads back as %d", tc.v, tc.width, v)
		}
	}
}

// FuzzLimitTables: whatever the input, LimitTables and Binary do not
// panic, and an input wazero compiles gives a binary wazero compiles.
func FuzzLimitTables(f *testing.F) {
	for _, name := range []string{"tables", "table_grow", "table_read", "globals", "simd", "noexport"} {
		f.Add(wasmbinFixture(f, name))
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	f.Fuzz(func(t *testing.T, bin []byte) {
		m, err := Parse(bin)
		if err != nil || m.LimitTables(1000) != nil {
			return
		}
		out, err := m.Binary()
		if err != nil {
			if errors.Is(err, ErrUnsupported) {
				return
			}
			t.Fatal(err)
		}
		c, err := r.CompileModule(ctx, bin)
		if err != nil {
			return
		}
		c.Close(ctx)
		if err := preflight(out); err != nil {
			t.Fatalf("the input passes preflight, but not the rewritten binary: %v", err)
		}
		c, err = r.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("wazero compiles the input, but not the rewritten binary: %v", err)
		}
		c.Close(ctx)
	})
}

// TestV128Accessors: the snapshot rewrite of a module with mutable v128
// globals exports functions that read and write both halves of each
// (api.MutableGlobal.Set clears the high half).
func TestV128Accessors(t *testing.T) {
	t.Parallel()
	sm, err := parseSnapshotModule(wasmbinFixture(t, "globals"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sm.V128) != 1 || sm.Globals[sm.V128[0]].Type != valV128 {
		t.Fatalf("V128 = %v in %+v", sm.V128, sm.Globals)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	if _, err := r.InstantiateWithConfig(ctx, wasmbinFixture(t, "env"), wazero.NewModuleConfig().WithName("env")); err != nil {
		t.Fatal(err)
	}
	mod, err := r.Instantiate(ctx, sm.Binary)
	if err != nil {
		t.Fatal(err)
	}
	get, set := mod.ExportedFunction(V128GetExport), mod.ExportedFunction(V128SetExport)
	res, err := get.Call(ctx)
	if err != nil || len(res) != 2 || res[0] != 42 {
		t.Fatalf("%s() = %v, %v; want the low half 42", V128GetExport, res, err)
	}
	if _, err := set.Call(ctx, 0x1122, 0x3344); err != nil {
		t.Fatal(err)
	}
	if res, err = get.Call(ctx); err != nil || res[0] != 0x1122 || res[1] != 0x3344 {
		t.Errorf("after %s(0x1122, 0x3344): %v, %v", V128SetExport, res, err)
	}
}
