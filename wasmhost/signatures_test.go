package wasmhost_test

import (
	"context"
	"testing"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

// TestHandlerSignatures runs every handler shape aws-lambda-go's
// lambda.Start accepts through the adapter, with aws-lambda-go's answers.
func TestHandlerSignatures(t *testing.T) {
	wasm := goWasm(t, "wasmhost/testdata/signatures")
	for _, tc := range []struct {
		signature string
		event     string
		kind      invoke.Kind
		want      string // payload, or the error document
	}{
		{"func()", `{}`, invoke.Success, `null`},
		{"func() error", `{}`, invoke.FunctionError, `{"errorMessage":"plain error","errorType":"errorString"}`},
		{"func(ctx) error", `{}`, invoke.Success, `null`},
		{"func(in) error", `{"n":-1}`, invoke.FunctionError, `{"errorMessage":"negative","errorType":"errorString"}`},
		{"func(in) error", `{"n":1}`, invoke.Success, `null`},
		{"func(ctx, in) (out, error)", `{"n":21}`, invoke.Success, `{"double":42}`},
		{"func(in) (*out, error)", `{"n":4}`, invoke.Success, `{"double":8}`},
		{"func() (out, error)", `{}`, invoke.Success, `"plain"`},
		{"StartWithOptions", `{}`, invoke.Success, `{"html":"<b>&</b>"}`},
		{"StartHandlerFunc", `{"n":5}`, invoke.Success, `{"double":10}`},
		{"WithContextValue", `{}`, invoke.Success, `"from options"`},
		// aws-lambda-go reports a handler it cannot call on the first
		// invocation, not at start.
		{"bad signature", `{}`, invoke.FunctionError, `{"errorMessage":"handlers may not take more than two arguments, but handler takes 3","errorType":"errorString"}`},
		{"no start", `{}`, invoke.Crash, `{"errorMessage":"main returned without calling lambda.Start (or guest.Serve)","errorType":"Runtime.NoHandler"}`},
	} {
		t.Run(tc.signature, func(t *testing.T) {
			f := load(t, "Signatures", wasm, wasmhost.FunctionConfig{Env: map[string]string{"SIGNATURE": tc.signature}})
			res := f.Invoke(context.Background(), request(tc.event))
			if res.Kind != tc.kind || string(res.Payload) != tc.want {
				t.Fatalf("got %v %s\nwant %v %s\nlog:\n%s", res.Kind, res.Payload, tc.kind, tc.want, res.Log)
			}
		})
	}
}
