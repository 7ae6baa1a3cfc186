// Plain is an unchanged aws-lambda-go handler: it imports
// github.com/aws/aws-lambda-go/lambda itself and nothing of fresco, and
// fresco build makes it a fresco function all the same.
// {"name":"Ada"} gives {"message":"Hello, Ada!","request_id":"<its id>"}.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type Request struct {
	Name string `json:"name"`
}

type Response struct {
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

func handle(ctx context.Context, req Request) (Response, error) {
	name := req.Name
	if name == "" {
		name = "world"
	}
	r := Response{Message: "Hello, " + name + "!"}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.RequestID = lc.AwsRequestID
	}
	return r, nil
}

func main() {
	lambda.Start(handle)
}
