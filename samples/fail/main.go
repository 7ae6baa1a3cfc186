// Fail returns a typed error: the invocation reports errorType
// "ValidationError", as aws-lambda-go names it after the Go type.
package main

import (
	"fmt"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type ValidationError struct {
	Field string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid field %q", e.Field)
}

type Request struct {
	Field string `json:"field"`
}

func handle(req Request) error {
	field := req.Field
	if field == "" {
		field = "name"
	}
	return &ValidationError{Field: field}
}

func main() {
	lambda.Start(handle)
}
