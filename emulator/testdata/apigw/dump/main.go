// Dump answers with the event it received, byte for byte, so that tests
// can compare it with golden files: as the body of a 1.0 proxy response, or,
// for payload format 2.0, as the whole answer (HTTP APIs' simple response
// form makes it the body of a 200). A query parameter fail=1 makes it fail.
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type dump struct{}

func (dump) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev struct {
		Version string            `json:"version"`
		Query   map[string]string `json:"queryStringParameters"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	if ev.Query["fail"] == "1" {
		return nil, errors.New("asked to fail")
	}
	if ev.Version == "2.0" {
		return payload, nil
	}
	return json.Marshal(map[string]any{
		"statusCode": 200,
		"headers":    map[string]string{"Content-Type": "application/json"},
		"body":       string(payload),
	})
}

func main() {
	lambda.StartHandler(dump{})
}
