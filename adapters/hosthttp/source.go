//go:build !wasip1

package hosthttp

import "embed"

// Source holds this package's files for the guest (all but this one and
// the stubs), for fresco's builder: it copies them into the patched
// aws-lambda-go it builds unchanged handlers against, as the package
// lambda/frescohttp, so that the glue installs the same transport. It
// exists outside wasip1 only, where fresco runs.
//
//go:embed doc.go hosthttp.go imports_wasip1.go
var Source embed.FS
