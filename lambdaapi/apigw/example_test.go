package apigw_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/apigw"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// hello is a Backend whose one function answers in HTTP APIs' simple
// response form.
type hello struct{}

func (hello) Lookup(name, _ string) (invoke.Handle, error) { return hello{}, nil }
func (hello) Name() string                                 { return "Hello" }
func (hello) ARN() string                                  { return "arn:aws:lambda:us-east-1:000000000000:function:Hello" }
func (hello) Version() string                              { return "$LATEST" }
func (hello) InvokeAsync(*invoke.Request) error            { return nil }

func (hello) Invoke(context.Context, *invoke.Request) (*invoke.Result, error) {
	return &invoke.Result{Kind: invoke.Success, Payload: []byte(`{"message":"Hello!"}`)}, nil
}

func ExampleNewAPIGatewayHandler() {
	key, err := apispec.ParseRoute(apispec.HTTPAPI, "GET", "/hello/{name}")
	if err != nil {
		panic(err)
	}
	h, err := apigw.NewAPIGatewayHandler(apigw.APIGatewayConfig{
		APIs: []apispec.API{{
			Name: "ServerlessHttpApi", Kind: apispec.HTTPAPI, Stage: "$default",
			Routes: []apispec.Route{{Key: key, Function: "Hello"}},
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
