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

// ModuleSource holds the guest side of fresco's module: this directory and
// every package under it (their tests too, which the builder leaves out),
// for fresco's builder: a function that imports
// github.com/frescolabs/fresco/adapters/... from a module that does not
// require fresco is built against a copy of these files, written into the
// build cache with a go.mod of its own, so that its go.mod needs no edit
// (see RATIONALE.md, "Unchanged handlers"). They are fresco's own files, so
// there is no second copy in the tree to drift.
//
//go:embed doc.go source.go buffers cache guest hosthttp internal lambda
var ModuleSource embed.FS
