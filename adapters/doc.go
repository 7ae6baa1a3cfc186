// Package adapters holds the guest side of fresco: Go packages that compile
// to GOOS=wasip1 GOARCH=wasm and implement the guest ABI (docs/abi.md).
//
//   - adapters/lambda is a drop-in replacement for
//     github.com/aws/aws-lambda-go/lambda: change that one import line (and
//     nothing in go.mod) and an existing handler builds to a fresco function.
//   - adapters/guest is the raw ABI for Go code that wants no aws-lambda-go.
//   - adapters/internal/lambdart is what adapters/lambda, and the glue of an
//     unchanged aws-lambda-go handler, do for each invocation as
//     aws-lambda-go's runtime loop does.
//
// A function needs no go.mod edit to import any of them: when its module
// does not require github.com/frescolabs/fresco, fresco's builder supplies
// the module, these packages as the fresco binary carries them, through
// go build -modfile (the user's go.mod and go.sum stay as they are).
//
// This package itself only embeds, for fresco's builder, the source that
// builder copies into a patched aws-lambda-go, and the whole of adapters
// that it supplies as fresco's module (source.go).
//
// Nothing here imports a host package (no wazero, no chi): this is code that
// runs inside the sandbox.
package adapters
