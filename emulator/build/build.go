package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/wasmbin"
)

// DefaultBuildParallel is how many go builds a Builder runs at once unless
// told otherwise: the machines fresco targets have two cores, and one go
// build already uses several.
const DefaultBuildParallel = 2

// buildHashVersion changes whenever what goes into a build hash changes, so
// that old artifacts are not mistaken for new ones.
const buildHashVersion = "fresco build 1"

// Builder turns functions' CodeUri into WebAssembly modules.
//
// A CodeUri that is a .wasm file is used as it is. A directory holding a Go
// main package is built as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o OUT .
//
// into CacheDir/HASH.wasm, where HASH is a SHA-256 of everything the build
// reads (see Builder.Build). An artifact that exists is up to date, so
// nothing is rebuilt when nothing changed, whatever the files' times say,
// and switching back to an earlier version of the code finds its artifact
// again.
//
// A package that imports github.com/aws/aws-lambda-go/lambda and no fresco
// adapter (an unchanged aws-lambda-go handler) is built against a patched
// copy of aws-lambda-go, made once per version in CacheDir/awslambda and
// selected with -modfile; see awslambda.go.
//
// A package that imports github.com/frescolabs/fresco/adapters/... from a
// module whose go.mod neither requires nor replaces fresco is built
// against the adapters fresco carries (adapters.ModuleSource), written once
// per content hash into CacheDir/fresco and selected with -modfile too, so
// that the user's go.mod needs no edit; see supply.go.
//
// A sam.ModeNative function is built for this machine instead, unpatched:
//
//	CGO_ENABLED=0 GOOS=<host> GOARCH=<host> go build -trimpath -o OUT/bootstrap .
//
// into CacheDir/HASH.native/bootstrap, skipped by content hash the same
// way. A sam.ModeBootstrap function's artifact is its CodeUri/bootstrap, as it
// is.
type Builder struct {
	// CacheDir holds the artifacts (default os.UserCacheDir()/fresco/build).
	CacheDir string
	// Out receives one progress line per function and step; nil for none.
	Out io.Writer
	// Parallel bounds the concurrent go builds (default
	// DefaultBuildParallel).
	Parallel int
	// BuildFlags are extra go build flags (e.g. -tags=x, -ldflags=-s).
	// They are passed to go list as well, so that the hash sees the files
	// the build will see.
	BuildFlags []string
	// Overlay, if not nil, is asked for an overlay file (go build's
	// -overlay) for each package directory; an empty path means none. The
	// overlay and the files it maps are part of the build hash.
	Overlay func(dir string) (string, error)
}

// BuildError is a go build that failed, usually a compile error. Output is
// what the go command printed.
type BuildError struct {
	// Functions are the logical ids of the functions whose code it is.
	Functions []string
	Output    string
	Err       error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("build %s: go build failed:\n%s", strings.Join(e.Functions, ", "), e.Output)
}

func (e *BuildError) Unwrap() error { return e.Err }

// Build returns, for every function, the path of its WebAssembly module (or
// of its bootstrap executable, for a process function), building what is
// not up to date.
//
// A build's hash covers the go toolchain (GOVERSION), GOOS/GOARCH, the
// GOFLAGS/GOEXPERIMENT/GOWASM settings, the build flags, the overlay and
// the files it maps, and, for every package the main package depends on
// outside GOROOT (go list -deps): module path@version for a package from the
// module cache, else the contents and module-relative names of its Go,
// cgo, assembly and embedded files; plus the main module's go.mod and
// go.sum, for an unchanged aws-lambda-go handler, fresco's patch, and for
// a module that is supplied fresco's module, that module's files.
// -trimpath keeps absolute paths out of the binary (all but the patched
// copy's, in the build info), so they are kept out of the hash too.
//
// Functions with the same CodeUri, or with different directories whose
// inputs hash the same, are built once. Artifacts are written to a
// temporary directory and renamed into place, so a concurrent Build (another
// process too) never reads a partial file.
func (b *Builder) Build(ctx context.Context, fns []*sam.FunctionSpec) (map[string]string, error) {
	parallel := b.Parallel
	if parallel <= 0 {
		parallel = DefaultBuildParallel
	}
	r := &buildRun{
		b:         b,
		ctx:       ctx,
		cacheDir:  b.CacheDir,
		out:       b.Out,
		goBin:     goCommand(),
		env:       append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm"),
		nativeEnv: append(os.Environ(), "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0"),
		buildSem:  make(chan struct{}, parallel),
		listSem:   make(chan struct{}, 2*parallel),
		flights:   map[string]*buildFlight{},
	}
	if r.cacheDir == "" {
		r.cacheDir = filepath.Join(DefaultCacheDir(""), "build")
	}
	// go build runs in the package directory: every path it is given must
	// be absolute.
	var err error
	if r.cacheDir, err = filepath.Abs(r.cacheDir); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	if r.out == nil {
		r.out = io.Discard
	}

	artifacts, units, errs := r.plan(fns)
	if len(units) > 0 {
		if err := os.MkdirAll(r.cacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("build: create cache directory: %w", err)
		}
		paths := make([]string, len(units))
		unitErrs := make([]error, len(units))
		var wg sync.WaitGroup
		for i, u := range units {
			wg.Go(func() { paths[i], unitErrs[i] = r.buildUnit(u) })
		}
		wg.Wait()
		for i, u := range units {
			if unitErrs[i] != nil {
				errs = append(errs, unitErrs[i])
				continue
			}
			for _, fn := range u.fns {
				artifacts[fn.LogicalID] = paths[i]
			}
		}
	}
	// On failure the map still holds what did build: fresco start --watch
	// swaps those in and keeps serving the previous build of the rest.
	return artifacts, errors.Join(errs...)
}

// plan sorts fns into what needs no build (a bootstrap, a ready .wasm:
// their artifacts, checked) and the build units of Go packages: one per
// directory and kind (wasm or native).
func (r *buildRun) plan(fns []*sam.FunctionSpec) (artifacts map[string]string, units []*buildUnit, errs []error) {
	artifacts = map[string]string{}
	type unitKey struct {
		dir    string
		native bool
	}
	byDir := map[unitKey]*buildUnit{}
	seen := map[string]bool{}
	for _, fn := range fns {
		if seen[fn.LogicalID] {
			continue
		}
		seen[fn.LogicalID] = true
		codeURI, err := filepath.Abs(fn.CodeURI)
		if err != nil {
			errs = append(errs, fmt.Errorf("build %s: %w", fn.LogicalID, err))
			continue
		}
		if fn.Mode == sam.ModeBootstrap {
			bootstrap := filepath.Join(codeURI, "bootstrap")
			if !sam.IsExecutable(bootstrap) {
				errs = append(errs, fmt.Errorf("build %s: %s is not an executable file", fn.LogicalID, displayPath(bootstrap)))
				continue
			}
			if err := checkBootstrap(bootstrap, codeURI); err != nil {
				errs = append(errs, fmt.Errorf("build %s: %w", fn.LogicalID, err))
				continue
			}
			artifacts[fn.LogicalID] = bootstrap
			r.printf("%s runs %s", fn.LogicalID, displayPath(bootstrap))
			continue
		}
		info, err := os.Stat(codeURI)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("build %s: CodeUri %s does not exist", fn.LogicalID, fn.CodeURI))
		case err != nil:
			errs = append(errs, fmt.Errorf("build %s: %w", fn.LogicalID, err))
		case info.IsDir():
			key := unitKey{codeURI, fn.Mode == sam.ModeNative}
			u := byDir[key]
			if u == nil {
				u = &buildUnit{dir: codeURI, native: key.native}
				byDir[key] = u
				units = append(units, u)
			}
			u.fns = append(u.fns, fn)
		case fn.Mode == sam.ModeNative:
			errs = append(errs, fmt.Errorf("build %s: FrescoMode native needs a Go package directory as CodeUri, not %s", fn.LogicalID, displayPath(fn.CodeURI)))
		default:
			if err := checkWasmFile(fn.CodeURI); err != nil {
				errs = append(errs, fmt.Errorf("build %s: %w", fn.LogicalID, err))
				continue
			}
			artifacts[fn.LogicalID] = fn.CodeURI
			r.printf("%s uses %s", fn.LogicalID, displayPath(fn.CodeURI))
		}
	}

	return artifacts, units, errs
}

// buildRun is the state of one Build call.
type buildRun struct {
	b        *Builder
	ctx      context.Context
	cacheDir string
	goBin    string
	env      []string // for wasm builds
	// nativeEnv is for sam.ModeNative builds: this machine, no cgo.
	nativeEnv []string
	buildSem  chan struct{} // bounds go build
	listSem   chan struct{} // bounds go list

	outMu sync.Mutex
	out   io.Writer

	mu         sync.Mutex
	flights    map[string]*buildFlight // by hash
	workspaces map[string]string       // by environment and directory (workspace)
}

// buildUnit is the functions sharing one package directory and target
// (wasm or native).
type buildUnit struct {
	dir    string
	native bool
	fns    []*sam.FunctionSpec
}

// envFor is the go command's environment for a wasm or a native build.
func (r *buildRun) envFor(native bool) []string {
	if native {
		return r.nativeEnv
	}
	return r.env
}

func (u *buildUnit) ids() []string {
	ids := make([]string, len(u.fns))
	for i, fn := range u.fns {
		ids[i] = fn.LogicalID
	}
	return ids
}

// buildFlight is one artifact being made; units whose inputs hash the same
// wait for the first.
type buildFlight struct {
	done   chan struct{}
	err    error
	output string // go build's output when it failed
}

func (r *buildRun) printf(format string, args ...any) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	fmt.Fprintf(r.out, format+"\n", args...)
}

// snapshotTags and snapshotLdflags build a Go guest snapshot-safe: the
// fresco_snapshot tag compiles in adapters/guest's reseeding of the Go
// runtime's random state, which needs the linker's linkname check off
// (docs/abi.md, "Snapshots"). A build without them runs its init on every
// invocation.
const (
	snapshotTags    = "-tags=fresco_snapshot"
	snapshotLdflags = "-ldflags=-checklinkname=0"
)

func (r *buildRun) buildUnit(u *buildUnit) (string, error) {
	ids := u.ids()
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("build %s: %w", strings.Join(ids, ", "), err)
	}
	var overlay string
	if r.b.Overlay != nil {
		var err error
		if overlay, err = r.b.Overlay(u.dir); err != nil {
			return fail(fmt.Errorf("overlay: %w", err))
		}
		if overlay != "" {
			if overlay, err = filepath.Abs(overlay); err != nil {
				return fail(fmt.Errorf("overlay: %w", err))
			}
		}
	}
	if overlay == "" && !hasGoFiles(u.dir) {
		return fail(fmt.Errorf("CodeUri %s is neither a .wasm file nor a directory with a Go main package (it has no .go files)", displayPath(u.dir)))
	}
	flags := append([]string{"-buildmode=c-shared", "-trimpath", snapshotTags, snapshotLdflags}, r.b.BuildFlags...)
	if u.native {
		flags = append([]string{"-trimpath"}, r.b.BuildFlags...)
	}
	if overlay != "" {
		flags = append(flags, "-overlay="+overlay)
	}

	if err := acquire(r.ctx, r.listSem); err != nil {
		return fail(err)
	}
	sum, lb, supply, sdk, err := r.hash(u.dir, u.native, flags, overlay)
	<-r.listSem
	defer supply.remove()
	if err != nil {
		return fail(err)
	}
	path := filepath.Join(r.cacheDir, sum+".wasm")
	if u.native {
		path = filepath.Join(r.cacheDir, sum+".native", "bootstrap")
	}

	r.mu.Lock()
	f, follower := r.flights[sum]
	if !follower {
		f = &buildFlight{done: make(chan struct{})}
		r.flights[sum] = f
	}
	r.mu.Unlock()

	if follower {
		select {
		case <-f.done:
		case <-r.ctx.Done():
			return fail(r.ctx.Err())
		}
	} else {
		f.output, f.err = r.make(u, path, flags, lb, supply, sdk)
		close(f.done)
	}
	switch {
	case f.output != "":
		return "", lb.buildFailure(ids, f.output, f.err)
	case f.err != nil:
		return fail(f.err)
	}
	if follower {
		for _, id := range ids {
			r.printf("%s is up to date", id)
		}
	}
	return path, nil
}

// make produces the artifact at path unless it exists. On a failed go
// build it returns the command's output. lb, if not nil, is an unchanged
// aws-lambda-go handler's patch; supply, if not nil, fresco's module
// supplied to a module that does not require it; sdk, if not nil, the
// patched copy of aws-sdk-go-v2 (its HTTP client through the host).
func (r *buildRun) make(u *buildUnit, path string, flags []string, lb *awsLambdaBuild, supply *frescoSupply, sdk *awsSDKBuild) (output string, err error) {
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && info.Size() > 0 {
		for _, fn := range u.fns {
			r.printf("%s is up to date", fn.LogicalID)
		}
		return "", nil
	}
	if err := acquire(r.ctx, r.buildSem); err != nil {
		return "", err
	}
	defer func() { <-r.buildSem }()

	start := time.Now()
	for _, fn := range u.fns {
		if u.native {
			r.printf("Building %s (%s) natively for %s/%s ...", fn.LogicalID, displayPath(u.dir), runtime.GOOS, runtime.GOARCH)
			continue
		}
		r.printf("Building %s (%s) ...", fn.LogicalID, displayPath(u.dir))
	}
	if supply != nil {
		for _, fn := range u.fns {
			r.printf("%s imports fresco's adapters: %s", fn.LogicalID, supply.describe())
		}
	}
	tmp, err := os.MkdirTemp(r.cacheDir, ".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	// The patched modules replace theirs in a generated go.mod: the user's,
	// or the one that supplies fresco's module (lb.goMod and sdk.goMod are
	// then that one).
	var replaces []string
	var goMod string
	if lb != nil {
		dir, err := lb.dir(r, tmp)
		if err != nil {
			return "", fmt.Errorf("patch aws-lambda-go: %w", err)
		}
		replaces, goMod = append(replaces, replaceBy(lb.module, dir)), lb.goMod
	}
	if sdk != nil {
		dir, err := sdk.dir(r, tmp)
		if err != nil {
			return "", fmt.Errorf("patch aws-sdk-go-v2: %w", err)
		}
		replaces, goMod = append(replaces, replaceBy(sdk.module, dir)), sdk.goMod
	}
	switch {
	case len(replaces) > 0:
		modfile, err := r.writeModfile(tmp, goMod, replaces)
		if err != nil {
			return "", fmt.Errorf("patch modules: %w", err)
		}
		flags = append(flags[:len(flags):len(flags)], modfile)
		if supply != nil {
			flags = append(flags, "-mod=mod")
		}
	case supply != nil:
		flags = append(flags[:len(flags):len(flags)], supply.flags()...)
	}
	out := filepath.Join(tmp, "out.wasm")
	if u.native {
		out = filepath.Join(tmp, "out", "bootstrap")
	}
	args := append(append([]string{"build"}, flags...), "-o", out, ".")
	cmd := exec.CommandContext(r.ctx, r.goBin, args...)
	cmd.Dir = u.dir
	cmd.Env = r.envFor(u.native)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	if err := cmd.Run(); err != nil {
		if r.ctx.Err() != nil {
			return "", r.ctx.Err()
		}
		output := strings.TrimSpace(buf.String())
		if output == "" {
			output = err.Error()
		}
		return output, err
	}
	if u.native {
		// The directory is renamed into place: another build that got there
		// first made the same bytes.
		if err := os.Rename(filepath.Dir(out), filepath.Dir(path)); err != nil && !fileExists(path) {
			return "", fmt.Errorf("store artifact: %w", err)
		}
	} else if err := os.Rename(out, path); err != nil {
		return "", fmt.Errorf("store artifact: %w", err)
	}
	elapsed := time.Since(start)
	for _, fn := range u.fns {
		r.printf("Built %s in %.1fs", fn.LogicalID, elapsed.Seconds())
	}
	return "", nil
}

// listedPackage is what Build reads of go list -json.
type listedPackage struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool
	DepOnly    bool
	GoFiles    []string
	CgoFiles   []string
	SFiles     []string
	EmbedFiles []string
	Module     *listedModule
	Error      *struct{ Err string }
}

type listedModule struct {
	Path    string
	Version string
	Dir     string
	GoMod   string
	Main    bool
	Replace *listedModule
}

// hash returns the hex SHA-256 of a package directory's build inputs (see
// Build), and, for an unchanged aws-lambda-go handler, how to patch
// aws-lambda-go, and, for a package that imports fresco's adapters from a
// module that does not require fresco, how to supply fresco's module. The
// caller removes the supply's generated go.mod (supply.remove) after the
// build, whatever the error.
func (r *buildRun) hash(dir string, native bool, flags []string, overlay string) (sum string, lb *awsLambdaBuild, supply *frescoSupply, sdk *awsSDKBuild, err error) {
	h := sha256.New()
	if native {
		fmt.Fprintf(h, "%s\nnative\nGOOS=%s\nGOARCH=%s\nCGO_ENABLED=0\n", buildHashVersion, runtime.GOOS, runtime.GOARCH)
	} else {
		fmt.Fprintf(h, "%s\nGOOS=wasip1\nGOARCH=wasm\n", buildHashVersion)
	}
	env := r.envFor(native)
	if err := r.hashToolchain(h, env, dir, native, flags); err != nil {
		return "", nil, supply, nil, err
	}
	replace, err := hashOverlay(h, dir, overlay)
	if err != nil {
		return "", nil, supply, nil, err
	}
	pkgs, main, err := r.listDeps(env, dir, flags)
	if err != nil {
		return "", nil, supply, nil, err
	}
	// The user's go.mod and go.sum are hashed as they are, even when the
	// build reads a generated go.mod.
	userMain := main
	// A package of fresco's that no module provides: list again with the
	// supplied module, so that the packages, aws-lambda-go's version and
	// whether the ABI is there already are the build's.
	if supply, err = r.frescoSupplyFor(dir, env, pkgs, main); err != nil {
		return "", nil, supply, nil, err
	}
	if supply != nil {
		fmt.Fprintf(h, "fresco module %s\n", supply.src.sum)
		if pkgs, main, err = r.listDeps(env, dir, append(flags[:len(flags):len(flags)], supply.flags()...)); err != nil {
			return "", nil, supply, nil, err
		}
		if err := supply.noteRaised(); err != nil {
			return "", nil, supply, nil, fmt.Errorf("supply %s: %w", frescoModule, err)
		}
	}
	// An unchanged aws-lambda-go handler is built to wasm with fresco's
	// patch, so the patch is an input. Native builds run aws-lambda-go's
	// own runtime client, unpatched.
	if !native {
		if lb, err = r.awsLambdaBuildFor(dir, pkgs, main); err != nil {
			return "", nil, supply, nil, err
		}
	}
	if lb != nil {
		fmt.Fprintf(h, "awslambda patch %s\n", lb.patch.sum)
	}
	// aws-sdk-go-v2's patch too; what it edits is in the module version
	// hashed below.
	if !native {
		if sdk, err = r.awsSDKBuildFor(dir, pkgs, main); err != nil {
			return "", nil, supply, nil, err
		}
	}
	if sdk != nil {
		fmt.Fprintf(h, "awssdk patch %s\n", awsSDKPatchSum)
	}
	for _, p := range pkgs {
		if err := hashPackage(h, p, replace); err != nil {
			return "", nil, supply, nil, err
		}
	}
	if m := userMain.Module; m != nil && m.GoMod != "" {
		for _, path := range []string{m.GoMod, filepath.Join(filepath.Dir(m.GoMod), "go.sum")} {
			data, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", nil, supply, nil, err
			}
			hashFile(h, filepath.Base(path), data)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), lb, supply, sdk, nil
}

// hashToolchain hashes the go command's view of the build: its version and
// the variables that change what it compiles, and the flags. The toolchain
// is asked in the package's directory, since a go.mod there may select
// another one (GOTOOLCHAIN).
func (r *buildRun) hashToolchain(h hash.Hash, env []string, dir string, native bool, flags []string) error {
	vars := []string{"env", "-json", "GOVERSION", "GOFLAGS", "GOEXPERIMENT", "GOWASM"}
	if native {
		vars = append(vars, "GOAMD64", "GOARM64")
	}
	goenv, err := r.goCmdEnv(env, dir, vars...)
	if err != nil {
		return err
	}
	h.Write(goenv)
	for _, f := range flags {
		fmt.Fprintf(h, "flag %q\n", f)
	}
	return nil
}

// hashOverlay hashes a -overlay file and the files it maps, and returns
// its replacements: absolute path -> replacement ("" deletes the file).
func hashOverlay(h hash.Hash, dir, overlay string) (map[string]string, error) {
	replace := map[string]string{}
	if overlay == "" {
		return replace, nil
	}
	data, err := os.ReadFile(overlay)
	if err != nil {
		return nil, fmt.Errorf("overlay: %w", err)
	}
	hashFile(h, "overlay", data)
	var ov struct{ Replace map[string]string }
	if err := json.Unmarshal(data, &ov); err != nil {
		return nil, fmt.Errorf("overlay %s: %w", overlay, err)
	}
	for _, from := range slices.Sorted(maps.Keys(ov.Replace)) {
		to := ov.Replace[from]
		// The go command resolves relative overlay paths against its
		// working directory, the package directory.
		if to != "" && !filepath.IsAbs(to) {
			to = filepath.Join(dir, to)
		}
		if !filepath.IsAbs(from) {
			from = filepath.Join(dir, from)
		}
		replace[filepath.Clean(from)] = to
		var data []byte
		if to != "" {
			if data, err = os.ReadFile(to); err != nil {
				return nil, fmt.Errorf("overlay %s: %w", overlay, err)
			}
		}
		hashFile(h, "overlay "+from, data)
	}
	return replace, nil
}

// listDeps lists the package in dir and its dependencies (go list -deps),
// and returns them with the main package.
func (r *buildRun) listDeps(env []string, dir string, flags []string) (pkgs []*listedPackage, main *listedPackage, err error) {
	// -e: a package with errors (a missing import, say) is still listed,
	// and go build then reports the problem the way users know.
	listArgs := append(append([]string{"list", "-deps", "-json", "-e"}, flags...), ".")
	listed, err := r.goCmdEnv(env, dir, listArgs...)
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(listed))
	for dec.More() {
		p := new(listedPackage)
		if err := dec.Decode(p); err != nil {
			return nil, nil, fmt.Errorf("go list: %w", err)
		}
		pkgs = append(pkgs, p)
		if !p.DepOnly && main == nil {
			main = p
		}
	}
	if main == nil {
		return nil, nil, fmt.Errorf("go list %s: no package", displayPath(dir))
	}
	if main.Name != "" && main.Name != "main" {
		return nil, nil, fmt.Errorf("CodeUri %s is package %s, not a main package", displayPath(dir), main.Name)
	}
	return pkgs, main, nil
}

// hashPackage hashes one dependency: its module version when it comes from
// the module cache, else its source files (as the overlay replaces them).
func hashPackage(h hash.Hash, p *listedPackage, replace map[string]string) error {
	if p.Standard {
		return nil
	}
	fmt.Fprintf(h, "package %s\n", p.ImportPath)
	if p.Error != nil {
		fmt.Fprintf(h, "error %q\n", p.Error.Err)
	}
	if mv := moduleVersion(p.Module); mv != "" {
		fmt.Fprintf(h, "module %s\n", mv)
		return nil
	}
	root := p.Dir
	if p.Module != nil && p.Module.Dir != "" {
		root = p.Module.Dir
	}
	var files []string
	for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.SFiles, p.EmbedFiles} {
		files = append(files, list...)
	}
	sort.Strings(files)
	for _, f := range files {
		path := filepath.Join(p.Dir, f)
		src := path
		if to, ok := replace[path]; ok {
			if to == "" {
				continue // deleted by the overlay
			}
			src = to
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		name, err := filepath.Rel(root, path)
		if err != nil {
			name = path
		}
		hashFile(h, "file "+filepath.ToSlash(name), data)
	}
	return nil
}

// goCmd runs the go command in dir for GOOS=wasip1 GOARCH=wasm and returns
// its standard output.
func (r *buildRun) goCmd(dir string, args ...string) ([]byte, error) {
	return r.goCmdEnv(r.env, dir, args...)
}

// goCmdEnv runs the go command in dir with env and returns its standard
// output.
func (r *buildRun) goCmdEnv(env []string, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(r.ctx, r.goBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if r.ctx.Err() != nil {
			return nil, r.ctx.Err()
		}
		return nil, fmt.Errorf("go %s failed: %w\n%s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// moduleVersion is path@version for a module whose files are fixed by its
// version (the module cache), else empty (the main module, a workspace
// module, a replacement by a local directory).
func moduleVersion(m *listedModule) string {
	switch {
	case m == nil || m.Main:
		return ""
	case m.Replace != nil:
		if m.Replace.Version == "" {
			return ""
		}
		return m.Replace.Path + "@" + m.Replace.Version
	case m.Version == "":
		return ""
	}
	return m.Path + "@" + m.Version
}

// hashFile adds a named, length-prefixed blob to h, so that no two
// different sets of files hash the same by shifting bytes between them.
func hashFile(h hash.Hash, name string, data []byte) {
	fmt.Fprintf(h, "%s %d\n", name, len(data))
	h.Write(data)
}

// goCommand is the go command of the toolchain fresco was built with, if it
// is still there, else the one on PATH.
func goCommand() string {
	exe := "go"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if p := filepath.Join(runtime.GOROOT(), "bin", exe); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

func hasGoFiles(dir string) bool {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(matches) > 0
}

// checkWasmFile accepts a .wasm file that starts with the WebAssembly
// magic number.
func checkWasmFile(path string) error {
	if !strings.HasSuffix(path, ".wasm") {
		return fmt.Errorf("CodeUri %s is neither a .wasm file nor a directory with a Go main package", displayPath(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(wasmbin.Magic))
	switch _, err := io.ReadFull(f, head); {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), err == nil && string(head) != wasmbin.Magic:
		return fmt.Errorf("CodeUri %s is not a WebAssembly module (it does not start with \\0asm)", displayPath(path))
	case err != nil:
		return fmt.Errorf("read CodeUri %s: %w", displayPath(path), err)
	}
	return nil
}

// displayPath is path relative to the working directory when it is inside
// it, for messages.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DefaultCacheDir is dir, or when it is empty the fresco folder of the
// user's cache directory: build artifacts go in its build folder, wazero's
// compiled code in its wazero folder.
func DefaultCacheDir(dir string) string {
	if dir != "" {
		return dir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "fresco")
}

// checkBootstrap refuses a bootstrap that cannot run here (an executable
// for another architecture or system, which would fail every invocation
// with "exec format error") or that is older than Go sources in its
// directory (a stale cross-compile left beside them); deleting it makes
// fresco build those sources to wasm instead.
func checkBootstrap(bootstrap, dir string) error {
	const fix = "rebuild it for this machine, or delete it and fresco builds the Go package beside it to wasm"
	if f, err := elf.Open(bootstrap); err == nil {
		machine, class := f.Machine, f.Class
		f.Close()
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "386": elf.EM_386, "arm": elf.EM_ARM, "riscv64": elf.EM_RISCV, "ppc64le": elf.EM_PPC64, "s390x": elf.EM_S390}
		if m, ok := want[runtime.GOARCH]; ok && (machine != m || runtime.GOOS != "linux") {
			return fmt.Errorf("%s is an executable for %s (%s), which cannot run on this %s/%s machine: %s",
				displayPath(bootstrap), strings.TrimPrefix(machine.String(), "EM_"), class, runtime.GOOS, runtime.GOARCH, fix)
		}
	}
	info, err := os.Stat(bootstrap)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		if src, err := e.Info(); err == nil && src.ModTime().After(info.ModTime()) {
			return fmt.Errorf("%s is older than %s beside it, so it is not a build of it: %s",
				displayPath(bootstrap), e.Name(), fix)
		}
	}
	return nil
}
