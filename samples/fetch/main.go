// Fetch is an unchanged aws-lambda-go handler that calls out with
// net/http: {"url":"https://example.com/"} gives the status, the
// Content-Type and the first 200 bytes of the body. In fresco its request
// goes through the host's pooled client (docs/abi.md, "Outbound HTTP"),
// under the function's allow-list.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"
)

type Request struct {
	URL string `json:"url"`
}

type Response struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

func handle(ctx context.Context, req Request) (Response, error) {
	if req.URL == "" {
		return Response{}, fmt.Errorf(`want {"url": "https://..."}`)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return Response{}, err
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 200))
	if err != nil {
		return Response{}, err
	}
	return Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: string(body)}, nil
}

func main() {
	lambda.Start(handle)
}
