//go:build wasip1

package lambda

import (
	"context"
	"reflect"
	"time"
	"unsafe"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frescolabs/fresco/adapters/guest"
	"github.com/frescolabs/fresco/adapters/hosthttp"
	"github.com/frescolabs/fresco/adapters/internal/lambdart"
)

// The handler's HTTP goes through the host, from before its package's own
// init runs (this package's init runs first).
func init() { hosthttp.Install() }

func start(handler interface{}, options []Option) {
	h := awslambda.NewHandlerWithOptions(handler, options...)
	base := baseContext(h)
	guest.OnSnapshot(func() { warm(handler, options, base) })
	guest.OnSnapshot(hosthttp.Warm)
	guest.Serve(func(inv *guest.Invocation) ([]byte, string, []byte) {
		return invoke(base, h, inv)
	})
}

// invoke runs one invocation the way aws-lambda-go's runtime loop does:
// same context, same deadline, same error and panic documents. The
// deadline's context starts no timer unless the handler waits on it
// (lambdart.WithDeadline).
func invoke(base context.Context, h Handler, inv *guest.Invocation) ([]byte, string, []byte) {
	ctx, cancel := lambdart.WithDeadline(base, time.UnixMilli(inv.DeadlineMs))
	defer cancel()
	lc := lambdacontext.LambdaContext{
		AwsRequestID:       inv.RequestID,
		InvokedFunctionArn: inv.InvokedFunctionARN,
	}
	if err := decodeJSON(inv.ClientContext, &lc.ClientContext, "client context"); err != nil {
		return failure(errorResponse(err))
	}
	if err := decodeJSON(inv.CognitoIdentity, &lc.Identity, "cognito identity"); err != nil {
		return failure(errorResponse(err))
	}
	ctx = lambdacontext.NewContext(ctx, &lc)
	// An instance runs one invocation, so the trace id goes into the
	// environment as well, as aws-lambda-go does when it does not run
	// invocations concurrently.
	lambdart.SetTraceEnv(inv.TraceEnv, inv.TraceID)
	//lint:ignore SA1029 aws-lambda-go's own key, which handlers read.
	ctx = context.WithValue(ctx, "x-amzn-trace-id", inv.TraceID) //nolint:staticcheck

	out, ierr := call(ctx, h, inv.Payload)
	if ierr != nil {
		return failure(ierr)
	}
	return out, "", nil
}

// baseContext is the context aws-lambda-go derives every invocation's
// context from: the one given with WithContext, carrying the values of
// WithContextValue. aws-lambda-go keeps it in an unexported field of the
// handler NewHandlerWithOptions returns and reads it in its (unexported)
// runtime loop; this reads the same field, and falls back to Background
// if a future version moves it.
func baseContext(h Handler) context.Context {
	v := reflect.ValueOf(h)
	if v.Kind() != reflect.Ptr || v.Elem().Kind() != reflect.Struct {
		return context.Background()
	}
	f := v.Elem().FieldByName("baseContext")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*context.Context)(nil)).Elem() || !f.CanAddr() {
		return context.Background()
	}
	ctx := *(*context.Context)(unsafe.Pointer(f.UnsafeAddr()))
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

// warm runs the adapter's whole invocation path once, as an invocation
// would, on a stand-in for the handler: a function of the handler's type
// that returns zero values, wrapped by aws-lambda-go like the real one. So
// encoding/json's and reflect's caches for the handler's event and response
// types, aws-lambda-go's and this package's first-use work (the process
// environment's copy, context machinery) are done before fresco
// takes the snapshot, and no invocation pays for them. The user's handler
// is never called.
func warm(handler interface{}, options []Option, base context.Context) {
	standIn := Handler(noopHandler{})
	event := []byte("{}")
	if fn, ev, ok := lambdart.StandIn(handler); ok {
		standIn, event = awslambda.NewHandlerWithOptions(fn, options...), ev
	}
	invoke(base, standIn, guest.WarmInvocation(event))
	lambdart.PrepareTraceEnv()
	// A handler that waits on its context's Done starts a timer: that
	// machinery's first use, too, belongs in the image.
	ctx, cancel := lambdart.WithDeadline(base, time.Now().Add(time.Minute))
	ctx.Done()
	cancel()
}

// noopHandler stands in for a Handler during warm.
type noopHandler struct{}

func (noopHandler) Invoke(context.Context, []byte) ([]byte, error) { return []byte("null"), nil }
