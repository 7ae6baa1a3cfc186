package build

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"go/version"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/frescolabs/fresco/adapters"
	"github.com/frescolabs/fresco/adapters/guest"
	"github.com/frescolabs/fresco/adapters/hosthttp"
)

// An unchanged aws-lambda-go handler (one that imports
// github.com/aws/aws-lambda-go/lambda and no fresco package) is built
// against a patched copy of aws-lambda-go: the module as the handler's
// go.mod selects it, plus fresco's glue in its lambda package and fresco's
// guest ABI as the package lambda/frescoguest. The copy is selected with
// go build -modfile, a generated go.mod that is the main module's plus a
// replace directive, so the user's go.mod is never touched. See
// RATIONALE.md, "Unchanged handlers".
const (
	awsLambdaModule  = "github.com/aws/aws-lambda-go"
	awsLambdaPackage = awsLambdaModule + "/lambda"
	// A package that imports fresco's guest ABI already exports
	// fresco_handle (adapters/lambda, or guest directly): no patch.
	frescoGuestPackage = "github.com/frescolabs/fresco/adapters/guest"

	// awsLambdaGlueFile is where the glue goes in the module. Its name sorts
	// last, so that its init runs after rpc_function.go's (see the glue);
	// so does the legacy glue's start function's file.
	awsLambdaGlueFile  = "lambda/zz_fresco_wasip1.go"
	awsLambdaStartFile = "lambda/zz_fresco_start_wasip1.go"
	// The streaming of a handler's io.Reader, v1.40.0 and later.
	awsLambdaStreamFile = "lambda/zz_fresco_stream_wasip1.go"
	// The warm's view of the handler newHandler wraps, v1.32.0 and later,
	// and the file whose newHandler the patch makes call it.
	awsLambdaHookFile    = "lambda/zz_fresco_hook.go"
	awsLambdaHandlerFile = "lambda/handler.go"
	awsLambdaGuestDir    = "lambda/frescoguest"
	// adapters/hosthttp, the guest's HTTP through the host.
	awsLambdaHTTPDir = "lambda/frescohttp"
	// The glue's share of adapters/lambda (adapters/internal/lambdart), a
	// package only the lambda package may import.
	awsLambdaRuntimeDir = "lambda/internal/lambdart"

	// The oldest aws-lambda-go the glue supports, and the versions the
	// tests build handlers against; an older one is an
	// *UnsupportedAwsLambdaError.
	awsLambdaMinVersion     = "v1.27.0"
	awsLambdaTestedVersions = "v1.27.0, v1.31.0, v1.36.1, v1.40.0, v1.45.0 and v1.55.1"
)

// The glue is compiled only inside aws-lambda-go's lambda package, whose
// unexported names it uses, so in fresco's tree it is text: as a .go file
// it would be part of a package "lambda" in emulator/awslambda that cannot
// compile for wasip1 there. There are two: awsLambdaGlue runs each
// invocation with the runtime loop's own internals, which v1.46.0 and
// later have; awsLambdaLegacyGlue calls the handler through the Handler
// interface, for v1.27.0 to v1.45.x, with the start function in the form
// of the version (taking a base context before v1.32.0, the handler's
// options from then on).
var (
	//go:embed awslambda/glue_wasip1.go.txt
	awsLambdaGlue []byte
	//go:embed awslambda/glue_legacy_wasip1.go.txt
	awsLambdaLegacyGlue []byte
	//go:embed awslambda/start_context_wasip1.go.txt
	awsLambdaStartContext []byte
	//go:embed awslambda/start_options_wasip1.go.txt
	awsLambdaStartOptions []byte
	//go:embed awslambda/start_stream_wasip1.go.txt
	awsLambdaStartStream []byte
	//go:embed awslambda/stream_wasip1.go.txt
	awsLambdaStream []byte
	//go:embed awslambda/hook.go.txt
	awsLambdaHook []byte
)

// newHandlerWraps is the line of newHandler (v1.32.0 and later) that wraps
// the function lambda.Start was given; the patch adds a call of
// frescoNewHandler after it (see awslambda/hook.go.txt).
var newHandlerWraps = regexp.MustCompile(`(?m)^\th\.(Handler|handlerFunc) = reflectHandler\(handlerFunc, h\)$`)

// newHandlerHook is what the patch adds after newHandlerWraps.
const newHandlerHook = "\n\tfrescoNewHandler(handlerFunc, h)"

// glueVariant is which glue a version of aws-lambda-go takes.
type glueVariant int

const (
	glueRuntimeLoop   glueVariant = iota // v1.46.0 and later
	glueLegacyStream                     // v1.40.0 to v1.45.x
	glueLegacyOptions                    // v1.32.0 to v1.39.x
	glueLegacyContext                    // v1.27.0 to v1.31.x
	glueNumberOfGlues                    // not a variant
	glueUnsupported   glueVariant = -1   // before v1.27.0
)

// glueFor is the glue of aws-lambda-go at version (a module version; ""
// for a local replacement, which gets the newest).
func glueFor(version string) glueVariant {
	switch {
	case !semver.IsValid(version):
		return glueRuntimeLoop
	case semver.Compare(version, awsLambdaMinVersion) < 0:
		return glueUnsupported
	case semver.Compare(version, "v1.32.0") < 0:
		return glueLegacyContext
	case semver.Compare(version, "v1.40.0") < 0:
		return glueLegacyOptions
	case semver.Compare(version, "v1.46.0") < 0:
		return glueLegacyStream
	}
	return glueRuntimeLoop
}

// glueFiles are the files of each glue, by slash path in the module.
func (v glueVariant) files() map[string][]byte {
	switch v {
	case glueLegacyContext:
		return map[string][]byte{awsLambdaGlueFile: awsLambdaLegacyGlue, awsLambdaStartFile: awsLambdaStartContext}
	case glueLegacyOptions:
		return map[string][]byte{awsLambdaGlueFile: awsLambdaLegacyGlue, awsLambdaStartFile: awsLambdaStartOptions, awsLambdaHookFile: awsLambdaHook}
	case glueLegacyStream:
		return map[string][]byte{awsLambdaGlueFile: awsLambdaLegacyGlue, awsLambdaStartFile: awsLambdaStartStream, awsLambdaStreamFile: awsLambdaStream, awsLambdaHookFile: awsLambdaHook}
	}
	return map[string][]byte{awsLambdaGlueFile: awsLambdaGlue, awsLambdaStreamFile: awsLambdaStream, awsLambdaHookFile: awsLambdaHook}
}

// awsLambdaPatch is what fresco adds to aws-lambda-go.
type awsLambdaPatch struct {
	files map[string][]byte // by slash path relative to the module root
	sum   string            // hex SHA-256 of the files and their names
}

var (
	guestPackageClause = regexp.MustCompile(`(?m)^package guest$`)
	httpPackageClause  = regexp.MustCompile(`(?m)^package hosthttp$`)
)

// httpSourceFiles are adapters/hosthttp's files (hosthttp.Source) that the
// patch carries.
var httpSourceFiles = []string{"doc.go", "hosthttp.go", "imports_wasip1.go"}

// guestSourceFiles are adapters/guest's files (guest.Source) that the patch
// carries.
var guestSourceFiles = []string{"guest_wasip1.go", "snapshot_wasip1.go", "doc.go"}

// lambdaRuntimeDir is adapters/internal/lambdart in
// adapters.LambdaRuntimeSource, whose every file the patch carries.
const lambdaRuntimeDir = "internal/lambdart"

// awsLambdaPatches assemble, once each, the patch of each glue variant.
var awsLambdaPatches = func() (l [glueNumberOfGlues]func() (*awsLambdaPatch, error)) {
	for v := range l {
		l[v] = sync.OnceValues(func() (*awsLambdaPatch, error) { return loadAwsLambdaPatch(glueVariant(v)) })
	}
	return l
}()

// loadAwsLambdaPatch assembles the patch from the glue v, adapters/guest's
// own source, with only its package clause changed, and
// adapters/internal/lambdart's, unchanged.
func loadAwsLambdaPatch(v glueVariant) (*awsLambdaPatch, error) {
	p := &awsLambdaPatch{files: v.files()}
	for _, name := range guestSourceFiles {
		src, err := fs.ReadFile(guest.Source, name)
		if err != nil {
			return nil, fmt.Errorf("fresco guest source: %w", err)
		}
		if n := len(guestPackageClause.FindAllIndex(src, -1)); n != 1 {
			return nil, fmt.Errorf("fresco guest source %s: %d package clauses, want 1", name, n)
		}
		p.files[awsLambdaGuestDir+"/"+name] = guestPackageClause.ReplaceAll(src, []byte("package frescoguest"))
	}
	for _, name := range httpSourceFiles {
		src, err := fs.ReadFile(hosthttp.Source, name)
		if err != nil {
			return nil, fmt.Errorf("fresco hosthttp source: %w", err)
		}
		if n := len(httpPackageClause.FindAllIndex(src, -1)); n != 1 {
			return nil, fmt.Errorf("fresco hosthttp source %s: %d package clauses, want 1", name, n)
		}
		p.files[awsLambdaHTTPDir+"/"+name] = httpPackageClause.ReplaceAll(src, []byte("package frescohttp"))
	}
	runtime, err := fs.ReadDir(adapters.LambdaRuntimeSource, lambdaRuntimeDir)
	if err != nil || len(runtime) == 0 {
		return nil, fmt.Errorf("fresco lambdart source: %d files, %v", len(runtime), err)
	}
	for _, e := range runtime {
		src, err := fs.ReadFile(adapters.LambdaRuntimeSource, lambdaRuntimeDir+"/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("fresco lambdart source: %w", err)
		}
		p.files[awsLambdaRuntimeDir+"/"+e.Name()] = src
	}
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(p.files)) {
		hashFile(h, name, p.files[name])
	}
	if _, ok := p.files[awsLambdaHookFile]; ok {
		hashFile(h, "edit "+awsLambdaHandlerFile, []byte(newHandlerWraps.String()+newHandlerHook))
	}
	p.sum = hex.EncodeToString(h.Sum(nil))
	return p, nil
}

// awsLambdaBuild is the build of an unchanged aws-lambda-go handler.
type awsLambdaBuild struct {
	module *listedModule // aws-lambda-go, as the main module selects it
	goMod  string        // the main module's go.mod
	patch  *awsLambdaPatch
}

// version is the aws-lambda-go version the handler uses, for messages.
func (lb *awsLambdaBuild) version() string {
	if m := lb.module.Replace; m != nil && m.Version != "" {
		return m.Path + "@" + m.Version
	}
	if lb.module.Replace != nil {
		return lb.module.Version + " (replaced by " + lb.module.Replace.Path + ")"
	}
	return lb.module.Version
}

// awsLambdaBuildFor returns how to build the package dir whose go list
// -deps output is pkgs, or nil when it needs no patch.
func (r *buildRun) awsLambdaBuildFor(dir string, pkgs []*listedPackage, main *listedPackage) (*awsLambdaBuild, error) {
	var lambda *listedPackage
	for _, p := range pkgs {
		switch p.ImportPath {
		case frescoGuestPackage:
			return nil, nil
		case awsLambdaPackage:
			lambda = p
		}
	}
	if lambda == nil {
		return nil, nil
	}
	const how = "; import github.com/frescolabs/fresco/adapters/lambda instead of github.com/aws/aws-lambda-go/lambda"
	m := lambda.Module
	switch {
	case m == nil || main.Module == nil || main.Module.GoMod == "":
		return nil, errors.New("an unchanged aws-lambda-go handler must be in a Go module" + how)
	case m.Main:
		return nil, errors.New("cannot patch aws-lambda-go when it is the main module" + how)
	case fileExists(filepath.Join(filepath.Dir(main.Module.GoMod), "vendor", "modules.txt")):
		return nil, errors.New("cannot patch aws-lambda-go in a module with a vendor directory" + how)
	case m.Version == "" || m.Dir == "":
		return nil, fmt.Errorf("cannot patch aws-lambda-go: go list gives no version or directory for %s%s", m.Path, how)
	}
	// -modfile does not apply to a go.work, and the go command refuses it
	// in workspace mode.
	w, err := r.workspace(r.env, dir)
	if err != nil {
		return nil, err
	}
	if w != "" {
		return nil, fmt.Errorf("cannot patch aws-lambda-go in workspace mode (%s); set GOWORK=off%s", w, how)
	}
	// A release's version names its internals; a local directory's does
	// not (it may hold anything), so it gets the newest glue, and go build
	// says whether that compiles.
	version := m.Version
	switch {
	case m.Replace != nil && m.Replace.Version != "":
		version = m.Replace.Version
	case m.Replace != nil:
		version = ""
	}
	glue := glueFor(version)
	if glue == glueUnsupported {
		return nil, fmt.Errorf("aws-lambda-go %s is older than %s, the oldest fresco builds unchanged handlers with; "+
			"upgrade it (go get %s@%s or later)%s", version, awsLambdaMinVersion, awsLambdaModule, awsLambdaMinVersion, how)
	}
	patch, err := awsLambdaPatches[glue]()
	if err != nil {
		return nil, err
	}
	return &awsLambdaBuild{module: m, goMod: main.Module.GoMod, patch: patch}, nil
}

// dir returns the patched copy of aws-lambda-go the build uses.
func (lb *awsLambdaBuild) dir(r *buildRun, tmp string) (string, error) {
	return r.patchedCopy(tmp, lb.module, "awslambda", lb.patch.sum,
		"Patching aws-lambda-go "+lb.version()+" for unchanged handlers", lb.makeCopy)
}

// makeCopy copies the module's directory to dst, writable, and adds the
// patch.
func (lb *awsLambdaBuild) makeCopy(dst string) error {
	if err := copyModule(lb.module.Dir, dst); err != nil {
		return err
	}
	if err := raiseGoVersion(filepath.Join(dst, "go.mod"), guestGoVersion); err != nil {
		return fmt.Errorf("copy %s: %w", lb.module.Dir, err)
	}
	if err := writeFiles(dst, lb.patch.files); err != nil {
		return err
	}
	if _, ok := lb.patch.files[awsLambdaHookFile]; ok {
		return hookNewHandler(filepath.Join(dst, filepath.FromSlash(awsLambdaHandlerFile)))
	}
	return nil
}

// hookNewHandler makes newHandler in the file at path call
// frescoNewHandler with what it wraps. A version whose newHandler has no
// such line (none known) is left as it is: the glue then has no stand-in
// to warm with, and every invocation fills reflect's and encoding/json's
// caches again, as before the hook.
func hookNewHandler(path string) error {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a local replacement may hold anything: go build says whether it compiles
	}
	if err != nil {
		return err
	}
	if len(newHandlerWraps.FindAllIndex(src, -1)) != 1 {
		return nil
	}
	return os.WriteFile(path, newHandlerWraps.ReplaceAll(src, []byte("$0"+newHandlerHook)), 0o644)
}

// guestGoVersion is the language version fresco's guest code, which the
// patch adds to the module, is written in (it uses any). aws-lambda-go
// before v1.30.0 declares go 1.12.
const guestGoVersion = "1.18"

// raiseGoVersion makes the go directive of the go.mod at path at least
// version. Only the copy's go.mod changes, and only the language version
// of aws-lambda-go's own packages and the patch's with it: the main
// module's, which governs the handler's code, stays as its go.mod says.
func raiseGoVersion(path, want string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := modfile.ParseLax(path, data, nil)
	if err != nil {
		return err
	}
	if f.Go != nil && version.Compare("go"+f.Go.Version, "go"+want) >= 0 {
		return nil
	}
	if err := f.AddGoStmt(want); err != nil {
		return err
	}
	out, err := f.Format()
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// UnsupportedAwsLambdaError is the build of an unchanged aws-lambda-go
// handler that failed because that aws-lambda-go version lacks an internal
// that fresco's glue uses.
type UnsupportedAwsLambdaError struct {
	Functions []string
	Version   string // of aws-lambda-go, as the handler's go.mod selects it
	Output    string // what go build printed
}

func (e *UnsupportedAwsLambdaError) Error() string {
	return fmt.Sprintf("build %s: aws-lambda-go %s is not supported for unchanged handlers: "+
		"fresco adds a start function to its lambda package that uses aws-lambda-go's internals, "+
		"and this version lacks some of them. Supported: aws-lambda-go %s and later (tested with %s). "+
		"Upgrade it (go get %s@latest), or import github.com/frescolabs/fresco/adapters/lambda "+
		"instead of github.com/aws/aws-lambda-go/lambda. go build said:\n%s",
		strings.Join(e.Functions, ", "), e.Version, awsLambdaMinVersion, awsLambdaTestedVersions,
		awsLambdaModule, e.Output)
}

// Unwrap gives the failed go build, as a *BuildError.
func (e *UnsupportedAwsLambdaError) Unwrap() error {
	return &BuildError{Functions: e.Functions, Output: e.Output}
}

// buildFailure is the error of a go build that printed output: an
// *UnsupportedAwsLambdaError when the glue did not compile, else a
// *BuildError.
func (lb *awsLambdaBuild) buildFailure(ids []string, output string, err error) error {
	if lb != nil && (strings.Contains(output, path.Base(awsLambdaGlueFile)) || strings.Contains(output, path.Base(awsLambdaStartFile)) ||
		strings.Contains(output, path.Base(awsLambdaStreamFile))) {
		return &UnsupportedAwsLambdaError{Functions: ids, Version: lb.version(), Output: output}
	}
	return &BuildError{Functions: ids, Output: output, Err: err}
}
