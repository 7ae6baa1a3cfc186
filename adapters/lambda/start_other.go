//go:build !wasip1

package lambda

import awslambda "github.com/aws/aws-lambda-go/lambda"

func start(handler interface{}, options []Option) {
	awslambda.StartWithOptions(handler, options...)
}
