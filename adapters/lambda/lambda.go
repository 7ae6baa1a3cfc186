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
// build does this). Built for any other platform, Start hands the handler to
// aws-lambda-go unchanged, so the same source still runs natively on Lambda.
//
// Handlers behave as under aws-lambda-go, because they run through its own
// machinery: lambda.NewHandler decodes the event and encodes the result,
// errors carry the errorType aws-lambda-go reports (the error's Go type
// name), panics are recovered into an error with a stack trace,
// lambdacontext.FromContext works and ctx.Deadline() is the invocation's
// deadline.
package lambda

import (
	"context"

	awslambda "github.com/aws/aws-lambda-go/lambda"
)

// The aws-lambda-go types and options, re-exported so that code written
// against github.com/aws/aws-lambda-go/lambda compiles unchanged.
type (
	Handler = awslambda.Handler
	Option  = awslambda.Option
)

var (
	NewHandler                = awslambda.NewHandler
	NewHandlerWithOptions     = awslambda.NewHandlerWithOptions
	WithContext               = awslambda.WithContext
	WithContextValue          = awslambda.WithContextValue
	WithSetEscapeHTML         = awslambda.WithSetEscapeHTML
	WithSetIndent             = awslambda.WithSetIndent
	WithUseNumber             = awslambda.WithUseNumber
	WithDisallowUnknownFields = awslambda.WithDisallowUnknownFields
	WithEnableSIGTERM         = awslambda.WithEnableSIGTERM
)

// Start takes any handler signature aws-lambda-go's lambda.Start accepts.
func Start(handler interface{}) { StartWithOptions(handler) }

// StartWithContext is aws-lambda-go's StartWithContext.
func StartWithContext(ctx context.Context, handler interface{}) {
	StartWithOptions(handler, awslambda.WithContext(ctx))
}

// StartHandler is aws-lambda-go's StartHandler.
func StartHandler(handler Handler) { StartWithOptions(handler) }

// StartHandlerWithContext is aws-lambda-go's StartHandlerWithContext.
func StartHandlerWithContext(ctx context.Context, handler Handler) {
	StartWithOptions(handler, awslambda.WithContext(ctx))
}

// HandlerFunc is aws-lambda-go's HandlerFunc: a handler whose signature
// is checked at compile time.
type HandlerFunc[TIn, TOut any] interface {
	func(context.Context, TIn) (TOut, error)
}

// StartHandlerFunc is aws-lambda-go's StartHandlerFunc.
func StartHandlerFunc[TIn any, TOut any, H HandlerFunc[TIn, TOut]](handler H, options ...Option) {
	StartWithOptions(handler, options...)
}

// StartWithOptions is aws-lambda-go's StartWithOptions.
func StartWithOptions(handler interface{}, options ...Option) {
	start(handler, options)
}
