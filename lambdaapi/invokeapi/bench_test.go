package invokeapi

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/frescolabs/fresco/internal/invoke"
)

// BenchmarkInvoke measures the API's own cost per invocation (routing,
// parsing, validation, ids, logging to a discarding logger) around a function
// that echoes its payload and keeps nothing.
func BenchmarkInvoke(b *testing.B) {
	for _, bc := range []struct{ name, target string }{
		{"name", invokePath("Echo")},
		{"encoded_ARN", invokePath("arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3AEcho%3A%24LATEST")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := NewHandler(echoBackend{}, nil)
			payload := []byte(`{"name":"bench","values":[1,2,3]}`)
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, bc.target, bytes.NewReader(payload))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

type echoBackend struct{}

func (echoBackend) Lookup(name, qualifier string) (invoke.Handle, error) { return echoBackend{}, nil }
func (echoBackend) Name() string                                         { return "Echo" }
func (echoBackend) ARN() string                                          { return testARNPrefix + "Echo" }
func (echoBackend) Version() string                                      { return "$LATEST" }
func (echoBackend) InvokeAsync(*invoke.Request) error                    { return nil }
func (echoBackend) Invoke(_ context.Context, req *invoke.Request) (*invoke.Result, error) {
	return &invoke.Result{Payload: req.Payload}, nil
}
