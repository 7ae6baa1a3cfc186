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

// Extend sets the test binary's timeout to Default unless -timeout was
// given. Call it first in TestMain, before m.Run.
func Extend() {
	if !flag.Parsed() {
		flag.Parse()
	}
	set := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.timeout" {
			set = true
		}
	})
	if !set {
		flag.Set("test.timeout", Default.String())
	}
}
