package functions

import (
	"context"
	"errors"
	"testing"
)

// testStore is the conformance suite every Store passes.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	t.Run("functions", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateFunction(ctx, Function{Name: "b", OtherNames: []string{"B"}}, Version{Code: Code{Sha256: "x"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateFunction(ctx, Function{Name: "a"}, Version{}); err != nil {
			t.Fatal(err)
		}
		for _, dup := range []Function{{Name: "b"}, {Name: "B"}, {Name: "c", OtherNames: []string{"a"}}} {
			if err := s.CreateFunction(ctx, dup, Version{}); !errors.Is(err, ErrExists) {
				t.Errorf("CreateFunction(%+v) = %v, want ErrExists", dup, err)
			}
		}
		fn, err := s.Function(ctx, "B")
		if err != nil || fn.Name != "b" {
			t.Fatalf("Function(B) = %+v, %v", fn, err)
		}
		fns, _ := s.Functions(ctx)
		if len(fns) != 2 || fns[0].Name != "a" || fns[1].Name != "b" {
			t.Errorf("Functions = %+v", fns)
		}
		if err := s.DeleteFunction(ctx, "B"); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"b", "B"} {
			if _, err := s.Function(ctx, n); !errors.Is(err, ErrNotFound) {
				t.Errorf("Function(%s) after delete = %v", n, err)
			}
		}
		if err := s.DeleteFunction(ctx, "b"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second delete = %v", err)
		}
	})
	t.Run("versions", func(t *testing.T) {
		s := newStore(t)
		env := map[string]string{"K": "1"}
		s.CreateFunction(ctx, Function{Name: "f", OtherNames: []string{"F"}}, Version{Config: Config{Env: env}})
		env["K"] = "changed by the caller"
		v1, err := s.PublishVersion(ctx, Version{Function: "F", Code: Code{Sha256: "one"}})
		if err != nil || v1.Version != "1" || v1.Function != "f" {
			t.Fatalf("PublishVersion = %+v, %v", v1, err)
		}
		s.PutLatest(ctx, Version{Function: "f", Code: Code{Sha256: "two"}})
		v2, _ := s.PublishVersion(ctx, Version{Function: "f", Code: Code{Sha256: "two"}})
		vs, err := s.Versions(ctx, "f")
		if err != nil || len(vs) != 3 || vs[0].Version != LatestVersion || vs[0].Code.Sha256 != "two" || vs[2].Version != "2" || v2.Version != "2" {
			t.Fatalf("Versions = %+v, %v", vs, err)
		}
		got, _ := s.Version(ctx, "F", "1")
		if got.Code.Sha256 != "one" {
			t.Errorf("Version(1) = %+v", got)
		}
		if _, err := s.Version(ctx, "f", "3"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Version(3) = %v", err)
		}
		if _, err := s.PublishVersion(ctx, Version{Function: "nope"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("PublishVersion(nope) = %v", err)
		}
	})
	t.Run("aliases", func(t *testing.T) {
		s := newStore(t)
		s.CreateFunction(ctx, Function{Name: "f"}, Version{})
		w := map[string]float64{"2": 0.5}
		s.PutAlias(ctx, Alias{Function: "f", Name: "live", FunctionVersion: "1", RoutingWeights: w})
		w["2"] = 1
		s.PutAlias(ctx, Alias{Function: "f", Name: "dev", FunctionVersion: LatestVersion})
		a, err := s.Alias(ctx, "f", "live")
		if err != nil || a.FunctionVersion != "1" || a.RoutingWeights["2"] != 0.5 {
			t.Fatalf("Alias = %+v, %v", a, err)
		}
		as, _ := s.Aliases(ctx, "f")
		if len(as) != 2 || as[0].Name != "dev" || as[1].Name != "live" {
			t.Errorf("Aliases = %+v", as)
		}
		if err := s.DeleteAlias(ctx, "f", "dev"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Alias(ctx, "f", "dev"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Alias after delete = %v", err)
		}
		if err := s.DeleteAlias(ctx, "f", "dev"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second DeleteAlias = %v", err)
		}
	})
}

func TestMemStore(t *testing.T) {
	testStore(t, func(*testing.T) Store { return NewMemStore() })
}
