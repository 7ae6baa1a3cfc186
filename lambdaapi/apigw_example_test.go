package lambdaapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi"
)

// hello is a Backend whose one function answers in HTTP APIs' simple
// response form.
type hello struct{}

func (hello) Lookup(name, _ string) (lambdaapi.Function, error) { return hello{}, nil }
func (hello) Name() string                                      { return "Hello" }
func (hello) ARN() string                                       { return "arn:aws:lambda:us-east-1:000000000000:function:Hello" }
func (hello) Version() string                                   { return "$LATEST" }
func (hello) InvokeAsync(*invoke.Request) error                 { return nil }

func (hello) Invoke(context.Context, *invoke.Request) (*invoke.Result, error) {
	return &invoke.Result{Kind: invoke.Success, Payload: []byte(`{"message":"Hello!"}`)}, nil
}

func ExampleNewAPIGatewayHandler() {
	h, err := lambdaapi.NewAPIGatewayHandler(lambdaapi.APIGatewayConfig{
		APIs: []lambdaapi.API{{
			Name: "ServerlessHttpApi", Kind: lambdaapi.HTTPAPI, Stage: "$default",
			Routes: []lambdaapi.Route{{Method: "GET", Path: "/hello/{name}", Function: "Hello"}},
		}},
		Backend: hello{},
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, path := range []string{"/hello/Ada", "/goodbye"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, string(body))
	}
	// Output:
	// 200 {"message":"Hello!"}
	// 404 {"message":"Not Found"}
}
