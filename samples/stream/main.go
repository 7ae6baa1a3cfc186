// Stream is an unchanged aws-lambda-go handler that streams its response,
// as a Function URL in RESPONSE_STREAM mode or InvokeWithResponseStream
// reads it: it returns an *events.LambdaFunctionURLStreamingResponse whose
// body it writes while the caller reads. {"chunks":["a","b"]} sends each
// chunk as written; "waitURL" is fetched after the first chunk (a test
// holds it to show the first bytes arrive before the function returns);
// "fail" ends the stream with that error; "flood" sends that many bytes
// more.
package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type Request struct {
	Chunks  []string `json:"chunks"`
	WaitURL string   `json:"waitURL"`
	Fail    string   `json:"fail"`
	Flood   int      `json:"flood"`
}

func handle(ctx context.Context, req Request) (*events.LambdaFunctionURLStreamingResponse, error) {
	r, w := io.Pipe()
	go func() {
		for i, c := range req.Chunks {
			if _, err := io.WriteString(w, c); err != nil {
				return
			}
			if i == 0 && req.WaitURL != "" {
				if resp, err := http.Get(req.WaitURL); err == nil {
					resp.Body.Close()
				}
			}
		}
		block := bytes.Repeat([]byte("x"), 64<<10)
		for n := req.Flood; n > 0; n -= len(block) {
			if _, err := w.Write(block[:min(n, len(block))]); err != nil {
				return
			}
		}
		if req.Fail != "" {
			w.CloseWithError(errors.New(req.Fail))
			return
		}
		w.Close()
	}()
	return &events.LambdaFunctionURLStreamingResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": "text/plain"},
		Body:       r,
	}, nil
}

func main() {
	lambda.Start(handle)
}
