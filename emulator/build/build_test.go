package build

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/wasmbin"
)

// buildTestPackage copies testdata/build/<name> into a fresh directory, so a
// test can edit it.
func buildTestPackage(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "build", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func buildTestFn(id, codeURI string) *sam.FunctionSpec {
	return &sam.FunctionSpec{LogicalID: id, Name: id, CodeURI: codeURI}
}

func runBuilder(t *testing.T, b *Builder, fns ...*sam.FunctionSpec) (map[string]string, string) {
	t.Helper()
	var out bytes.Buffer
	b.Out = &out
	artifacts, err := b.Build(context.Background(), fns)
	if err != nil {
		t.Fatalf("Build: %v\nprogress:\n%s", err, out.String())
	}
	return artifacts, out.String()
}

func buildAssertWasm(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte(wasmbin.Magic)) {
		t.Fatalf("%s is not a wasm module", path)
	}
}

var buildBuiltLine = regexp.MustCompile(`(?m)^Built (\w+) in \d+\.\ds$`)

func TestBuildCachesByContent(t *testing.T) {
	t.Parallel()
	dir := buildTestPackage(t, "hello")
	b := &Builder{CacheDir: t.TempDir()}
	hello := buildTestFn("Hello", dir)

	first, progress := runBuilder(t, b, hello)
	path := first["Hello"]
	if !strings.Contains(progress, "Building Hello ("+dir+") ...") || !buildBuiltLine.MatchString(progress) {
		t.Errorf("first build's progress:\n%s", progress)
	}
	if filepath.Dir(path) != b.CacheDir || !regexp.MustCompile(`^[0-9a-f]{64}\.wasm$`).MatchString(filepath.Base(path)) {
		t.Errorf("artifact %s is not CacheDir/<sha256>.wasm", path)
	}
	buildAssertWasm(t, path)

	second, progress := runBuilder(t, b, hello)
	if progress != "Hello is up to date\n" {
		t.Errorf("second build's progress:\n%s", progress)
	}
	if second["Hello"] != path {
		t.Errorf("second build gave %s, want %s", second["Hello"], path)
	}

	// Editing a source file rebuilds to a new artifact.
	src := filepath.Join(dir, "main.go")
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(code, []byte("return 0"), []byte("return 1"), 1)
	if err := os.WriteFile(src, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	third, progress := runBuilder(t, b, hello)
	if third["Hello"] == path || !buildBuiltLine.MatchString(progress) {
		t.Errorf("after an edit: artifact %s (before %s), progress:\n%s", third["Hello"], path, progress)
	}
	buildAssertWasm(t, third["Hello"])

	// Going back finds the first artifact again.
	if err := os.WriteFile(src, code, 0o644); err != nil {
		t.Fatal(err)
	}
	if fourth, progress := runBuilder(t, b, hello); fourth["Hello"] != path || progress != "Hello is up to date\n" {
		t.Errorf("after reverting: artifact %s (want %s), progress:\n%s", fourth["Hello"], path, progress)
	}

	// A go.mod change is a new build too, and so are build flags.
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\ngo 1.26.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fifth, _ := runBuilder(t, b, hello); fifth["Hello"] == path {
		t.Error("editing go.mod did not change the artifact")
	}
	flagged, _ := runBuilder(t, &Builder{CacheDir: b.CacheDir, BuildFlags: []string{"-ldflags=-s"}}, hello)
	if flagged["Hello"] == path {
		t.Error("build flags did not change the artifact")
	}
}

func TestBuildSameInputsBuildOnce(t *testing.T) {
	t.Parallel()
	// Two copies of one package in different places hash the same
	// (-trimpath), and two functions may share a CodeUri.
	dirA := buildTestPackage(t, "hello")
	dirB := buildTestPackage(t, "hello")
	b := &Builder{CacheDir: t.TempDir(), Parallel: 4}
	artifacts, progress := runBuilder(t, b, buildTestFn("A", dirA), buildTestFn("A2", dirA), buildTestFn("B", dirB))
	if artifacts["A"] != artifacts["A2"] || artifacts["A"] != artifacts["B"] {
		t.Errorf("artifacts differ: %v", artifacts)
	}
	// Exactly one go build ran: either A's unit built (A and A2) and B
	// found it, or B built and A's unit found it.
	built := buildBuiltLine.FindAllStringSubmatch(progress, -1)
	var ids []string
	for _, m := range built {
		ids = append(ids, m[1])
	}
	switch strings.Join(ids, ",") {
	case "A,A2":
		if !strings.Contains(progress, "B is up to date") {
			t.Errorf("progress:\n%s", progress)
		}
	case "B":
		if !strings.Contains(progress, "A is up to date") || !strings.Contains(progress, "A2 is up to date") {
			t.Errorf("progress:\n%s", progress)
		}
	default:
		t.Errorf("built %v, want one build; progress:\n%s", ids, progress)
	}
}

func TestBuildConcurrentBuilders(t *testing.T) {
	t.Parallel()
	// Separate Builders (as separate processes would) racing on one cache
	// directory all get a complete artifact at the same path.
	dir := buildTestPackage(t, "hello")
	cache := t.TempDir()
	const n = 3
	paths := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m, err := (&Builder{CacheDir: cache}).Build(context.Background(), []*sam.FunctionSpec{buildTestFn("Hello", dir)})
			paths[i], errs[i] = m["Hello"], err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("builder %d: %v", i, errs[i])
		}
		if paths[i] != paths[0] {
			t.Errorf("builder %d: %s, want %s", i, paths[i], paths[0])
		}
	}
	buildAssertWasm(t, paths[0])
	leftovers, _ := filepath.Glob(filepath.Join(cache, ".tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestBuildOverlay(t *testing.T) {
	t.Parallel()
	dir := buildTestPackage(t, "hello")
	tmp := t.TempDir()
	replacement := filepath.Join(tmp, "main.go")
	buildWriteFile(t, replacement, "package main\n\n//go:wasmexport fresco_handle\nfunc handle() int32 { return 7 }\n\nfunc main() {}\n")
	overlay := filepath.Join(tmp, "overlay.json")
	ov, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(dir, "main.go"): replacement}})
	buildWriteFile(t, overlay, string(ov))

	cache := t.TempDir()
	plain, _ := runBuilder(t, &Builder{CacheDir: cache}, buildTestFn("Hello", dir))
	var asked []string
	withOverlay := &Builder{CacheDir: cache, Overlay: func(d string) (string, error) {
		asked = append(asked, d)
		return overlay, nil
	}}
	first, progress := runBuilder(t, withOverlay, buildTestFn("Hello", dir))
	if first["Hello"] == plain["Hello"] || !buildBuiltLine.MatchString(progress) {
		t.Errorf("overlay build: %s (plain %s), progress:\n%s", first["Hello"], plain["Hello"], progress)
	}
	if len(asked) != 1 || asked[0] != dir {
		t.Errorf("Overlay called with %v, want [%s]", asked, dir)
	}
	// The file the overlay maps is an input: editing it rebuilds.
	buildWriteFile(t, replacement, "package main\n\n//go:wasmexport fresco_handle\nfunc handle() int32 { return 8 }\n\nfunc main() {}\n")
	if second, _ := runBuilder(t, withOverlay, buildTestFn("Hello", dir)); second["Hello"] == first["Hello"] {
		t.Error("editing the overlay's file did not rebuild")
	}
	// An empty path means no overlay.
	none, progress := runBuilder(t, &Builder{CacheDir: cache, Overlay: func(string) (string, error) { return "", nil }}, buildTestFn("Hello", dir))
	if none["Hello"] != plain["Hello"] || progress != "Hello is up to date\n" {
		t.Errorf("empty overlay: %s (plain %s), progress:\n%s", none["Hello"], plain["Hello"], progress)
	}
	// A failing hook fails the function.
	_, err := (&Builder{CacheDir: cache, Overlay: func(string) (string, error) { return "", errors.New("no adapter") }}).
		Build(context.Background(), []*sam.FunctionSpec{buildTestFn("Hello", dir)})
	if err == nil || !strings.Contains(err.Error(), "build Hello: overlay: no adapter") {
		t.Errorf("failing overlay: err = %v", err)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	empty := filepath.Join(tmp, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	notWasm := filepath.Join(tmp, "fake.wasm")
	buildWriteFile(t, notWasm, "not a module")
	shortWasm := filepath.Join(tmp, "short.wasm")
	buildWriteFile(t, shortWasm, "\x00a")
	text := filepath.Join(tmp, "code.zip")
	buildWriteFile(t, text, "PK")

	tests := []struct {
		name    string
		codeURI string
		want    []string
	}{
		{"compile error", templateAbs(t, filepath.Join("testdata", "build", "broken")),
			[]string{"build Broken: go build failed:\n", "undefined: undefinedVariable", "main.go:6:"}},
		{"not a main package", templateAbs(t, filepath.Join("testdata", "build", "lib")),
			[]string{"build Broken: ", "is package lib, not a main package"}},
		{"no Go files", empty, []string{"build Broken: ", "neither a .wasm file nor a directory with a Go main package"}},
		{"missing", filepath.Join(tmp, "nowhere"), []string{"build Broken: CodeUri ", "does not exist"}},
		{"not wasm", notWasm, []string{"build Broken: ", "is not a WebAssembly module"}},
		{"short wasm", shortWasm, []string{"build Broken: ", "is not a WebAssembly module"}},
		{"other file", text, []string{"build Broken: ", "neither a .wasm file nor a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &Builder{CacheDir: t.TempDir()}
			artifacts, err := b.Build(context.Background(), []*sam.FunctionSpec{buildTestFn("Broken", tt.codeURI)})
			if err == nil {
				t.Fatalf("Build succeeded: %v", artifacts)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}

	t.Run("BuildError", func(t *testing.T) {
		t.Parallel()
		b := &Builder{CacheDir: t.TempDir()}
		_, err := b.Build(context.Background(), []*sam.FunctionSpec{buildTestFn("Broken", templateAbs(t, filepath.Join("testdata", "build", "broken")))})
		var be *BuildError
		if !errors.As(err, &be) || len(be.Functions) != 1 || be.Functions[0] != "Broken" || !strings.Contains(be.Output, "undefined") {
			t.Fatalf("err = %#v, want a *BuildError for Broken", err)
		}
		entries, _ := os.ReadDir(b.CacheDir)
		if len(entries) != 0 {
			t.Errorf("a failed build left %v in the cache", entries)
		}
	})
}

func TestBuildWasmPassThrough(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ready.wasm")
	buildWriteFile(t, path, "\x00asm\x01\x00\x00\x00")
	cache := filepath.Join(t.TempDir(), "cache")
	artifacts, progress := runBuilder(t, &Builder{CacheDir: cache}, buildTestFn("Ready", path))
	if artifacts["Ready"] != path {
		t.Errorf("artifact = %q, want %q", artifacts["Ready"], path)
	}
	if !strings.HasPrefix(progress, "Ready uses ") {
		t.Errorf("progress = %q", progress)
	}
	if _, err := os.Stat(cache); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a .wasm-only build created the cache directory")
	}
}

func TestBuildRelativePaths(t *testing.T) {
	// Not parallel: it changes the working directory.
	dir := buildTestPackage(t, "hello")
	t.Chdir(filepath.Dir(dir))
	artifacts, _ := runBuilder(t, &Builder{CacheDir: "cache"}, buildTestFn("Hello", "hello"))
	want := filepath.Join(filepath.Dir(dir), "cache")
	if got := artifacts["Hello"]; filepath.Dir(got) != want {
		t.Errorf("artifact %s is not in %s", got, want)
	}
	buildAssertWasm(t, artifacts["Hello"])
}

func TestBuildCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Builder{CacheDir: t.TempDir()}).Build(ctx, []*sam.FunctionSpec{buildTestFn("Hello", buildTestPackage(t, "hello"))})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func buildWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func templateAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestBuildChecksBootstrap: a bootstrap for another architecture, or
// older than the Go sources beside it, is refused, saying why and what to
// do; a current one for this machine is run as it is.
func TestBuildChecksBootstrap(t *testing.T) {
	t.Parallel()
	// The 64-byte header of an ELF executable for a machine that is not
	// this one: all debug/elf needs to name it.
	other := elf.EM_AARCH64
	if runtime.GOARCH == "arm64" {
		other = elf.EM_X86_64
	}
	header := make([]byte, 64)
	copy(header, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(header[16:], uint16(elf.ET_EXEC))
	binary.LittleEndian.PutUint16(header[18:], uint16(other))
	binary.LittleEndian.PutUint32(header[20:], 1)
	binary.LittleEndian.PutUint16(header[52:], 64)
	old := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name, bootstrap string
		sourceAge       time.Duration // of main.go beside it, relative to the bootstrap; 0: none
		want            string        // in the error; "" for none
	}{
		{"other architecture", string(header), 0, "cannot run on this " + runtime.GOOS + "/" + runtime.GOARCH + " machine"},
		{"stale", "#!/bin/sh\n", time.Minute, "is older than main.go beside it"},
		{"current", "#!/bin/sh\n", -time.Minute, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bootstrap := filepath.Join(dir, "bootstrap")
			if err := os.WriteFile(bootstrap, []byte(tc.bootstrap), 0o755); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(bootstrap, old, old)
			if tc.sourceAge != 0 {
				src := filepath.Join(dir, "main.go")
				buildWriteFile(t, src, "package main\n\nfunc main() {}\n")
				os.Chtimes(src, old.Add(tc.sourceAge), old.Add(tc.sourceAge))
			}
			fn := buildTestFn("Boot", dir)
			fn.Mode = sam.ModeBootstrap
			artifacts, err := (&Builder{CacheDir: t.TempDir()}).Build(context.Background(), []*sam.FunctionSpec{fn})
			switch {
			case tc.want == "" && (err != nil || artifacts["Boot"] != bootstrap):
				t.Errorf("Build: %v, %v; want the bootstrap", artifacts, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "delete it")):
				t.Errorf("Build: %v; want an error with %q and what to do", err, tc.want)
			}
		})
	}
}
