//go:build !wasip1

package adapters

import "embed"

// LambdaRuntimeSource holds internal/lambdart's files but its tests, for
// fresco's builder: to build an unchanged aws-lambda-go handler it copies
// them, unchanged, into the patched aws-lambda-go (as guest.Source's), so
// that its glue and adapters/lambda share one source (see RATIONALE.md,
// "Unchanged handlers"). The package is internal to adapters, so its
// source is embedded here, the nearest package the builder may import. It
// exists outside wasip1 only, where fresco runs.
//
//go:embed internal/lambdart/doc.go internal/lambdart/deadline.go internal/lambdart/standin.go
//go:embed internal/lambdart/traceenv_wasip1.go internal/lambdart/traceenv_snapshot_wasip1.go
var LambdaRuntimeSource embed.FS
