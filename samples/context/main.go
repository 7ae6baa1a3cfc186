// Context returns what the handler sees of its invocation: the Lambda
// context, the deadline and the environment.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type Response struct {
	RequestID          string            `json:"request_id"`
	FunctionName       string            `json:"function_name"`
	FunctionVersion    string            `json:"function_version"`
	InvokedFunctionARN string            `json:"invoked_function_arn"`
	MemoryLimitMB      int               `json:"memory_limit_mb"`
	LogGroupName       string            `json:"log_group_name"`
	RemainingMs        int64             `json:"remaining_ms"`
	HasDeadline        bool              `json:"has_deadline"`
	ClientCustom       map[string]string `json:"client_custom"`
	ClientEnv          map[string]string `json:"client_env"`
	CognitoIdentityID  string            `json:"cognito_identity_id"`
	TraceID            string            `json:"trace_id"`
	Greeting           string            `json:"greeting"`
	Stage              string            `json:"stage"`
	Extra              string            `json:"extra,omitempty"`
	Region             string            `json:"region"`
}

func handle(ctx context.Context) (Response, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, ok := ctx.Deadline()
	r := Response{
		FunctionName:    lambdacontext.FunctionName,
		FunctionVersion: lambdacontext.FunctionVersion,
		MemoryLimitMB:   lambdacontext.MemoryLimitInMB,
		LogGroupName:    lambdacontext.LogGroupName,
		HasDeadline:     ok,
		RemainingMs:     time.Until(deadline).Milliseconds(),
		TraceID:         os.Getenv("_X_AMZN_TRACE_ID"),
		Greeting:        os.Getenv("GREETING"),
		Stage:           os.Getenv("STAGE"),
		Extra:           os.Getenv("EXTRA"),
		Region:          os.Getenv("AWS_REGION"),
	}
	if lc != nil {
		r.RequestID = lc.AwsRequestID
		r.InvokedFunctionARN = lc.InvokedFunctionArn
		r.ClientCustom = lc.ClientContext.Custom
		r.ClientEnv = lc.ClientContext.Env
		r.CognitoIdentityID = lc.Identity.CognitoIdentityID
	}
	return r, nil
}

func main() {
	lambda.Start(handle)
}
