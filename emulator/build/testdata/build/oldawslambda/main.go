// Package main is an unchanged handler whose aws-lambda-go (a stand-in in
// ./awslambda) is too old for fresco's glue: the build must say so.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() error { return nil })
}
