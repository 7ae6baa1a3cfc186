//go:build wasip1

package lambda

import (
	"context"
	"os"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frescolabs/fresco/adapters/guest"
)

func start(handler interface{}, options []Option) {
	h := awslambda.NewHandlerWithOptions(handler, options...)
	guest.Serve(func(inv *guest.Invocation) ([]byte, string, []byte) {
		return invoke(h, inv)
	})
}

// invoke runs one invocation the way aws-lambda-go's runtime loop does:
// same context, same deadline, same error and panic documents.
func invoke(h Handler, inv *guest.Invocation) ([]byte, string, []byte) {
	ctx, cancel := context.WithDeadline(context.Background(), time.UnixMilli(inv.DeadlineMs))
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
