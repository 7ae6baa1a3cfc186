package runtimeapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/runtimeapi"
)

// fakeRuntime assigns one fixed invocation to every Next and accepts posts
// for its id only.
type fakeRuntime struct{}

func (fakeRuntime) Next(context.Context) (*invoke.Request, error) {
	return &invoke.Request{RequestID: "r1", Payload: []byte(`{}`), Deadline: time.UnixMilli(1e12)}, nil
}

func (fakeRuntime) post(id string) error {
	if id != "r1" {
		return runtimeapi.InvalidRequestID(id)
	}
	return nil
}
func (f fakeRuntime) Respond(id string, _ []byte) error        { return f.post(id) }
func (f fakeRuntime) Fail(id string, _ string, _ []byte) error { return f.post(id) }
func (fakeRuntime) InitFail(string, []byte) error              { return nil }

// FuzzRuntimeAPI feeds the router arbitrary methods, paths, headers and
// bodies: every answer is a known status with a JSON body, and nothing
// panics.
func FuzzRuntimeAPI(f *testing.F) {
	f.Add("GET", "/2018-06-01/runtime/invocation/next", "", []byte(nil))
	f.Add("POST", "/2018-06-01/runtime/invocation/r1/response", "", []byte(`{"a":1}`))
	f.Add("POST", "/2018-06-01/runtime/invocation/r1/error", "E", []byte(`{"errorType":"x"}`))
	f.Add("POST", "/2018-06-01/runtime/invocation/%2F/error", "", []byte(`x`))
	f.Add("POST", "/2018-06-01/runtime/init/error", "", []byte(`{`))
	h := runtimeapi.NewHandler(fakeRuntime{}, nil)
	f.Fuzz(func(t *testing.T, method, path, errType string, body []byte) {
		req, err := http.NewRequest(method, "http://runtime"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set(headerRuntimeErrorType, errType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case 200, 202, 400, 404, 405:
		default:
			t.Fatalf("%s %s: status %d", method, path, w.Code)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: body %q is not JSON", method, path, w.Body.Bytes())
		}
	})
}
