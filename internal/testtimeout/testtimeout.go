// Package testtimeout lengthens go test's default timeout for the packages
// whose tests compile Go guests with wazero: from empty caches, under
// -race (the README's test command), compiling the samples takes longer
// than go test's default 10 minutes per package on a two-core machine.
package testtimeout

import (
	"flag"
	"time"
)

// Default is the timeout used when the command line sets none.
const Default = 40 * time.Minute

// goTestDefault is the timeout go test passes to every test binary when its
// command line has no -timeout (it always passes one).
const goTestDefault = 10 * time.Minute

// Extend sets the test binary's timeout to Default when it is go test's
// default: go test hands the binary -test.timeout=10m0s whether or not the
// user asked for it, so a timeout of exactly ten minutes is taken as not
// chosen. Call it first in TestMain, before m.Run.
func Extend() {
	if !flag.Parsed() {
		flag.Parse()
	}
	f := flag.Lookup("test.timeout")
	if f == nil {
		return
	}
	if d, err := time.ParseDuration(f.Value.String()); err == nil && d == goTestDefault {
		f.Value.Set(Default.String())
	}
}
