//go:build wasip1

package lambda

import (
	"context"
	"os"
	"reflect"
	"time"
	"unsafe"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frescolabs/fresco/adapters/guest"
)

func start(handler interface{}, options []Option) {
	h := awslambda.NewHandlerWithOptions(handler, options...)
	base := baseContext(h)
	guest.Serve(func(inv *guest.Invocation) ([]byte, string, []byte) {
		return invoke(base, h, inv)
	})
}

// invoke runs one invocation the way aws-lambda-go's runtime loop does:
// same context, same deadline, same error and panic documents.
func invoke(base context.Context, h Handler, inv *guest.Invocation) ([]byte, string, []byte) {
	ctx, cancel := context.WithDeadline(base, time.UnixMilli(inv.DeadlineMs))
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
	os.Setenv("_X_AMZN_TRACE_ID", inv.TraceID)
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
