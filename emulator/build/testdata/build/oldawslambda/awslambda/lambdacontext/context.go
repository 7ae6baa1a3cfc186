// Package lambdacontext stands in for aws-lambda-go's.
package lambdacontext

import "context"

type ClientContext struct{}

type CognitoIdentity struct{}

type LambdaContext struct {
	AwsRequestID       string
	InvokedFunctionArn string
	ClientContext      ClientContext
	Identity           CognitoIdentity
}

type key struct{}

func NewContext(parent context.Context, lc *LambdaContext) context.Context {
	return context.WithValue(parent, key{}, lc)
}
