package invokeapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/invokeapi"
)

// greeter is a Backend with a single function that answers in place.
type greeter struct{}

func (greeter) Lookup(name, qualifier string) (invoke.Handle, error) {
	if name != "Hello" || (qualifier != "" && qualifier != "$LATEST") {
		return nil, invoke.NotFound("Function not found: arn:aws:lambda:us-east-1:000000000000:function:%s", name)
	}
	return greeter{}, nil
}

func (greeter) Name() string    { return "Hello" }
func (greeter) ARN() string     { return "arn:aws:lambda:us-east-1:000000000000:function:Hello" }
func (greeter) Version() string { return "$LATEST" }

func (greeter) Invoke(_ context.Context, req *invoke.Request) (*invoke.Result, error) {
	return &invoke.Result{Kind: invoke.Success, Payload: []byte(`"hello from ` + req.InvokedFunctionARN + `"`)}, nil
}

func (greeter) InvokeAsync(*invoke.Request) error { return nil }

func ExampleNewHandler() {
	srv := httptest.NewServer(invokeapi.NewHandler(greeter{}, nil))
	defer srv.Close()

	for _, name := range []string{"Hello%3A%24LATEST", "Goodbye"} {
		res, err := http.Post(srv.URL+"/2015-03-31/functions/"+name+"/invocations", "", strings.NewReader(`{}`))
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, res.Header.Get("X-Amzn-ErrorType"), string(body))
	}
	// Output:
	// 200  "hello from arn:aws:lambda:us-east-1:000000000000:function:Hello:$LATEST"
	// 404 ResourceNotFoundException {"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:Goodbye"}
}
