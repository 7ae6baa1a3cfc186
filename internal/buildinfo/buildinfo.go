// Package buildinfo says which fresco this is: the version, the commit it
// was built from, and the toolchain and platform, read from the build
// information the go command embeds (runtime/debug.ReadBuildInfo).
//
// A release build (go run ./scripts/release) may name the version with
//
//	-ldflags=-X=github.com/frescolabs/fresco/internal/buildinfo.version=v1.2.3
//
// which wins over the main module's version; without it, the version is the
// one the go command derived (a tag, a pseudo-version, or "(devel)"). The
// commit and whether the tree was modified come from the go command's
// vcs.revision and vcs.modified; a build that has none (go build does not
// stamp them in a git worktree, whose .git is a file, nor with
// -buildvcs=false) may pass them the same way, as commit, modified ("true"
// or "false") and commitTime.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker (-X) in release builds; see the package comment.
var version, commit, modified, commitTime string

// Info is what fresco version prints.
type Info struct {
	Version   string // the release's version, else the main module's
	Commit    string // vcs.revision; "" when built outside a checkout
	Modified  bool   // vcs.modified: built from a tree with uncommitted changes
	Time      string // vcs.time, the commit's time (RFC 3339)
	GoVersion string
	OS, Arch  string
}

// Read returns this binary's Info.
func Read() Info {
	in := Info{Version: version, Commit: commit, Modified: modified == "true", Time: commitTime,
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if in.Version == "" && ok {
		in.Version = bi.Main.Version
	}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	if !ok {
		return in
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Commit = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		case "vcs.time":
			in.Time = s.Value
		}
	}
	return in
}

// String is what fresco version prints: one "key: value" line each, e.g.
//
//	version: v1.2.3
//	commit: 0123abcd...
//	modified: false
//	commit-time: 2026-12-02T06:45:00Z
//	go: go1.26.8
//	platform: linux/arm64
//
// An unknown commit or time is "unknown".
func (in Info) String() string {
	return fmt.Sprintf("version: %s\ncommit: %s\nmodified: %t\ncommit-time: %s\ngo: %s\nplatform: %s/%s\n",
		in.Version, orUnknown(in.Commit), in.Modified, orUnknown(in.Time), in.GoVersion, in.OS, in.Arch)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
