package wasmhost_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/frescolabs/fresco/internal/wasmbin"
	"github.com/frescolabs/fresco/internal/wasmbin/wasmbintest"
	"github.com/frescolabs/fresco/wasmhost"
)

// TestLoadRejectsHostile: Load refuses every module the preflight refuses
// (internal/wasmbin's TestPreflightHostile), before wazero decodes it, with
// a *LoadError that carries the preflight's error.
func TestLoadRejectsHostile(t *testing.T) {
	t.Parallel()
	h, err := wasmhost.New(wasmhost.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	for _, tc := range wasmbintest.Hostile {
		t.Run(tc.Name, func(t *testing.T) {
			_, err := wasmbin.Parse(tc.Bin)
			if err == nil {
				t.Fatal("the preflight passes it")
			}
			f, lerr := h.Load(context.Background(), wasmhost.FunctionConfig{Name: "hostile"}, tc.Bin)
			if f != nil {
				f.Close(context.Background())
			}
			var le *wasmhost.LoadError
			if !errors.As(lerr, &le) {
				t.Fatalf("Load: %v, want a *LoadError", lerr)
			}
			if !strings.HasPrefix(le.Reason, "invalid module: ") || le.Err == nil || le.Err.Error() != err.Error() {
				t.Errorf("Load: %v, want the preflight error %v", lerr, err)
			}
		})
	}
}
