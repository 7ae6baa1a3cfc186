// InvokeSibling is an unchanged aws-lambda-go handler that invokes another
// function with aws-sdk-go-v2's Lambda client: {"function":"Hello",
// "payload":{"name":"Ada"}} gives Hello's answer. In fresco the client
// reaches fresco's own Invoke API (AWS_ENDPOINT_URL_LAMBDA), and signs
// with the placeholder credentials of the guest's environment; the host
// signs again with its own.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
)

type Request struct {
	Function string          `json:"function"`
	Payload  json.RawMessage `json:"payload"`
}

type Response struct {
	StatusCode    int32           `json:"statusCode"`
	FunctionError string          `json:"functionError,omitempty"`
	Payload       json.RawMessage `json:"payload"`
}

// The client is made once, in init, as Lambda's guidance has it.
var client = func() *awslambda.Client {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	return awslambda.NewFromConfig(cfg)
}()

func handle(ctx context.Context, req Request) (Response, error) {
	if req.Function == "" {
		return Response{}, fmt.Errorf(`want {"function": "Name", "payload": {...}}`)
	}
	out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(req.Function), Payload: req.Payload})
	if err != nil {
		return Response{}, err
	}
	return Response{StatusCode: out.StatusCode, FunctionError: aws.ToString(out.FunctionError), Payload: out.Payload}, nil
}

func main() {
	lambda.Start(handle)
}
