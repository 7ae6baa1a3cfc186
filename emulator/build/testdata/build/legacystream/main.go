// Package main is an unchanged aws-lambda-go handler that streams its
// response, as aws-lambda-go v1.40.0 to v1.45.x let a handler do (a
// LambdaFunctionURLStreamingResponse, or any io.Reader), in a module at go
// 1.18. The builder tests build it against those versions, with fresco's
// legacy glue, and read the stream as the host receives it.
package main

import (
	"errors"
	"io"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// chunks yields its parts one Read at a time, then err (io.EOF if nil).
type chunks struct {
	parts []string
	err   error
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	c.parts = c.parts[1:]
	return n, nil
}

func handle(req events.LambdaFunctionURLRequest) (io.Reader, error) {
	parts := []string{"chunk-1\n", "chunk-2\n", "chunk-3\n"}
	switch req.RawPath {
	case "/fail":
		return &chunks{parts: parts[:1], err: errors.New("the source went away")}, nil
	case "/raw":
		return strings.NewReader("raw bytes"), nil
	}
	return &events.LambdaFunctionURLStreamingResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "text/plain"},
		Body:       &chunks{parts: parts},
	}, nil
}

func main() {
	lambda.Start(handle)
}
