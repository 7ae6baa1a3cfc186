// Package main is an unchanged aws-lambda-go handler written as handlers
// were for the aws-lambda-go versions before v1.46.0 (what sam init made
// for years), in a module of its own at go 1.18. The builder tests build
// it against several of those versions, its go.mod naming each in turn,
// with fresco's legacy glue, and run it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type Request struct {
	Name  string `json:"name"`
	Fail  string `json:"fail"`
	Panic bool   `json:"panic"`
}

// ValidationError is the typed error the handler returns; aws-lambda-go
// reports its type name as the errorType.
type ValidationError struct{ Field string }

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid field %q", e.Field) }

type Response struct {
	Greeting  string      `json:"greeting"`
	RequestID string      `json:"request_id"`
	ARN       string      `json:"arn"`
	TraceEnv  string      `json:"trace_env"`
	TraceCtx  interface{} `json:"trace_ctx"`
	Deadline  int64       `json:"deadline_ms"`
	Tenant    string      `json:"tenant,omitempty"`
	Cognito   string      `json:"cognito,omitempty"`
	// Calls counts the handler's calls in this instance: 1 in every
	// invocation from the snapshot, since the warm before it calls a
	// stand-in of the handler's type, never the handler.
	Calls int `json:"calls"`
}

var calls int

func handle(ctx context.Context, req Request) (*Response, error) {
	calls++
	if req.Panic {
		panic("something went wrong")
	}
	if req.Fail != "" {
		return nil, &ValidationError{Field: req.Fail}
	}
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return nil, errors.New("no Lambda context")
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil, errors.New("no deadline")
	}
	return &Response{
		Greeting:  "Hello, " + req.Name + "!",
		RequestID: lc.AwsRequestID,
		ARN:       lc.InvokedFunctionArn,
		TraceEnv:  os.Getenv("_X_AMZN_TRACE_ID"),
		TraceCtx:  ctx.Value("x-amzn-trace-id"),
		Deadline:  deadline.UnixNano() / 1e6,
		Tenant:    lc.ClientContext.Custom["tenant"],
		Cognito:   lc.Identity.CognitoIdentityID,
		Calls:     calls,
	}, nil
}

func main() {
	lambda.Start(handle)
}
