package main

import (
	"context"
	"debug/elf"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBuildStampsAndRepeats builds a small program that prints
// internal/buildinfo (testdata/stamp) the way a release is built, for this
// machine, twice: the two builds are byte for byte the same, the binary is
// static, and it prints the stamp. (The whole fresco binary, rebuilt from a
// copy of the tree with an empty cache, is go run ./scripts/release -check,
// which .ci/run runs.)
func TestBuildStampsAndRepeats(t *testing.T) {
	ctx := context.Background()
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := stamp{version: "v1.2.3-test", commit: "0123456789abcdef0123456789abcdef01234567", modified: true, commitTime: "2026-12-02T06:45:00Z"}
	dir := t.TempDir()
	var sums [2]string
	for i := range sums {
		out := filepath.Join(dir, "stamp"+string(rune('a'+i)))
		if err := goBuild(ctx, root, "./scripts/release/testdata/stamp", runtime.GOOS, runtime.GOARCH, st, out, nil); err != nil {
			t.Fatal(err)
		}
		if sums[i], _, err = sha256File(out); err != nil {
			t.Fatal(err)
		}
	}
	if sums[0] != sums[1] {
		t.Fatalf("two builds differ: %s, %s", sums[0], sums[1])
	}
	bin := filepath.Join(dir, "stampa")
	got, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"version: v1.2.3-test\n", "commit: " + st.commit + "\n", "modified: true\n",
		"commit-time: 2026-12-02T06:45:00Z\n", "go: " + runtime.Version() + "\n", "platform: " + runtime.GOOS + "/" + runtime.GOARCH + "\n"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("stamp printed\n%s\nwithout %q", got, want)
		}
	}
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"build\tCGO_ENABLED=0", "build\t-trimpath=true"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("go version -m lacks %q:\n%s", want, info)
		}
	}
	if runtime.GOOS == "linux" {
		// Static: no program interpreter, no shared libraries.
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("program header %v: not a static executable", p.Type)
			}
		}
	}
}

// TestLdflags: the version is left to the go command when unset, and
// modified is stamped only with a commit.
func TestLdflags(t *testing.T) {
	for _, tc := range []struct {
		st   stamp
		want string
	}{
		{stamp{}, "-s -w"},
		{stamp{version: "v1"}, "-s -w -X=" + stampPkg + ".version=v1"},
		{stamp{commit: "abc", commitTime: "T"}, "-s -w -X=" + stampPkg + ".commit=abc -X=" + stampPkg + ".modified=false -X=" + stampPkg + ".commitTime=T"},
	} {
		if got := tc.st.ldflags(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.st, got, tc.want)
		}
	}
}
