package build

import (
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
)

// The modules a build adds or patches (aws-lambda-go, aws-sdk-go-v2,
// fresco's own) are directories under the build cache, made once per
// content: staged in a temporary directory beside, then renamed into
// place.

// stageMu keeps one process from making the same directory twice at once;
// across processes the rename decides.
var stageMu sync.Mutex

// stageIntoCache returns dir, having fill make it (in a staging directory
// it is given) if it is not there yet.
func stageIntoCache(dir string, fill func(staged string) error) (string, error) {
	stageMu.Lock()
	defer stageMu.Unlock()
	if info, err := os.Stat(dir); err == nil && info.IsDir() {
		return dir, nil
	}
	root := filepath.Dir(dir)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, ".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	staged := filepath.Join(tmp, "m")
	if err := fill(staged); err != nil {
		return "", err
	}
	if err := os.Rename(staged, dir); err != nil {
		// Another process made it first.
		if info, serr := os.Stat(dir); serr == nil && info.IsDir() {
			return dir, nil
		}
		return "", err
	}
	return dir, nil
}

// patchedCopy returns the directory of m's patched copy that a build uses
// (m as the main module selects it; its replacement's files if it has
// one). A module replaced by a local directory, whose files may change at
// any time, is copied into tmp/kind for this build only; any other into
// CacheDir/kind/VERSION-HASH, HASH naming the patch (patchSum) and the
// module's version, made once with announce said first. makeCopy writes
// the patched copy into the directory it is given.
func (r *buildRun) patchedCopy(tmp string, m *listedModule, kind, patchSum, announce string, makeCopy func(dst string) error) (string, error) {
	if rep := m.Replace; rep != nil && rep.Version == "" {
		dir := filepath.Join(tmp, kind)
		return dir, makeCopy(dir)
	}
	src := m
	if m.Replace != nil {
		src = m.Replace
	}
	h := sha256.Sum256([]byte(patchSum + "\n" + src.Path + "@" + src.Version + "\n"))
	dir := filepath.Join(r.cacheDir, kind, src.Version+"-"+hex.EncodeToString(h[:6]))
	return stageIntoCache(dir, func(staged string) error {
		r.printf("%s (%s) ...", announce, displayPath(dir))
		return makeCopy(staged)
	})
}

// replaceBy is the go mod edit -replace value that selects dir for m.
func replaceBy(m *listedModule, dir string) string {
	return fmt.Sprintf("%s@%s=%s", m.Path, m.Version, dir)
}

// workspace is the go.work the go command uses in dir with env, or ""
// outside workspace mode; asked once per directory and environment in a
// run. -modfile does not apply to a go.work, so no patch or supplied
// module can be selected there.
func (r *buildRun) workspace(env []string, dir string) (string, error) {
	key := strings.Join(env, "\x00") + "\x00" + dir
	r.mu.Lock()
	w, ok := r.workspaces[key]
	r.mu.Unlock()
	if ok {
		return w, nil
	}
	out, err := r.goCmdEnv(env, dir, "env", "GOWORK")
	if err != nil {
		return "", err
	}
	if w = strings.TrimSpace(string(out)); w == "off" {
		w = ""
	}
	r.mu.Lock()
	if r.workspaces == nil {
		r.workspaces = map[string]string{}
	}
	r.workspaces[key] = w
	r.mu.Unlock()
	return w, nil
}

// copyModule copies the module directory src to dst, writable, leaving out
// dot directories (.git and the like) and whatever is not a regular file.
func copyModule(src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && rel != "." && strings.HasPrefix(d.Name(), "."):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// writeFiles writes files (slash-separated paths relative to dst) under
// dst, in a stable order.
func writeFiles(dst string, files map[string][]byte) error {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(dst, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeModfile writes tmp/go.mod, the go.mod at goMod with the
// replacements (go mod edit's -replace=old@v=dir), and tmp/go.sum, the
// go.sum beside it, and returns the go build flag that selects them.
func (r *buildRun) writeModfile(tmp, goMod string, replaces []string) (string, error) {
	gomod := filepath.Join(tmp, "go.mod")
	data, err := os.ReadFile(goMod)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(gomod, data, 0o644); err != nil {
		return "", err
	}
	// -modfile=NAME.mod reads NAME.sum beside it.
	switch sum, err := os.ReadFile(filepath.Join(filepath.Dir(goMod), "go.sum")); {
	case err == nil:
		if err := os.WriteFile(filepath.Join(tmp, "go.sum"), sum, 0o644); err != nil {
			return "", err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	// A replacement of the selected version wins over any replacement of
	// the module the go.mod has, and go mod edit keeps the rest as it is.
	args := []string{"mod", "edit"}
	for _, rep := range replaces {
		args = append(args, "-replace="+rep)
	}
	if _, err := r.goCmd(tmp, append(args, gomod)...); err != nil {
		return "", err
	}
	return "-modfile=" + gomod, nil
}
