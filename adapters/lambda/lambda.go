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
