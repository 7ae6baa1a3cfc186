// Command hello is a native Lambda function built on aws-lambda-go's real
// runtime client (lambda.Start), used by the Runtime API contract test. Its
// event selects what it does.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Do   string `json:"do"`
	Name string `json:"name"`
}

type answer struct {
	Greeting      string `json:"greeting"`
	RequestID     string `json:"requestId"`
	FunctionARN   string `json:"functionArn"`
	DeadlineMs    int64  `json:"deadlineMs"`
	TraceID       string `json:"traceId"`
	ClientCustom  string `json:"clientCustom,omitempty"`
	CognitoPoolID string `json:"cognitoPoolId,omitempty"`
}

// NotFoundError is returned for {"do":"error"}; Lambda reports its Go type
// name as errorType.
type NotFoundError struct{ What string }

func (e *NotFoundError) Error() string { return e.What + " not found" }

func handle(ctx context.Context, ev event) (*answer, error) {
	switch ev.Do {
	case "error":
		return nil, &NotFoundError{What: ev.Name}
	case "plainerror":
		return nil, errors.New("plain failure")
	case "panic":
		panic("boom: " + ev.Name)
	case "sleep":
		time.Sleep(10 * time.Second)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	a := &answer{
		Greeting:    "Hello, " + ev.Name,
		RequestID:   lc.AwsRequestID,
		FunctionARN: lc.InvokedFunctionArn,
		DeadlineMs:  deadline.UnixMilli(),
		TraceID:     os.Getenv("_X_AMZN_TRACE_ID"),
	}
	if v, ok := ctx.Value("x-amzn-trace-id").(string); ok && v != "" {
		a.TraceID = v
	}
	a.ClientCustom = lc.ClientContext.Custom["k"]
	a.CognitoPoolID = lc.Identity.CognitoIdentityPoolID
	return a, nil
}

func main() {
	lambda.Start(handle)
}
