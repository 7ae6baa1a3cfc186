// Direct invokes another function of the same fresco without an HTTP hop
// (hosthttp.Invoke, the fresco_http invoke call): {"function":"Hello",
// "payload":{...},"event":false} gives the status, the function error and
// the payload.
package main

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/frescolabs/fresco/adapters/hosthttp"
	"github.com/frescolabs/fresco/adapters/lambda"
)

type Request struct {
	Function string          `json:"function"`
	Payload  json.RawMessage `json:"payload"`
	Event    bool            `json:"event"`
}

type Response struct {
	StatusCode    int             `json:"statusCode"`
	FunctionError string          `json:"functionError,omitempty"`
	Payload       json.RawMessage `json:"payload,omitempty"`
	Error         string          `json:"error,omitempty"`
}

// Code that takes http.DefaultTransport for an *http.Transport keeps
// working in fresco (hosthttp.Install keeps its type).
var _ = http.DefaultTransport.(*http.Transport)

func handle(ctx context.Context, req Request) (Response, error) {
	out, err := hosthttp.Invoke(req.Function, req.Payload, req.Event)
	if err != nil {
		return Response{Error: err.Error()}, nil
	}
	r := Response{StatusCode: out.StatusCode, FunctionError: out.FunctionError}
	if json.Valid(out.Payload) {
		r.Payload = out.Payload
	}
	return r, nil
}

func main() { lambda.Start(handle) }
