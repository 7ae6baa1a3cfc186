// Package main is an unchanged aws-lambda-go handler in a module of its own
// that does not require fresco. The builder tests build it with fresco's
// patched aws-lambda-go and run it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type Request struct {
	Name  string `json:"name"`
	Fail  string `json:"fail"`
	Raw   string `json:"raw"`
	Panic bool   `json:"panic"`
}

// ValidationError is the typed error the handler returns; aws-lambda-go
// reports its type name as the errorType.
type ValidationError struct{ Field string }

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid field %q", e.Field) }

type Response struct {
	Greeting  string `json:"greeting"`
	RequestID string `json:"request_id"`
	ARN       string `json:"arn"`
	Trace     string `json:"trace"`
	Deadline  bool   `json:"deadline"`
	Tenant    string `json:"tenant,omitempty"`
	Cognito   string `json:"cognito,omitempty"`
}

func handle(ctx context.Context, req Request) (any, error) {
	switch {
	case req.Fail != "":
		return nil, &ValidationError{Field: req.Fail}
	case req.Panic:
		panic("something went wrong")
	case req.Raw != "":
		// aws-lambda-go sends an io.Reader's bytes as they are.
		return io.Reader(strings.NewReader(req.Raw)), nil
	}
	lc, _ := lambdacontext.FromContext(ctx)
	_, deadline := ctx.Deadline()
	return Response{
		Greeting:  "Hello, " + req.Name + "!",
		RequestID: lc.AwsRequestID,
		ARN:       lc.InvokedFunctionArn,
		Trace:     os.Getenv("_X_AMZN_TRACE_ID"),
		Deadline:  deadline,
		Tenant:    lc.ClientContext.Custom["tenant"],
		Cognito:   lc.Identity.CognitoIdentityID,
	}, nil
}

func main() {
	lambda.Start(handle)
}
