package emulator

import (
	"github.com/frescolabs/fresco/emulator/build"
	"github.com/frescolabs/fresco/emulator/functions"

	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultWatchInterval is how often fresco start --watch looks at sources.
const DefaultWatchInterval = 500 * time.Millisecond

// Watch rebuilds functions whose sources change and swaps the new builds
// in, until ctx is done. It polls (the trees are small, and polling behaves
// the same on every file system, network mounts and editors' atomic saves
// included): every interval it takes the size and modification time of
// the Go sources, go.mod and go.sum under each function's module, and of
// each ready .wasm; after a change has settled for one interval, it runs
// the build.Builder, which skips what its content hash says is up to date, and
// swaps in every function whose artifact changed. In-flight invocations
// finish on the build they started with. A build error is logged and the
// previous build keeps serving.
func (e *Emulator) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	roots := e.watchRoots()
	e.logger.Info("watching sources for changes", "roots", strings.Join(roots, ","), "interval", interval.String())
	last := scanSources(roots)
	pending := false
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := scanSources(roots)
		switch {
		case !sameScan(now, last):
			pending = true // changed: wait until it settles
		case pending:
			pending = false
			e.rebuild(ctx)
		}
		last = now
	}
}

// watchRoots are the directories (module roots of Go functions) and files
// (ready .wasm) whose changes can change a function.
func (e *Emulator) watchRoots() []string {
	seen := map[string]bool{}
	var roots []string
	for _, f := range e.fns {
		root := f.CodeURI
		if info, err := os.Stat(root); err == nil && info.IsDir() {
			root = moduleRoot(root)
		}
		if !seen[root] {
			seen[root] = true
			roots = append(roots, root)
		}
	}
	return roots
}

// moduleRoot is the nearest directory at or above dir holding a go.mod,
// or dir itself.
func moduleRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

type fileStamp struct {
	size int64
	mod  time.Time
}

// scanSources stamps every file under roots that a build reads.
func scanSources(roots []string) map[string]fileStamp {
	out := map[string]fileStamp{}
	for _, root := range roots {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if path == root || strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" || strings.HasSuffix(name, ".wasm") {
				if info, err := d.Info(); err == nil {
					out[path] = fileStamp{info.Size(), info.ModTime()}
				}
			}
			return nil
		})
	}
	return out
}

func sameScan(a, b map[string]fileStamp) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !w.mod.Equal(v.mod) || w.size != v.size {
			return false
		}
	}
	return true
}

// rebuild builds every function and swaps in those whose artifact changed;
// a function with an AutoPublishAlias gets a new version, and its alias
// moves to it.
func (e *Emulator) rebuild(ctx context.Context) {
	b := &build.Builder{CacheDir: filepath.Join(e.opts.CacheDir, "build"), Out: e.opts.BuildOutput}
	artifacts, err := b.Build(ctx, e.fns)
	if err != nil {
		e.logger.Error("rebuild failed; the previous build keeps serving", "error", err)
	}
	for _, cfg := range e.fns {
		path := artifacts[cfg.LogicalID]
		if path == "" {
			continue
		}
		if cur, err := e.reg.Store().Version(ctx, cfg.Name, functions.LatestVersion); err == nil && cur.Code.Artifact == path {
			continue
		}
		c, r, err := e.loadCode(ctx, cfg, path)
		if err != nil {
			e.logger.Error("reload failed; the previous build keeps serving", "function", cfg.LogicalID, "error", err)
			continue
		}
		v, err := e.reg.UpdateCode(ctx, cfg.Name, c, r)
		if err != nil {
			r.Close(ctx)
			e.logger.Error("reload failed; the previous build keeps serving", "function", cfg.LogicalID, "error", err)
			continue
		}
		attrs := []any{"function", cfg.LogicalID, "artifact", filepath.Base(path)}
		if v.Version != "" {
			attrs = append(attrs, "version", v.Version, "alias", cfg.AutoPublishAlias)
		}
		e.logger.Info("function reloaded", attrs...)
	}
}
