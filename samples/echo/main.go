// Echo returns its payload byte for byte. It implements lambda.Handler
// directly, so aws-lambda-go passes the bytes through without re-encoding.
package main

import (
	"context"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type echo struct{}

func (echo) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return payload, nil
}

func main() {
	lambda.StartHandler(echo{})
}
