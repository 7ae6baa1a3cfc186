package build

import (
	"bytes"
	"context"
	"errors"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/invoke"
)

// supplyHandler imports fresco's drop-in adapter, as the README tells
// users to, from a module that does not require fresco.
const supplyHandler = `package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/frescolabs/fresco/adapters/lambda"
)

type Request struct {
	Name string ` + "`json:\"name\"`" + `
}

type Response struct {
	Greeting  string ` + "`json:\"greeting\"`" + `
	RequestID string ` + "`json:\"request_id\"`" + `
}

func handle(ctx context.Context, req Request) (Response, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	return Response{Greeting: "Hello, " + req.Name + "!", RequestID: lc.AwsRequestID}, nil
}

func main() { lambda.Start(handle) }
`

// supplyMixedHandler is an unchanged aws-lambda-go handler that also uses
// fresco's adapters (the cache, the host's HTTP), so it needs both
// aws-lambda-go's patch and fresco's module.
const supplyMixedHandler = `package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/frescolabs/fresco/adapters/cache"
	"github.com/frescolabs/fresco/adapters/hosthttp"
)

func handle(ctx context.Context, in map[string]string) (map[string]string, error) {
	if err := cache.Set("greeting", []byte("Hello, "+in["name"]+"!"), time.Minute); err != nil {
		return nil, err
	}
	v, ok, err := cache.Get("greeting")
	if err != nil || !ok {
		return nil, err
	}
	return map[string]string{"cached": string(v), "transport": fmt.Sprintf("%T", hosthttp.Client().Transport)}, nil
}

func main() { lambda.Start(handle) }
`

var supplyLine = regexp.MustCompile(`(?m)^(\w+) imports fresco's adapters: supplying github\.com/frescolabs/fresco from this fresco \((.+?)\)(?:; for this build only \(go\.mod stays as it is\): (.+))?$`)

// supplyProject writes a module of its own, with go.mod (and go.sum, if
// not empty), and a main.go, and returns its directory.
func supplyProject(t *testing.T, gomod, gosum, main string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hello")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	buildWriteFile(t, filepath.Join(dir, "go.mod"), gomod)
	if gosum != "" {
		buildWriteFile(t, filepath.Join(dir, "go.sum"), gosum)
	}
	buildWriteFile(t, filepath.Join(dir, "main.go"), main)
	return dir
}

// supplyAssertUntouched checks that the project's go.mod and go.sum are
// as they were written (a missing go.sum still missing).
func supplyAssertUntouched(t *testing.T, dir, gomod, gosum string) {
	t.Helper()
	if got, err := os.ReadFile(filepath.Join(dir, "go.mod")); err != nil || string(got) != gomod {
		t.Errorf("go.mod changed (%v):\n%s", err, got)
	}
	got, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	switch {
	case gosum == "" && !errors.Is(err, fs.ErrNotExist):
		t.Errorf("go.sum was written (%v):\n%s", err, got)
	case gosum != "" && (err != nil || string(got) != gosum):
		t.Errorf("go.sum changed (%v):\n%s", err, got)
	}
}

// legacySums are the go.sum lines of aws-lambda-go at version in
// testdata/build/legacy/go.sum.
func legacySums(t *testing.T, version string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "build", "legacy", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, awsLambdaModule+" "+version+" ") || strings.HasPrefix(line, awsLambdaModule+" "+version+"/go.mod ") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// TestBuildSuppliesFrescoModule: a handler that imports
// github.com/frescolabs/fresco/adapters/lambda from a module whose go.mod
// has nothing of fresco (and nothing of aws-lambda-go, or an older
// aws-lambda-go than the adapters need) builds and runs, and its go.mod
// and go.sum are untouched.
func TestBuildSuppliesFrescoModule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, gomod, gosum string
		raised             string // the output line's "for this build only" part
	}{
		{name: "no requirements", gomod: "module example.com/hello\n\ngo 1.22\n"},
		// The adapters' go 1.20 is advisory (before go 1.21): not raised.
		{name: "older go", gomod: "module example.com/hello\n\ngo 1.18\n"},
		{
			name:   "older aws-lambda-go",
			gomod:  "module example.com/hello\n\ngo 1.22\n\nrequire github.com/aws/aws-lambda-go v1.36.1\n",
			gosum:  legacySums(t, "v1.36.1"),
			raised: awsLambdaModule + " v1.36.1 → " + adaptersRequirements[awsLambdaModule],
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := supplyProject(t, tc.gomod, tc.gosum, supplyHandler)
			cache := t.TempDir()
			b := &Builder{CacheDir: cache}
			fn := buildTestFn("Hello", dir)
			artifacts, progress := runBuilder(t, b, fn)
			m := supplyLine.FindStringSubmatch(progress)
			if m == nil || m[1] != "Hello" || m[3] != tc.raised || !buildBuiltLine.MatchString(progress) {
				t.Fatalf("progress (want %q raised):\n%s", tc.raised, progress)
			}
			if awsLambdaPatchLine.MatchString(progress) {
				t.Errorf("adapters/lambda brings the ABI, yet aws-lambda-go was patched:\n%s", progress)
			}
			supplyAssertUntouched(t, dir, tc.gomod, tc.gosum)
			// The copy, with its own go.mod, once per content hash.
			copies, err := filepath.Glob(filepath.Join(cache, "fresco", "*"))
			if err != nil || len(copies) != 1 || !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(filepath.Base(copies[0])) {
				t.Fatalf("CacheDir/fresco holds %v, want one copy", copies)
			}
			if _, err := os.Stat(filepath.Join(copies[0], "adapters", "lambda", "lambda.go")); err != nil {
				t.Errorf("the copy lacks adapters/lambda: %v", err)
			}
			if tests, _ := filepath.Glob(filepath.Join(copies[0], "adapters", "internal", "lambdart", "*_test.go")); len(tests) > 0 {
				t.Errorf("the copy holds tests: %v", tests)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(cache, ".tmp-*")); len(leftovers) > 0 {
				t.Errorf("temporary directories left behind: %v", leftovers)
			}

			f := awsLambdaLoad(t, "Supplied"+tc.name, artifacts["Hello"])
			res := f.Invoke(context.Background(), awsLambdaRequest(1, `{"name":"Ada"}`))
			if want := `{"greeting":"Hello, Ada!","request_id":"00000000-0000-4000-8000-000000000001"}`; res.Kind != invoke.Success || string(res.Payload) != want {
				t.Fatalf("%v %s, want %s\nlog:\n%s", res.Kind, res.Payload, want, res.Log)
			}

			// Nothing changed: up to date, from the same copy.
			again, progress := runBuilder(t, b, fn)
			if progress != "Hello is up to date\n" || again["Hello"] != artifacts["Hello"] {
				t.Errorf("second build: %s (first %s), progress:\n%s", again["Hello"], artifacts["Hello"], progress)
			}
			supplyAssertUntouched(t, dir, tc.gomod, tc.gosum)
		})
	}
}

// TestBuildSuppliedSourceIsHashed: the build hash covers the supplied
// module's files as the build reads them, so a changed adapter source
// rebuilds.
func TestBuildSuppliedSourceIsHashed(t *testing.T) {
	t.Parallel()
	const gomod = "module example.com/hello\n\ngo 1.22\n"
	dir := supplyProject(t, gomod, "", supplyHandler)
	cache := t.TempDir()
	b := &Builder{CacheDir: cache}
	fn := buildTestFn("Hello", dir)
	artifacts, _ := runBuilder(t, b, fn)
	copies, err := filepath.Glob(filepath.Join(cache, "fresco", "*"))
	if err != nil || len(copies) != 1 {
		t.Fatalf("CacheDir/fresco holds %v", copies)
	}
	src := filepath.Join(copies[0], "adapters", "lambda", "lambda.go")
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	buildWriteFile(t, src, string(code)+"\n// changed\n")
	again, progress := runBuilder(t, b, fn)
	if again["Hello"] == artifacts["Hello"] || !buildBuiltLine.MatchString(progress) {
		t.Errorf("after a change to the supplied adapters: %s (first %s), progress:\n%s", again["Hello"], artifacts["Hello"], progress)
	}
}

// TestBuildSuppliesFrescoModuleToUnchangedHandler: an unchanged
// aws-lambda-go handler that also imports one of fresco's adapters is built
// with both aws-lambda-go's patch and fresco's module.
func TestBuildSuppliesFrescoModuleToUnchangedHandler(t *testing.T) {
	t.Parallel()
	gomod := "module example.com/hello\n\ngo 1.22\n\nrequire github.com/aws/aws-lambda-go v1.36.1\n"
	gosum := legacySums(t, "v1.36.1")
	dir := supplyProject(t, gomod, gosum, supplyMixedHandler)
	artifacts, progress := runBuilder(t, &Builder{CacheDir: t.TempDir()}, buildTestFn("Mixed", dir))
	want := adaptersRequirements[awsLambdaModule]
	if m := awsLambdaPatchLine.FindStringSubmatch(progress); m == nil || m[1] != want {
		t.Errorf("aws-lambda-go not patched at %s:\n%s", want, progress)
	}
	if m := supplyLine.FindStringSubmatch(progress); m == nil || m[3] != awsLambdaModule+" v1.36.1 → "+want {
		t.Errorf("progress:\n%s", progress)
	}
	supplyAssertUntouched(t, dir, gomod, gosum)
	f := awsLambdaLoad(t, "Mixed", artifacts["Mixed"])
	res := f.Invoke(context.Background(), awsLambdaRequest(1, `{"name":"Ada"}`))
	if want := `{"cached":"Hello, Ada!","transport":"hosthttp.Transport"}`; res.Kind != invoke.Success || string(res.Payload) != want {
		t.Fatalf("%v %s, want %s\nlog:\n%s", res.Kind, res.Payload, want, res.Log)
	}
}

// TestBuildSupplyNotForFrescoItself: fresco's own samples, in fresco's
// module, are built from the tree as they are.
func TestBuildSupplyNotForFrescoItself(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	_, progress := runBuilder(t, &Builder{CacheDir: cache}, buildTestFn("Hello", templateAbs(t, filepath.Join("..", "..", "samples", "hello"))))
	if supplyLine.MatchString(progress) {
		t.Errorf("fresco's own module was supplied to itself:\n%s", progress)
	}
	if _, err := os.Stat(filepath.Join(cache, "fresco")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CacheDir/fresco exists: %v", err)
	}
}

// TestFrescoSourceModule: the supplied module is adapters' files, tests
// left out, with a go.mod whose requirements have their sums.
func TestFrescoSourceModule(t *testing.T) {
	t.Parallel()
	src, err := loadFrescoSource()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	err = filepath.WalkDir(filepath.Join("..", "..", "adapters"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join("..", ".."), p)
		want = append(want, filepath.ToSlash(rel))
		orig, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(src.files[filepath.ToSlash(rel)], orig) {
			t.Errorf("%s is not adapters' file", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(src.files) != len(want)+1 {
		t.Errorf("module files %d, want adapters' %d and go.mod", len(src.files), len(want))
	}
	// Every module the adapters import from is a requirement of the
	// supplied go.mod.
	fset := token.NewFileSet()
	for name, data := range src.files {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, data, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(p, "/"); !strings.Contains(first, ".") || strings.HasPrefix(p, frescoModule+"/") {
				continue // the standard library, or fresco's own
			}
			required := false
			for mod := range adaptersRequirements {
				required = required || p == mod || strings.HasPrefix(p, mod+"/")
			}
			if !required {
				t.Errorf("%s imports %s, which no requirement of the supplied go.mod provides", name, p)
			}
		}
	}
	f, err := modfile.Parse("go.mod", src.files["go.mod"], nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Module.Mod.Path != frescoModule || f.Go.Version != adaptersGoVersion {
		t.Errorf("go.mod:\n%s", src.files["go.mod"])
	}
	for _, req := range f.Require {
		for _, suffix := range []string{" h1:", "/go.mod h1:"} {
			found := false
			for _, line := range adaptersSums {
				found = found || strings.HasPrefix(line, req.Mod.Path+" "+req.Mod.Version+suffix)
			}
			if !found {
				t.Errorf("no go.sum line for %s %s%s", req.Mod.Path, req.Mod.Version, suffix)
			}
		}
	}
}

// TestBuildSuppliesFrescoModuleNatively: a process function (FrescoMode
// native) gets fresco's module the same way.
func TestBuildSuppliesFrescoModuleNatively(t *testing.T) {
	t.Parallel()
	const gomod = "module example.com/hello\n\ngo 1.22\n"
	dir := supplyProject(t, gomod, "", supplyHandler)
	fn := buildTestFn("Native", dir)
	fn.Mode = sam.ModeNative
	artifacts, progress := runBuilder(t, &Builder{CacheDir: t.TempDir()}, fn)
	if !supplyLine.MatchString(progress) || !sam.IsExecutable(artifacts["Native"]) {
		t.Errorf("artifact %s, progress:\n%s", artifacts["Native"], progress)
	}
	supplyAssertUntouched(t, dir, gomod, "")
}

// TestBuildSupplyRefused: where -modfile cannot select the supplied module
// (a workspace, a vendor directory), the build fails saying so, before
// go build.
func TestBuildSupplyRefused(t *testing.T) {
	t.Parallel()
	const gomod = "module example.com/hello\n\ngo 1.22\n"
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{
			name: "workspace",
			setup: func(t *testing.T, dir string) {
				buildWriteFile(t, filepath.Join(filepath.Dir(dir), "go.work"), "go 1.22\n\nuse ./hello\n")
			},
			want: "cannot supply fresco's module in workspace mode",
		},
		{
			name: "vendor",
			setup: func(t *testing.T, dir string) {
				if err := os.Mkdir(filepath.Join(dir, "vendor"), 0o755); err != nil {
					t.Fatal(err)
				}
				buildWriteFile(t, filepath.Join(dir, "vendor", "modules.txt"), "")
			},
			want: "cannot supply fresco's module to a module with a vendor directory",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := supplyProject(t, gomod, "", supplyHandler)
			tc.setup(t, dir)
			cache := t.TempDir()
			_, err := (&Builder{CacheDir: cache}).Build(context.Background(), []*sam.FunctionSpec{buildTestFn("Hello", dir)})
			if err == nil || !strings.Contains(err.Error(), "build Hello: ") || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "github.com/frescolabs/fresco/adapters/lambda") {
				t.Fatalf("err = %v, want one that says %q", err, tc.want)
			}
			supplyAssertUntouched(t, dir, gomod, "")
			if leftovers, _ := filepath.Glob(filepath.Join(cache, ".tmp-*")); len(leftovers) > 0 {
				t.Errorf("temporary directories left behind: %v", leftovers)
			}
		})
	}
}

// TestBuildSupplyNotWhenRequired: a module that requires and replaces
// fresco's module itself (what the README asked before the builder
// supplied it) is built with its own choice.
func TestBuildSupplyNotWhenRequired(t *testing.T) {
	t.Parallel()
	root := templateAbs(t, filepath.Join("..", ".."))
	gomod := "module example.com/hello\n\ngo 1.26.0\n\n" +
		"require github.com/frescolabs/fresco v0.0.0-00010101000000-000000000000\n\n" +
		"require github.com/aws/aws-lambda-go v1.55.1 // indirect\n\n" +
		"replace github.com/frescolabs/fresco => " + root + "\n"
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := supplyProject(t, gomod, string(gosum), supplyHandler)
	cache := t.TempDir()
	_, progress := runBuilder(t, &Builder{CacheDir: cache}, buildTestFn("Hello", dir))
	if supplyLine.MatchString(progress) || !buildBuiltLine.MatchString(progress) {
		t.Errorf("progress:\n%s", progress)
	}
	if _, err := os.Stat(filepath.Join(cache, "fresco")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CacheDir/fresco exists: %v", err)
	}
	supplyAssertUntouched(t, dir, gomod, string(gosum))
}
