// Stream is an unchanged aws-lambda-go handler that streams its response,
// as a Function URL in RESPONSE_STREAM mode or InvokeWithResponseStream
// reads it: it returns an *events.LambdaFunctionURLStreamingResponse whose
// body it writes while the caller reads. {"chunks":["a","b"]} sends each
// chunk as written; "waitURL" is fetched after the first chunk (a test
// holds it to show the first bytes arrive before the function returns);
// "fail" ends the stream with that error; "flood" sends that many bytes
// more.
//
// Behind a Function URL (a payload format 2.0 event) the same fields come
// from the query string (?chunks=a,b&waitURL=...&fail=...&flood=N), and the
// path /buffered answers in the buffered {statusCode, headers, body,
// cookies} shape instead, echoing the event's path, query and cookies.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type Request struct {
	Chunks  []string `json:"chunks"`
	WaitURL string   `json:"waitURL"`
	Fail    string   `json:"fail"`
	Flood   int      `json:"flood"`
}

// Event is a direct invocation's Request, or a Function URL's event.
type Event struct {
	Request
	Version     string            `json:"version"`
	RawPath     string            `json:"rawPath"`
	RawQuery    string            `json:"rawQueryString"`
	Query       map[string]string `json:"queryStringParameters"`
	Cookies     []string          `json:"cookies"`
	RequestCtx  json.RawMessage   `json:"requestContext"`
	Body        string            `json:"body"`
	IsBase64Enc bool              `json:"isBase64Encoded"`
}

func handle(ctx context.Context, ev Event) (any, error) {
	req := ev.Request
	if ev.Version == "2.0" {
		if ev.RawPath == "/buffered" {
			b, _ := json.Marshal(map[string]any{"rawPath": ev.RawPath, "rawQueryString": ev.RawQuery,
				"cookies": ev.Cookies, "body": ev.Body, "isBase64Encoded": ev.IsBase64Enc, "requestContext": ev.RequestCtx})
			return events.LambdaFunctionURLResponse{
				StatusCode: http.StatusCreated,
				Headers:    map[string]string{"Content-Type": "application/json", "X-Sample": "stream"},
				Body:       string(b),
				Cookies:    []string{"seen=1; Path=/"},
			}, nil
		}
		if c := ev.Query["chunks"]; c != "" {
			req.Chunks = strings.Split(c, ",")
		}
		req.WaitURL, req.Fail = ev.Query["waitURL"], ev.Query["fail"]
		req.Flood, _ = strconv.Atoi(ev.Query["flood"])
	}
	return stream(req), nil
}

func stream(req Request) *events.LambdaFunctionURLStreamingResponse {
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
	}
}

func main() {
	lambda.Start(handle)
}
