// Package lambda is a drop-in replacement for
// github.com/aws/aws-lambda-go/lambda that runs handlers as fresco
// functions. Change one import line:
//
//	import "github.com/aws/aws-lambda-go/lambda"
//
// becomes
//
//	import "github.com/frescolabs/fresco/adapters/lambda"
//
// and build with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared (fresco
// build does this). The handler's go.mod needs no edit: when it does not
// require github.com/frescolabs/fresco, fresco's builder supplies the
// module (this package and the rest of adapters, as the fresco binary
// carries them) through go build -modfile, leaving go.mod and go.sum as
// they are. Built for any other platform, Start hands the handler to
// aws-lambda-go unchanged, so the same source still runs natively on Lambda.
//
// Handlers behave as under aws-lambda-go, because they run through its own
// machinery: lambda.NewHandler decodes the event and encodes the result,
// errors carry the errorType aws-lambda-go reports (the error's Go type
// name), panics are recovered into an error with a stack trace,
// lambdacontext.FromContext works and ctx.Deadline() is the invocation's
// deadline.
//
// It is guest code: it compiles to GOOS=wasip1 and imports nothing of the
// host (fresco's other packages) but adapters/guest and
// adapters/internal/lambdart.
package lambda
