// signatures starts one of the handler signatures aws-lambda-go's
// lambda.Start accepts, chosen by the SIGNATURE environment variable, so
// one module covers them all.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type key struct{}

type In struct {
	N int `json:"n"`
}

type Out struct {
	Double int `json:"double"`
}

func main() {
	switch os.Getenv("SIGNATURE") {
	case "func()":
		lambda.Start(func() {})
	case "func() error":
		lambda.Start(func() error { return errors.New("plain error") })
	case "func(ctx) error":
		lambda.Start(func(ctx context.Context) error {
			if _, ok := lambdacontext.FromContext(ctx); !ok {
				return errors.New("no lambda context")
			}
			return nil
		})
	case "func(in) error":
		lambda.Start(func(in In) error {
			if in.N < 0 {
				return errors.New("negative")
			}
			return nil
		})
	case "func(ctx, in) (out, error)":
		lambda.Start(func(ctx context.Context, in In) (Out, error) { return Out{Double: 2 * in.N}, nil })
	case "func(in) (*out, error)":
		lambda.Start(func(in *In) (*Out, error) { return &Out{Double: 2 * in.N}, nil })
	case "func() (out, error)":
		lambda.Start(func() (string, error) { return "plain", nil })
	case "StartWithOptions":
		lambda.StartWithOptions(func(in In) (map[string]string, error) {
			return map[string]string{"html": "<b>&</b>"}, nil
		}, lambda.WithSetEscapeHTML(false))
	case "StartHandlerFunc":
		lambda.StartHandlerFunc(func(ctx context.Context, in In) (Out, error) { return Out{Double: 2 * in.N}, nil })
	case "WithContextValue":
		lambda.StartWithOptions(func(ctx context.Context) (string, error) {
			v, _ := ctx.Value(key{}).(string)
			return v, nil
		}, lambda.WithContext(context.Background()), lambda.WithContextValue(key{}, "from options"))
	case "bad signature":
		lambda.Start(func(a, b, c int) {})
	case "no start":
		// main returns without starting a handler
	}
}
