package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/frescolabs/fresco/emulator/sam"
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
	wants := []string{"version: v1.2.3-test\n", "go: " + runtime.Version() + "\n", "platform: " + runtime.GOOS + "/" + runtime.GOARCH + "\n"}
	// The stamps fill in what the build info lacks: in a git checkout the
	// go command records the commit itself, which wins.
	if m, _ := exec.Command("go", "version", "-m", bin).Output(); !strings.Contains(string(m), "vcs.revision=") {
		wants = append(wants, "commit: "+st.commit+"\n", "modified: true\n", "commit-time: 2026-12-02T06:45:00Z\n")
	}
	for _, want := range wants {
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

// TestBundle: a bundle holds the template's wasm functions as
// artifacts/SHA256.wasm and a template naming them, which fresco's loader
// reads from where the bundle is unpacked, with the template's tags (!Ref)
// kept; a process function is left out; two bundles are the same bytes.
func TestBundle(t *testing.T) {
	dir := t.TempDir()
	wasm, err := os.ReadFile(filepath.Join("..", "..", "samples", "chello", "chello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "c.wasm"), wasm, 0o644)
	os.Mkdir(filepath.Join(dir, "sh"), 0o755)
	os.WriteFile(filepath.Join(dir, "sh", "bootstrap"), []byte("#!/bin/sh\n"), 0o755)
	tmpl := filepath.Join(dir, "template.yaml")
	os.WriteFile(tmpl, []byte(`Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
Resources:
  CHello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: c.wasm
      Environment:
        Variables:
          STAGE: !Ref Stage # a comment, kept
  Shell:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: sh
      Runtime: provided.al2023
      Handler: x
`), 0o644)
	var sums [2]string
	for i := range sums {
		out := filepath.Join(dir, "functions"+string(rune('a'+i))+".tar.gz")
		dropped, err := bundle(context.Background(), tmpl, out)
		if err != nil {
			t.Fatal(err)
		}
		if len(dropped) != 1 || dropped[0] != "Shell" {
			t.Fatalf("left out %v, want [Shell]", dropped)
		}
		if sums[i], _, err = sha256File(out); err != nil {
			t.Fatal(err)
		}
	}
	if sums[0] != sums[1] {
		t.Fatalf("two bundles differ: %s %s", sums[0], sums[1])
	}
	unpacked := filepath.Join(dir, "unpacked")
	os.Mkdir(unpacked, 0o755)
	if out, err := exec.Command("tar", "-xzf", filepath.Join(dir, "functionsa.tar.gz"), "-C", unpacked).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	got, err := sam.LoadTemplate(filepath.Join(unpacked, "template.yaml"), sam.TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	want := filepath.Join(unpacked, "artifacts", hex.EncodeToString(sum[:])+".wasm")
	if len(got.Functions) != 1 || got.Functions[0].LogicalID != "CHello" || got.Functions[0].CodeURI != want || got.Functions[0].Env["STAGE"] != "dev" {
		t.Fatalf("bundled template: %+v, want CHello at %s with STAGE=dev", got.Functions[0], want)
	}
	if b, err := os.ReadFile(want); err != nil || !bytes.Equal(b, wasm) {
		t.Fatalf("bundled module: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(unpacked, "template.yaml")); !strings.Contains(string(b), "!Ref Stage # a comment, kept") {
		t.Errorf("the template lost its tag or comment:\n%s", b)
	}
}
