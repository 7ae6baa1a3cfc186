// Panic panics in its handler: an unhandled error for that invocation only.
package main

import (
	"context"
	"encoding/json"

	"github.com/frescolabs/fresco/adapters/lambda"
)

func handle(ctx context.Context, in json.RawMessage) (string, error) {
	panic("something went badly wrong")
}

func main() {
	lambda.Start(handle)
}
