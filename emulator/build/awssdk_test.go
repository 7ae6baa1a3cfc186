package build

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var awsSDKPatchLine = regexp.MustCompile(`(?m)^Patching aws-sdk-go-v2 (\S+): its HTTP client through the host \((.+)\) \.\.\.$`)

// A module of its own, with an unchanged aws-lambda-go handler that calls
// STS with aws-sdk-go-v2 and no fresco import: both modules are patched
// copies selected by one generated go.mod; the user's go.mod and go.sum
// stay byte-identical. (emulator's TestEgressSDKUnchanged runs such a
// function against a signing server.)
func TestBuildUnchangedAWSSDKClient(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sdkplain")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// fresco's own requirements hold the SDK's and its dependencies', and
	// its go.sum their sums: no download.
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gomod = bytes.Replace(gomod, []byte("module github.com/frescolabs/fresco"), []byte("module example.com/sdkplain"), 1)
	gosum, err := os.ReadFile(filepath.Join("..", "..", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join("..", "testdata", "egress", "stsplain", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	// The same handler importing one of fresco's adapters too, from this
	// module, which does not require fresco: fresco's module supplied, and
	// both patches, in one generated go.mod.
	withAdapter := bytes.Replace(main, []byte("import (\n"), []byte("import (\n\t_ \"github.com/frescolabs/fresco/adapters/hosthttp\"\n"), 1)
	for name, data := range map[string][]byte{"go.mod": gomod, "go.sum": gosum, "main.go": main, "adapter/main.go": withAdapter} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cache := t.TempDir()
	artifacts, progress := runBuilder(t, &Builder{CacheDir: cache}, buildTestFn("STSPlain", dir), buildTestFn("STSAdapter", filepath.Join(dir, "adapter")))
	m := awsSDKPatchLine.FindStringSubmatch(progress)
	if m == nil || m[1] != "v1.48.0" || awsLambdaPatchLine.FindString(progress) == "" {
		t.Fatalf("progress does not say both modules were patched:\n%s", progress)
	}
	buildAssertWasm(t, artifacts["STSPlain"])
	buildAssertWasm(t, artifacts["STSAdapter"])
	if !strings.Contains(progress, "STSAdapter imports fresco's adapters: supplying") {
		t.Errorf("fresco's module was not supplied to STSAdapter:\n%s", progress)
	}
	entries, err := os.ReadDir(filepath.Join(cache, "awssdk"))
	if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "v1.48.0-") {
		t.Fatalf("CacheDir/awssdk holds %v (%v), want one v1.48.0-<hash>", entries, err)
	}
	patched := filepath.Join(cache, "awssdk", entries[0].Name())
	// Go's build info records a directory replacement as written: each
	// artifact says it was built with the copy.
	for _, fn := range []string{"STSPlain", "STSAdapter"} {
		if wasm, _ := os.ReadFile(artifacts[fn]); !bytes.Contains(wasm, []byte("github.com/aws/aws-sdk-go-v2\tv1.48.0\n=>\t"+patched)) {
			t.Errorf("%s was not built with the patched copy %s", fn, patched)
		}
	}
	client, _ := os.ReadFile(filepath.Join(patched, filepath.FromSlash(awsSDKClientFile)))
	if !bytes.Contains(client, []byte(getTransportRenamed)) || getTransport.Match(client) {
		t.Errorf("the copy's GetTransport is not renamed")
	}
	if hook, _ := os.ReadFile(filepath.Join(patched, filepath.FromSlash(awsSDKHookFile))); !bytes.Equal(hook, awsSDKHook) {
		t.Errorf("the copy lacks the added file")
	}
	if _, err := os.Stat(filepath.Join(patched, "aws", "retry", "standard.go")); err != nil {
		t.Errorf("the copy lacks the SDK's own files: %v", err)
	}
	for name, want := range map[string][]byte{"go.mod": gomod, "go.sum": gosum} {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, want) {
			t.Errorf("%s was changed", name)
		}
	}

	// The same inputs again: the artifact is up to date, the copy reused.
	_, progress = runBuilder(t, &Builder{CacheDir: cache}, buildTestFn("STSPlain", dir))
	if !strings.Contains(progress, "STSPlain is up to date") || awsSDKPatchLine.MatchString(progress) {
		t.Errorf("second build's progress:\n%s", progress)
	}
}

// The declaration the patch renames, as releases of several years write
// it, is found once; a client.go without it is left alone, and the build
// says what to do instead.
func TestAWSSDKPatchDeclaration(t *testing.T) {
	older := "func (b *BuildableClient) build() {\n\tb.client = wrapWithoutRedirect(&http.Client{\n\t\tTimeout:   b.clientTimeout,\n\t\tTransport: b.GetTransport(),\n\t})\n}\n\n" +
		"// GetTransport returns a copy of the client's HTTP Transport.\nfunc (b *BuildableClient) GetTransport() *http.Transport {\n\tvar tr *http.Transport\n"
	if n := len(getTransport.FindAllStringIndex(older, -1)); n != 1 {
		t.Errorf("an older client.go: %d matches, want 1", n)
	}

	dir := t.TempDir()
	mod := filepath.Join(dir, "sdk")
	client := filepath.Join(mod, filepath.FromSlash(awsSDKClientFile))
	if err := os.MkdirAll(filepath.Dir(client), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(client, []byte("package http\n\nfunc GetTransport() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := &buildRun{b: &Builder{}, ctx: context.Background(), out: &out, goBin: goCommand(), env: os.Environ()}
	pkgs := []*listedPackage{{ImportPath: awsSDKHTTPPackage, Module: &listedModule{Path: "github.com/aws/aws-sdk-go-v2", Version: "v1.0.0", Dir: mod}}}
	main := &listedPackage{ImportPath: "example.com/m", Module: &listedModule{Path: "example.com/m", Main: true, Dir: dir, GoMod: filepath.Join(dir, "go.mod")}}
	sdk, err := r.awsSDKBuildFor(dir, pkgs, main)
	if err != nil || sdk != nil {
		t.Fatalf("awsSDKBuildFor = %v, %v; want nil, nil", sdk, err)
	}
	if !strings.Contains(out.String(), "config.WithHTTPClient(hosthttp.Client())") {
		t.Errorf("the build does not say what to do: %q", out.String())
	}
	if sdk, _ := r.awsSDKBuildFor(dir, pkgs[:0], main); sdk != nil {
		t.Errorf("a build without the SDK got its patch")
	}
}
