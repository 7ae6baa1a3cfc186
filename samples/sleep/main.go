// Sleep sleeps {"ms":N} milliseconds, then says how long it slept. With N
// above the function's timeout the invocation times out.
package main

import (
	"context"
	"time"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type Request struct {
	Ms int `json:"ms"`
}

type Response struct {
	SleptMs int64 `json:"slept_ms"`
}

func handle(ctx context.Context, req Request) (Response, error) {
	start := time.Now()
	time.Sleep(time.Duration(req.Ms) * time.Millisecond)
	return Response{SleptMs: time.Since(start).Milliseconds()}, nil
}

func main() {
	lambda.Start(handle)
}
