package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"

	"github.com/frescolabs/fresco/adapters"
)

// A function whose package (or a package it imports) imports
// github.com/frescolabs/fresco/adapters/... from a module that neither
// requires nor replaces fresco's module, and is not fresco itself, gets the
// module from the builder: a copy of fresco's guest packages
// (adapters.ModuleSource, tests left out) with a go.mod of its own, written
// once per content hash into CacheDir/fresco, and selected with
// go build -modfile, a generated go.mod that is the main module's plus a
// requirement and a replace directive. The user's go.mod and go.sum are
// never touched. See RATIONALE.md, "Unchanged handlers".
const (
	frescoModule = "github.com/frescolabs/fresco"
	// frescoPseudoVersion is the version the generated go.mod requires: the
	// replacement by a directory gives the files, so any version does, and
	// this one is what go mod edit writes for a module that has none.
	frescoPseudoVersion = "v0.0.0-00010101000000-000000000000"
)

// The supplied module's requirements are the lowest the adapters compile
// with, so that the build list of a module that imports them rises as
// little as it can (minimal version selection keeps any higher version the
// user's go.mod has):
//
//   - go 1.20: unsafe.StringData (adapters/cache) needs it. The adapters'
//     loops capture no loop variable, so the per-iteration semantics of
//     go 1.22 change nothing in them. A go directive before 1.21 is
//     advisory, so it raises no main module's; a go 1.21 or later one
//     would raise the main module's in the generated go.mod, and with it
//     the language version of the user's own code.
//   - aws-lambda-go v1.45.0 (go 1.18): adapters/lambda re-exports
//     WithContextValue, WithUseNumber and WithDisallowUnknownFields, which
//     v1.40.0 lacks. Not fresco's own v1.55.1: its go.mod says go 1.26,
//     which would raise every handler's module to go 1.26.
//
// adaptersSums are the go.sum lines of those requirements (as
// sum.golang.org has them). They are added to the generated go.sum when the
// user's lacks them, so a project that never required aws-lambda-go builds
// without a checksum database (and offline, from the module cache), and a
// module from a proxy is still checked against them.
const adaptersGoVersion = "1.20"

var (
	adaptersRequirements = map[string]string{awsLambdaModule: "v1.45.0"}
	adaptersSums         = []string{
		"github.com/aws/aws-lambda-go v1.45.0 h1:3xS35Dlc8ffmcwfcKTyqJGiMuL0UDvkQaVUrI5yHycI=",
		"github.com/aws/aws-lambda-go v1.45.0/go.mod h1:dpMpZgvWx5vuQJfBt0zqBha60q7Dd7RfgJv23DymV8A=",
	}
)

// frescoSource is the module the builder supplies.
type frescoSource struct {
	files map[string][]byte // by slash path relative to the module root, go.mod included
	sum   string            // hex SHA-256 of the files and their names
}

// loadFrescoSource assembles the supplied module, once.
var loadFrescoSource = sync.OnceValues(func() (*frescoSource, error) {
	s := &frescoSource{files: map[string][]byte{}}
	err := fs.WalkDir(adapters.ModuleSource, ".", func(name string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "testdata":
			return fs.SkipDir
		case d.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go"):
			return nil
		}
		data, err := fs.ReadFile(adapters.ModuleSource, name)
		if err != nil {
			return err
		}
		s.files["adapters/"+name] = data
		return nil
	})
	if err != nil || len(s.files) == 0 {
		return nil, fmt.Errorf("fresco adapters source: %d files, %v", len(s.files), err)
	}
	s.files["go.mod"] = adaptersGoMod()
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(s.files)) {
		hashFile(h, name, s.files[name])
	}
	s.sum = hex.EncodeToString(h.Sum(nil))
	return s, nil
})

// adaptersGoMod is the supplied module's go.mod.
func adaptersGoMod() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "module %s\n\ngo %s\n", frescoModule, adaptersGoVersion)
	for _, p := range slices.Sorted(maps.Keys(adaptersRequirements)) {
		fmt.Fprintf(&b, "\nrequire %s %s\n", p, adaptersRequirements[p])
	}
	return b.Bytes()
}

// frescoSupply is one build's use of the supplied module.
type frescoSupply struct {
	src  *frescoSource
	dir  string // the module's copy in CacheDir/fresco
	work string // a temporary directory holding the generated go.mod and go.sum
	// userGoMod is the main module's go.mod, as the user wrote it.
	userGoMod string
	// raised says what minimal version selection changed in the generated
	// go.mod against the user's ("github.com/aws/aws-lambda-go v1.36.1 →
	// v1.45.0"), for the build's output line.
	raised []string
}

// goMod is the generated go.mod.
func (s *frescoSupply) goMod() string { return filepath.Join(s.work, "go.mod") }

// flags select the generated go.mod. -mod=mod lets the go command complete
// it (the requirements the supplied module brings, a go directive or a
// version minimal version selection raises) in the temporary copy only;
// the sums it needs are there already (adaptersSums), so it asks no
// checksum database for them.
func (s *frescoSupply) flags() []string {
	return []string{"-modfile=" + s.goMod(), "-mod=mod"}
}

// remove deletes the generated go.mod; the module's copy stays in the cache.
func (s *frescoSupply) remove() {
	if s != nil {
		os.RemoveAll(s.work)
	}
}

// describe is the build's output line about the supply.
func (s *frescoSupply) describe() string {
	line := fmt.Sprintf("supplying %s from this fresco (%s)", frescoModule, displayPath(s.dir))
	if len(s.raised) > 0 {
		line += "; for this build only (go.mod stays as it is): " + strings.Join(s.raised, ", ")
	}
	return line
}

// frescoSupplyFor returns how to supply fresco's module to the package dir
// whose go list -deps output is pkgs, or nil when it needs none: no
// package of fresco's is missing, or the main module provides fresco's
// module itself (it is fresco, or its go.mod requires or replaces it, and
// go build then reports what is wrong as it would without fresco).
func (r *buildRun) frescoSupplyFor(dir string, env []string, pkgs []*listedPackage, main *listedPackage) (*frescoSupply, error) {
	var missing string
	for _, p := range pkgs {
		if (p.ImportPath == frescoModule || strings.HasPrefix(p.ImportPath, frescoModule+"/")) && p.Module == nil && !p.Standard {
			missing = p.ImportPath
			break
		}
	}
	switch {
	case missing == "":
		return nil, nil
	case main.Module == nil || main.Module.GoMod == "":
		return nil, fmt.Errorf("%s needs %s outside a Go module: fresco supplies its module to a module only (go mod init)", displayPath(dir), missing)
	case main.Module.Path == frescoModule:
		return nil, nil
	}
	gomod := main.Module.GoMod
	data, err := os.ReadFile(gomod)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return nil, fmt.Errorf("supply %s: %w", frescoModule, err)
	}
	for _, req := range f.Require {
		if req.Mod.Path == frescoModule {
			return nil, nil
		}
	}
	for _, rep := range f.Replace {
		if rep.Old.Path == frescoModule {
			return nil, nil
		}
	}
	// -modfile does not apply to a go.work, and a vendor directory would
	// not hold the supplied module.
	if fileExists(filepath.Join(filepath.Dir(gomod), "vendor", "modules.txt")) {
		return nil, fmt.Errorf("%s needs %s: cannot supply fresco's module to a module with a vendor directory; "+
			"remove the vendor directory, or require and vendor %s yourself", displayPath(dir), missing, frescoModule)
	}
	w, err := r.workspace(env, dir)
	if err != nil {
		return nil, err
	}
	if w != "" {
		return nil, fmt.Errorf("%s needs %s: cannot supply fresco's module in workspace mode (%s); "+
			"set GOWORK=off, or add a copy of fresco's module to the workspace", displayPath(dir), missing, w)
	}

	src, err := loadFrescoSource()
	if err != nil {
		return nil, err
	}
	s := &frescoSupply{src: src, userGoMod: gomod}
	if s.dir, err = r.frescoCopy(src); err != nil {
		return nil, fmt.Errorf("supply %s: %w", frescoModule, err)
	}
	if s.work, err = os.MkdirTemp(r.cacheDir, ".tmp-"); err != nil {
		return nil, err
	}
	if err := s.writeGoMod(f); err != nil {
		s.remove()
		return nil, fmt.Errorf("supply %s: %w", frescoModule, err)
	}
	return s, nil
}

// writeGoMod writes the generated go.mod (the user's, parsed as f, plus the
// requirement of fresco's module and its replacement by the copy) and go.sum
// (the user's, plus the adapters' sums it lacks) into s.work.
func (s *frescoSupply) writeGoMod(f *modfile.File) error {
	if err := f.AddRequire(frescoModule, frescoPseudoVersion); err != nil {
		return err
	}
	if err := f.AddReplace(frescoModule, "", s.dir, ""); err != nil {
		return err
	}
	data, err := f.Format()
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.goMod(), data, 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(filepath.Dir(s.userGoMod), "go.sum"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	have := map[string]bool{}
	for _, line := range strings.Split(string(sum), "\n") {
		have[strings.TrimSpace(line)] = true
	}
	if len(sum) > 0 && sum[len(sum)-1] != '\n' {
		sum = append(sum, '\n')
	}
	for _, line := range adaptersSums {
		if !have[line] {
			sum = append(sum, line+"\n"...)
		}
	}
	return os.WriteFile(filepath.Join(s.work, "go.sum"), sum, 0o644)
}

// noteRaised records what the go command changed in the generated go.mod
// (after a go list with s.flags) against the user's: a go directive or a
// requirement's version raised by the supplied module's requirements.
func (s *frescoSupply) noteRaised() error {
	parse := func(name string) (*modfile.File, error) {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		return modfile.ParseLax(name, data, nil)
	}
	user, err := parse(s.userGoMod)
	if err != nil {
		return err
	}
	gen, err := parse(s.goMod())
	if err != nil {
		return err
	}
	s.raised = nil
	if user.Go != nil && gen.Go != nil && user.Go.Version != gen.Go.Version {
		s.raised = append(s.raised, fmt.Sprintf("go %s → %s", user.Go.Version, gen.Go.Version))
	}
	had := map[string]string{}
	for _, req := range user.Require {
		had[req.Mod.Path] = req.Mod.Version
	}
	for _, req := range gen.Require {
		if v, ok := had[req.Mod.Path]; ok && v != req.Mod.Version {
			s.raised = append(s.raised, fmt.Sprintf("%s %s → %s", req.Mod.Path, v, req.Mod.Version))
		}
	}
	return nil
}

// frescoCopy returns CacheDir/fresco/HASH, the supplied module's files,
// writing them if they are not there.
func (r *buildRun) frescoCopy(src *frescoSource) (string, error) {
	return stageIntoCache(filepath.Join(r.cacheDir, "fresco", src.sum[:12]), func(staged string) error {
		return writeFiles(staged, src.files)
	})
}
