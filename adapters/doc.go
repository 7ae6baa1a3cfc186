// Package adapters holds the guest side of fresco: Go packages that compile
// to GOOS=wasip1 GOARCH=wasm and implement the guest ABI (docs/abi.md).
//
//   - adapters/lambda is a drop-in replacement for
//     github.com/aws/aws-lambda-go/lambda: change that one import line and an
//     existing handler builds to a fresco function.
//   - adapters/guest is the raw ABI for Go code that wants no aws-lambda-go.
//   - adapters/internal/lambdart is what adapters/lambda, and the glue of an
//     unchanged aws-lambda-go handler, do for each invocation as
//     aws-lambda-go's runtime loop does.
//
// This package itself only embeds, for fresco's builder, the source that
// builder copies into a patched aws-lambda-go (source.go).
//
// Nothing here imports a host package (no wazero, no chi): this is code that
// runs inside the sandbox.
package adapters
