package buildinfo

import (
	"runtime"
	"testing"
)

// TestReadAndString: a test binary has build information (its main module
// is the test's, at "(devel)" or a pseudo-version), the toolchain and
// platform are this one's, and a version set by the linker wins.
func TestReadAndString(t *testing.T) {
	in := Read()
	if in.GoVersion != runtime.Version() || in.OS != runtime.GOOS || in.Arch != runtime.GOARCH || in.Version == "" {
		t.Fatalf("Read() = %+v", in)
	}
	old := version
	version = "v9.8.7"
	defer func() { version = old }()
	in = Read()
	if in.Version != "v9.8.7" {
		t.Fatalf("version %q, want the linker's v9.8.7", in.Version)
	}
	in.Commit, in.Modified, in.Time = "0123abcd", true, ""
	want := "version: v9.8.7\ncommit: 0123abcd\nmodified: true\ncommit-time: unknown\ngo: " + runtime.Version() + "\nplatform: " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if got := in.String(); got != want {
		t.Fatalf("String() =\n%s\nwant\n%s", got, want)
	}
}
