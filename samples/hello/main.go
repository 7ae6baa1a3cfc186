// Hello greets by name: {"name":"Ada"} gives {"message":"Hello, Ada!"}.
// It is an ordinary aws-lambda-go handler; only the import of the lambda
// package differs.
package main

import (
	"context"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type Request struct {
	Name string `json:"name"`
}

type Response struct {
	Message string `json:"message"`
}

func handle(ctx context.Context, req Request) (Response, error) {
	name := req.Name
	if name == "" {
		name = "world"
	}
	return Response{Message: "Hello, " + name + "!"}, nil
}

func main() {
	lambda.Start(handle)
}
