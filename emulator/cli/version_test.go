package cli

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestVersion: fresco version and fresco --version print the build's
// version, commit, toolchain and platform; an argument is a usage error.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errb strings.Builder
		if err := Run(context.Background(), args, strings.NewReader(""), &out, &errb); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, want := range []string{"version: ", "\ncommit: ", "\ngo: " + runtime.Version() + "\n", "\nplatform: " + runtime.GOOS + "/" + runtime.GOARCH + "\n"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v printed\n%s\nwithout %q", args, out.String(), want)
			}
		}
	}
	var out strings.Builder
	err := Run(context.Background(), []string{"version", "extra"}, strings.NewReader(""), &out, &out)
	if ue := new(usageError); !errors.As(err, &ue) {
		t.Fatalf("version extra: %v, want a usage error", err)
	}
}
