package wasmbin

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestStopChecks: with the checks, code behaves as before until the host
// sets StopExport, and then traps at its next loop iteration or call,
// whether it loops or recurses; both binaries carry them.
func TestStopChecks(t *testing.T) {
	t.Parallel()
	m, err := Parse(wasmbinFixture(t, "stop"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddStopChecks(); err != nil {
		t.Fatal(err)
	}
	plain, err := m.Binary()
	if err != nil {
		t.Fatal(err)
	}
	sm, err := m.SnapshotModule()
	if err != nil {
		t.Fatal(err)
	}
	if len(sm.Globals) != 1 {
		t.Errorf("SnapshotModule lists %d globals, want the module's 1 (not the stop global)", len(sm.Globals))
	}
	ctx := context.Background()
	// The compiler, as fresco runs it, without WithCloseOnContextDone.
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	for name, bin := range map[string][]byte{"Binary": plain, "SnapshotModule.Binary": sm.Binary} {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				fn   string
				args []uint64
			}{{"spin", nil}, {"fib", []uint64{60}}} {
				mod, err := r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName(""))
				if err != nil {
					t.Fatal(err)
				}
				stop := mod.ExportedGlobal(StopExport).(api.MutableGlobal)
				fuel := mod.ExportedGlobal(FuelExport).(api.MutableGlobal)
				if got, err := mod.ExportedFunction("count").Call(ctx, 4); err != nil || got[0] != 10 {
					t.Errorf("count(4) = %v, %v; want 10", got, err)
				}
				done := make(chan error, 1)
				go func() {
					_, err := mod.ExportedFunction(tc.fn).Call(ctx, tc.args...)
					done <- err
				}()
				select {
				case err := <-done:
					t.Fatalf("%s returned before the stop: %v", tc.fn, err)
				case <-time.After(20 * time.Millisecond):
				}
				stop.Set(1)
				fuel.Set(0)
				select {
				case err := <-done:
					if err == nil || !strings.Contains(err.Error(), "unreachable") {
						t.Errorf("%s after the stop: %v, want the unreachable trap", tc.fn, err)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s still runs 10 s after the stop", tc.fn)
				}
				if _, err := mod.ExportedFunction("count").Call(ctx, 4); err == nil {
					t.Error("count ran while the stop is set")
				}
				mod.Close(ctx)
			}
		})
	}
}

// TestStopChecksRefused: a module whose code names a global it does not
// have (invalid, but the added global would make it valid, and its own
// global.set could clear the stop) gets no checks.
func TestStopChecksRefused(t *testing.T) {
	t.Parallel()
	// (func (global.set 0 (i32.const 0))), and no global.
	bin := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x04\x01\x60\x00\x00" + // type () -> ()
		"\x03\x02\x01\x00" + // one function
		"\x0a\x08\x01\x06\x00\x41\x00\x24\x00\x0b") // body: i32.const 0, global.set 0
	m, err := Parse(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddStopChecks(); err == nil || !strings.Contains(err.Error(), "global index 0 out of range") {
		t.Errorf("AddStopChecks() = %v, want the out-of-range global", err)
	}
	if got, err := m.Binary(); err != nil || !bytes.Equal(got, bin) {
		t.Errorf("Binary() changed the module: %v", err)
	}
	// The export name is the host's.
	m, err = Parse(wasmbinFixture(t, "stop"))
	if err != nil {
		t.Fatal(err)
	}
	m.reserved = append(m.reserved, StopExport)
	if err := m.AddStopChecks(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("AddStopChecks() with the name taken = %v, want ErrUnsupported", err)
	}
}
