package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/functions/boltstore"
	"github.com/frescolabs/fresco/emulator/functions/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) functions.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "registry.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReopen: what was stored is there after the file is closed and
// opened again, and a template's functions are dropped by DeleteUnmanaged.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boltstore.Open(path); err == nil {
		t.Fatal("a second Open of a held file succeeded")
	}
	s.CreateFunction(ctx, functions.Function{Name: "up", Managed: true, Tags: map[string]string{"k": "v"}}, functions.Version{Code: functions.Code{Sha256: "x"}})
	s.CreateFunction(ctx, functions.Function{Name: "tmpl", OtherNames: []string{"Tmpl"}}, functions.Version{})
	s.PublishVersion(ctx, functions.Version{Function: "up", Code: functions.Code{Sha256: "x"}})
	s.PutAlias(ctx, functions.Alias{Function: "up", Name: "live", FunctionVersion: "1", RoutingWeights: map[string]float64{"$LATEST": 0.1}})
	s.Close()

	s, err = boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.DeleteUnmanaged(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Function(ctx, "Tmpl"); err == nil {
		t.Error("the template's function survived DeleteUnmanaged")
	}
	fn, err := s.Function(ctx, "up")
	if err != nil || fn.Tags["k"] != "v" {
		t.Fatalf("Function(up) = %+v, %v", fn, err)
	}
	a, err := s.Alias(ctx, "up", "live")
	if err != nil || a.FunctionVersion != "1" || a.RoutingWeights["$LATEST"] != 0.1 {
		t.Errorf("Alias = %+v, %v", a, err)
	}
	v, _ := s.PublishVersion(ctx, functions.Version{Function: "up"})
	if v.Version != "2" {
		t.Errorf("next version after reopen = %s, want 2", v.Version)
	}
}

// BenchmarkLookup is what an invocation asks of the store (a function,
// an alias, a version), from a bbolt-backed store and from a MemStore.
func BenchmarkLookup(b *testing.B) {
	ctx := context.Background()
	bs, err := boltstore.Open(filepath.Join(b.TempDir(), "registry.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer bs.Close()
	for name, s := range map[string]functions.Store{"bolt": bs, "mem": functions.NewMemStore()} {
		reg := functions.NewRegistry(functions.RegistryConfig{Store: s})
		reg.Create(ctx, functions.Function{Name: "f", Managed: true}, functions.Version{Config: functions.Config{Env: map[string]string{"K": "V"}}}, nil)
		for range 10 {
			s.PublishVersion(ctx, functions.Version{Function: "f"})
		}
		s.PutAlias(ctx, functions.Alias{Function: "f", Name: "live", FunctionVersion: "10"})
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := reg.Lookup(ctx, "f", "live"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
