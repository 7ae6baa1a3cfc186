// Api serves two API Gateway routes from one function, as template.yaml
// declares them:
//
//   - GET /hello/{name}, an HttpApi event (payload format 2.0), answers
//     {"message":"Hello, <name>!"} in HTTP APIs' simple response form: the
//     function returns a plain JSON value and API Gateway makes it a 200.
//   - POST /echo, a REST Api event (payload format 1.0), sends the request's
//     body back byte for byte with its Content-Type (a binary body arrives
//     base64-encoded and goes back with isBase64Encoded, so API Gateway
//     decodes it again), and the request's headers and query parameters as
//     JSON in the X-Echo-Headers and X-Echo-Query response headers.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frescolabs/fresco/adapters/lambda"
)

type greeting struct {
	Message string `json:"message"`
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var head struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	if head.Version == "2.0" {
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, err
		}
		return hello(req)
	}
	var req events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	return echo(req)
}

func hello(req events.APIGatewayV2HTTPRequest) (greeting, error) {
	name := req.PathParameters["name"]
	if name == "" {
		return greeting{}, fmt.Errorf("route %s has no {name}", req.RouteKey)
	}
	return greeting{Message: "Hello, " + name + "!"}, nil
}

func echo(req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	headers, err := json.Marshal(req.MultiValueHeaders)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	query, err := json.Marshal(req.MultiValueQueryStringParameters)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	contentType := "application/octet-stream"
	for k, v := range req.Headers {
		if strings.EqualFold(k, "Content-Type") {
			contentType = v
		}
	}
	return events.APIGatewayProxyResponse{
		StatusCode: 200,
		Headers: map[string]string{
			"Content-Type":   contentType,
			"X-Echo-Headers": string(headers),
			"X-Echo-Query":   string(query),
		},
		Body:            req.Body,
		IsBase64Encoded: req.IsBase64Encoded,
	}, nil
}

func main() {
	lambda.Start(handle)
}
