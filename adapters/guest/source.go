//go:build !wasip1

package guest

import "embed"

// Source holds this package's wasip1 implementation (guest_wasip1.go,
// snapshot_wasip1.go and doc.go), for fresco's builder: to build an unchanged aws-lambda-go handler
// it copies them into a patched aws-lambda-go module, so that the ABI has
// one source of truth. It exists outside wasip1 only, where fresco runs.
//
//go:embed guest_wasip1.go snapshot_wasip1.go doc.go
var Source embed.FS
