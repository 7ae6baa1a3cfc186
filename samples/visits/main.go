// Visits counts visits by name in fresco's cache, which lives outside the
// sandbox and so outlasts the invocation (compare Counter, always 1):
// {"name":"Ada"} gives {"name":"Ada","visits":1}, then 2, 3, ... for an
// hour after the last visit. {"name":"Ada","forget":true} deletes the
// count. The cache is fresco's in-process one, or Redis with
// fresco start --cache redis://127.0.0.1:6379/0; its keys are this
// function's own.
package main

import (
	"context"
	"strconv"
	"time"

	"github.com/frescolabs/fresco/adapters/cache"
	"github.com/frescolabs/fresco/adapters/lambda"
)

type Request struct {
	Name   string `json:"name"`
	Forget bool   `json:"forget"`
}

type Response struct {
	Name   string `json:"name"`
	Visits int    `json:"visits"`
}

func handle(ctx context.Context, req Request) (Response, error) {
	if req.Name == "" {
		req.Name = "world"
	}
	key := "visits/" + req.Name
	if req.Forget {
		return Response{Name: req.Name}, cache.Delete(key)
	}
	n := 0
	if v, ok, err := cache.Get(key); err != nil {
		return Response{}, err
	} else if ok {
		n, _ = strconv.Atoi(string(v))
	}
	n++
	// Not atomic: two visits at once may count one. A counter that must
	// not miss belongs in a database.
	if err := cache.Set(key, []byte(strconv.Itoa(n)), time.Hour); err != nil {
		return Response{}, err
	}
	return Response{Name: req.Name, Visits: n}, nil
}

func main() {
	lambda.Start(handle)
}
