// Package main is an unchanged aws-lambda-go handler in a module of its own
// that does not require fresco. The builder tests build it with fresco's
// patched aws-lambda-go and run it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type Request struct {
	Name  string `json:"name"`
	Fail  string `json:"fail"`
	Raw   string `json:"raw"`
	Panic bool   `json:"panic"`
	Probe bool   `json:"probe"`
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
	// Calls counts the handler's calls in this instance: 1 in every
	// invocation from the snapshot, since the warm before it calls a
	// stand-in of the handler's type, never the handler.
	Calls int `json:"calls"`
}

var calls int

// Probe is what the handler sees of its deadline and trace id.
type Probe struct {
	DeadlineMs int64    `json:"deadline_ms"`
	Err        string   `json:"err"`       // ctx.Err() before the deadline
	TraceEnv   string   `json:"trace_env"` // os.Getenv
	TraceCtx   any      `json:"trace_ctx"` // aws-lambda-go's context value
	Environ    []string `json:"environ"`   // os.Environ's _X_AMZN_TRACE_ID entries
	Waited     string   `json:"waited"`    // a derived timeout's Err, after its Done
	// Under the context values, the type of the context that holds the
	// deadline.
	DeadlineType string `json:"deadline_type"`
}

// deadlineType unwraps ctx's context.WithValue layers.
func deadlineType(ctx context.Context) string {
	v := reflect.ValueOf(ctx)
	for v.Type().String() == "*context.valueCtx" {
		v = v.Elem().FieldByName("Context").Elem()
	}
	return v.Type().String()
}

func probe(ctx context.Context) Probe {
	d, _ := ctx.Deadline()
	p := Probe{
		DeadlineMs:   d.UnixMilli(),
		TraceEnv:     os.Getenv("_X_AMZN_TRACE_ID"),
		TraceCtx:     ctx.Value("x-amzn-trace-id"),
		DeadlineType: deadlineType(ctx),
	}
	if err := ctx.Err(); err != nil {
		p.Err = err.Error()
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "_X_AMZN_TRACE_ID=") {
			p.Environ = append(p.Environ, kv)
		}
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	<-short.Done()
	p.Waited = short.Err().Error()
	return p
}

func handle(ctx context.Context, req Request) (any, error) {
	calls++
	switch {
	case req.Probe:
		return probe(ctx), nil
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
		Calls:     calls,
	}, nil
}

func main() {
	lambda.Start(handle)
}
