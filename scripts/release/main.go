// Command release writes fresco's release binaries: static, reproducible
// executables for linux/arm64 and linux/amd64, and their SHA-256 sums.
//
//	go run ./scripts/release [-version v1.2.3] [-out dist] [-targets linux/arm64,linux/amd64] [-check all|linux/arm64] [-functions template.yaml]
//
// Each binary, dist/fresco-GOOS-GOARCH, is built with
//
//	CGO_ENABLED=0 GOOS=... GOARCH=... go build -trimpath -buildvcs=auto \
//	    -ldflags="-s -w -X .../internal/buildinfo.version=... (commit, modified, commitTime)" .
//
// and dist/SHA256SUMS lists them in sha256sum's format (sha256sum -c
// checks it). The version is -version, else the tag at HEAD, else the main
// module's version as the go command stamps it; the commit is git's HEAD.
// fresco version prints them.
//
// -functions also writes dist/functions.tar.gz, the template's functions
// built to wasm with a copy of the template that names them (see bundle),
// which a server runs without a Go toolchain (docs/deploy.md).
//
// -check builds the targets it names (or all) a second time, from a copy of the source tree
// at another path and with an empty build cache, and fails unless the bytes
// are the same: the build depends on the sources and the toolchain only.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const stampPkg = "github.com/frescolabs/fresco/internal/buildinfo"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

// stamp is what the linker writes into internal/buildinfo.
type stamp struct {
	version, commit, commitTime string
	modified                    bool
}

// ldflags are the linker flags of a release build: no symbol table or
// DWARF (-s -w; panics still name functions), and the stamp.
func (s stamp) ldflags() string {
	f := []string{"-s", "-w"}
	add := func(name, v string) {
		if v != "" {
			f = append(f, "-X="+stampPkg+"."+name+"="+v)
		}
	}
	add("version", s.version)
	add("commit", s.commit)
	if s.commit != "" {
		add("modified", fmt.Sprint(s.modified))
	}
	add("commitTime", s.commitTime)
	return strings.Join(f, " ")
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	version := fs.String("version", "", "version to stamp (default: the tag at HEAD, else the go command's)")
	out := fs.String("out", "dist", "output directory")
	targets := fs.String("targets", "linux/arm64,linux/amd64", "comma-separated GOOS/GOARCH pairs")
	check := fs.String("check", "", `targets ("all", or GOOS/GOARCH pairs) to build again from a copy of the tree with an empty build cache, requiring the same bytes`)
	functions := fs.String("functions", "", "also write functions.tar.gz: this SAM template's functions built to wasm, and the template naming them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	st := gitStamp(ctx, root)
	if *version != "" {
		st.version = *version
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var sums bytes.Buffer
	var names []string
	for _, t := range strings.Split(*targets, ",") {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(t), "/")
		if !ok || goos == "" || goarch == "" {
			return fmt.Errorf("bad target %q, want GOOS/GOARCH", t)
		}
		name := "fresco-" + goos + "-" + goarch
		path := filepath.Join(*out, name)
		start := time.Now()
		if err := goBuild(ctx, root, ".", goos, goarch, st, path, nil); err != nil {
			return err
		}
		sum, size, err := sha256File(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d bytes, sha256 %s, built in %.1fs\n", path, size, sum, time.Since(start).Seconds())
		fmt.Fprintf(&sums, "%s  %s\n", sum, name)
		names = append(names, name)
	}
	if *functions != "" {
		path := filepath.Join(*out, "functions.tar.gz")
		start := time.Now()
		dropped, err := bundle(ctx, *functions, path)
		if err != nil {
			return err
		}
		sum, size, err := sha256File(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d bytes, sha256 %s, built in %.1fs", path, size, sum, time.Since(start).Seconds())
		if len(dropped) > 0 {
			fmt.Fprintf(stdout, "; left out (process functions): %s", strings.Join(dropped, ", "))
		}
		fmt.Fprintln(stdout)
		fmt.Fprintf(&sums, "%s  %s\n", sum, "functions.tar.gz")
	}
	if err := os.WriteFile(filepath.Join(*out, "SHA256SUMS"), sums.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s written (version %q, commit %s, modified %t)\n", filepath.Join(*out, "SHA256SUMS"), st.version, st.commit, st.modified)
	if *check != "" {
		again := names
		if *check != "all" {
			again = nil
			for _, t := range strings.Split(*check, ",") {
				name := "fresco-" + strings.ReplaceAll(strings.TrimSpace(t), "/", "-")
				if !slices.Contains(names, name) {
					return fmt.Errorf("-check %s: not among -targets", t)
				}
				again = append(again, name)
			}
		}
		return checkReproducible(ctx, root, *out, again, st, stdout)
	}
	return nil
}

// goBuild runs one release go build of pkg (relative to dir) for goos/goarch
// into out, with env added to the environment.
func goBuild(ctx context.Context, dir, pkg, goos, goarch string, st stamp, out string, env []string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	// -buildvcs=auto overrides a GOFLAGS=-buildvcs=false.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=auto", "-ldflags="+st.ldflags(), "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s/%s: %v\n%s", pkg, goos, goarch, err, b)
	}
	return nil
}

// checkReproducible rebuilds names (fresco-GOOS-GOARCH, as in outDir) from
// a copy of root, with a build cache of its own, and compares the bytes.
func checkReproducible(ctx context.Context, root, outDir string, names []string, st stamp, stdout io.Writer) error {
	tmp, err := os.MkdirTemp("", "fresco-release-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "elsewhere", "fresco")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		return err
	}
	// cp -a keeps .git (a directory in a checkout, a file naming the git
	// directory in a worktree), so the go command stamps the same VCS state.
	if b, err := exec.CommandContext(ctx, "cp", "-a", root, src).CombinedOutput(); err != nil {
		return fmt.Errorf("copy the tree: %v\n%s", err, b)
	}
	os.RemoveAll(filepath.Join(src, outDir))
	var bad []string
	for _, name := range names {
		parts := strings.SplitN(strings.TrimPrefix(name, "fresco-"), "-", 2)
		start := time.Now()
		again := filepath.Join(tmp, name)
		if err := goBuild(ctx, src, ".", parts[0], parts[1], st, again, []string{"GOCACHE=" + filepath.Join(tmp, "gocache")}); err != nil {
			return err
		}
		a, _, err := sha256File(filepath.Join(outDir, name))
		if err != nil {
			return err
		}
		b, _, err := sha256File(again)
		if err != nil {
			return err
		}
		verdict := "same bytes"
		if a != b {
			verdict = "DIFFERENT: " + b
			bad = append(bad, name)
		}
		fmt.Fprintf(stdout, "check %s: rebuilt in %s with an empty cache in %.1fs: %s\n", name, src, time.Since(start).Seconds(), verdict)
	}
	if len(bad) > 0 {
		return fmt.Errorf("not reproducible: %s", strings.Join(bad, ", "))
	}
	return nil
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	b, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(b))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from inside the fresco module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

// gitStamp reads HEAD, its commit time, a tag at HEAD and whether the tree
// has uncommitted changes; outside a git checkout it is empty.
func gitStamp(ctx context.Context, dir string) stamp {
	git := func(args ...string) string {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		b, err := cmd.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	st := stamp{commit: git("rev-parse", "HEAD")}
	if st.commit == "" {
		return stamp{}
	}
	st.version = git("describe", "--tags", "--exact-match", "HEAD")
	st.modified = git("status", "--porcelain") != ""
	if unix := git("show", "-s", "--format=%ct", "HEAD"); unix != "" {
		var sec int64
		if _, err := fmt.Sscan(unix, &sec); err == nil {
			st.commitTime = time.Unix(sec, 0).UTC().Format(time.RFC3339)
		}
	}
	return st
}

func sha256File(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
