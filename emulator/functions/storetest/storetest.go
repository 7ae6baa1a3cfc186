package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/frescolabs/fresco/emulator/functions"
)

// Run is the conformance suite every functions.Store passes; newStore
// returns an empty store.
func Run(t *testing.T, newStore func(t *testing.T) functions.Store) {
	ctx := context.Background()
	t.Run("functions", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateFunction(ctx, functions.Function{Name: "b", OtherNames: []string{"B"}}, functions.Version{Code: functions.Code{Sha256: "x"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateFunction(ctx, functions.Function{Name: "a"}, functions.Version{}); err != nil {
			t.Fatal(err)
		}
		for _, dup := range []functions.Function{{Name: "b"}, {Name: "B"}, {Name: "c", OtherNames: []string{"a"}}} {
			if err := s.CreateFunction(ctx, dup, functions.Version{}); !errors.Is(err, functions.ErrExists) {
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
			if _, err := s.Function(ctx, n); !errors.Is(err, functions.ErrNotFound) {
				t.Errorf("Function(%s) after delete = %v", n, err)
			}
		}
		if err := s.DeleteFunction(ctx, "b"); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("second delete = %v", err)
		}
	})
	t.Run("versions", func(t *testing.T) {
		s := newStore(t)
		env := map[string]string{"K": "1"}
		s.CreateFunction(ctx, functions.Function{Name: "f", OtherNames: []string{"F"}}, functions.Version{Config: functions.Config{Env: env}})
		env["K"] = "changed by the caller"
		v1, err := s.PublishVersion(ctx, functions.Version{Function: "F", Code: functions.Code{Sha256: "one"}})
		if err != nil || v1.Version != "1" || v1.Function != "f" {
			t.Fatalf("PublishVersion = %+v, %v", v1, err)
		}
		s.PutLatest(ctx, functions.Version{Function: "f", Code: functions.Code{Sha256: "two"}})
		v2, _ := s.PublishVersion(ctx, functions.Version{Function: "f", Code: functions.Code{Sha256: "two"}})
		vs, err := s.Versions(ctx, "f")
		if err != nil || len(vs) != 3 || vs[0].Version != functions.LatestVersion || vs[0].Code.Sha256 != "two" || vs[2].Version != "2" || v2.Version != "2" {
			t.Fatalf("Versions = %+v, %v", vs, err)
		}
		got, _ := s.Version(ctx, "F", "1")
		if got.Code.Sha256 != "one" {
			t.Errorf("Version(1) = %+v", got)
		}
		if _, err := s.Version(ctx, "f", "3"); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("Version(3) = %v", err)
		}
		if _, err := s.PublishVersion(ctx, functions.Version{Function: "nope"}); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("PublishVersion(nope) = %v", err)
		}
	})
	t.Run("aliases", func(t *testing.T) {
		s := newStore(t)
		s.CreateFunction(ctx, functions.Function{Name: "f"}, functions.Version{})
		w := map[string]float64{"2": 0.5}
		s.PutAlias(ctx, functions.Alias{Function: "f", Name: "live", FunctionVersion: "1", RoutingWeights: w})
		w["2"] = 1
		s.PutAlias(ctx, functions.Alias{Function: "f", Name: "dev", FunctionVersion: functions.LatestVersion})
		a, err := s.Alias(ctx, "f", "live")
		if err != nil || a.FunctionVersion != "1" || a.RoutingWeights["2"] != 0.5 {
			t.Fatalf("functions.Alias = %+v, %v", a, err)
		}
		as, _ := s.Aliases(ctx, "f")
		if len(as) != 2 || as[0].Name != "dev" || as[1].Name != "live" {
			t.Errorf("Aliases = %+v", as)
		}
		if err := s.DeleteAlias(ctx, "f", "dev"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Alias(ctx, "f", "dev"); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("functions.Alias after delete = %v", err)
		}
		if err := s.DeleteAlias(ctx, "f", "dev"); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("second DeleteAlias = %v", err)
		}
	})
	t.Run("records", func(t *testing.T) {
		s := newStore(t)
		s.CreateFunction(ctx, functions.Function{Name: "f", OtherNames: []string{"F"}, Managed: true}, functions.Version{})
		tags := map[string]string{"team": "a"}
		if err := s.PutFunction(ctx, functions.Function{Name: "F", ReservedConcurrency: 3, Tags: tags, Managed: true}); err != nil {
			t.Fatal(err)
		}
		tags["team"] = "changed by the caller"
		fn, err := s.Function(ctx, "F")
		if err != nil || fn.Name != "f" || fn.ReservedConcurrency != 3 || fn.Tags["team"] != "a" || !fn.Managed || len(fn.OtherNames) != 1 {
			t.Fatalf("Function after PutFunction = %+v, %v", fn, err)
		}
		if err := s.PutFunction(ctx, functions.Function{Name: "nope"}); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("PutFunction(nope) = %v", err)
		}
		s.PublishVersion(ctx, functions.Version{Function: "f"})
		s.PublishVersion(ctx, functions.Version{Function: "f"})
		if err := s.DeleteVersion(ctx, "f", "1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteVersion(ctx, "f", "1"); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("second DeleteVersion = %v", err)
		}
		if err := s.DeleteVersion(ctx, "f", functions.LatestVersion); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("DeleteVersion($LATEST) = %v", err)
		}
		v3, _ := s.PublishVersion(ctx, functions.Version{Function: "f"})
		vs, _ := s.Versions(ctx, "f")
		if v3.Version != "3" || len(vs) != 3 || vs[1].Version != "2" || vs[2].Version != "3" {
			t.Errorf("after deleting 1: published %q, versions %+v", v3.Version, vs)
		}
	})
}
