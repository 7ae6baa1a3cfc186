// Counter increments a package-level counter and returns it. Under fresco
// the answer is always {"count":1}: every invocation is a fresh instance.
package main

import "github.com/frescolabs/fresco/adapters/lambda"

var count int

type Response struct {
	Count int `json:"count"`
}

func handle() (Response, error) {
	count++
	return Response{Count: count}, nil
}

func main() {
	lambda.Start(handle)
}
