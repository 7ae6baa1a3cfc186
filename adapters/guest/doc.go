// Package guest is the Go binding of the fresco guest ABI (docs/abi.md) for
// modules built with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared.
//
// A program calls Serve from main with a Handler. fresco runs the module's
// init phase (the Go runtime, package init, then main up to Serve) once per
// instance, and then calls the handler for exactly one invocation. Most users
// want adapters/lambda, which wraps aws-lambda-go handlers; this package is
// for code that does not.
//
// Outside wasip1 the package only declares its types: Serve panics, since
// there is no fresco host to serve.
package guest

import "time"

// Invocation is one invocation as the host hands it over: the event and the
// context values of the Lambda Runtime API.
type Invocation struct {
	Payload            []byte
	RequestID          string
	DeadlineMs         int64
	InvokedFunctionARN string
	TraceID            string
	// TraceEnv is "_X_AMZN_TRACE_ID=" + TraceID, sharing TraceID's bytes:
	// the environment entry for the trace id, for an adapter that puts it
	// in the environment as aws-lambda-go does. Empty if there is none.
	TraceEnv string
	// ClientContext and CognitoIdentity are JSON documents, empty when absent.
	ClientContext   string
	CognitoIdentity string
}

// Handler handles one invocation. It returns the response, or an error: a
// type and a Lambda error document ({"errorMessage","errorType",...}).
type Handler func(inv *Invocation) (response []byte, errType string, errBody []byte)

// Context value names, as in the Runtime API's invocation/next headers.
const (
	HeaderRequestID       = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs      = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID         = "Lambda-Runtime-Trace-Id"
	HeaderClientContext   = "Lambda-Runtime-Client-Context"
	HeaderCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
)

// Errors of a streamed response (StreamStart, StreamWrite), from the ABI's
// errnos.
var (
	// ErrAlreadySent: the invocation's answer was already posted (or its
	// stream already started, for StreamStart).
	ErrAlreadySent = streamError("fresco: the response was already sent")
	// ErrTooLarge: the stream passed Lambda's limit on a streamed response;
	// the invocation fails with Function.ResponseSizeTooLarge.
	ErrTooLarge = streamError("fresco: the streamed response exceeds Lambda's limit")
	// ErrStreamClosed: the caller is no longer reading the stream.
	ErrStreamClosed = streamError("fresco: the response stream is closed")
	// ErrNotInInvocation: called outside the handler.
	ErrNotInInvocation = streamError("fresco: not in an invocation")
)

type streamError string

func (e streamError) Error() string { return string(e) }

// errnoError is the error of an ABI errno (nil for 0).
func errnoError(errno int32) error {
	switch errno {
	case 0:
		return nil
	case 1:
		return ErrAlreadySent
	case 2:
		return ErrTooLarge
	case 3:
		return ErrNotInInvocation
	case 4:
		return ErrStreamClosed
	}
	return streamError("fresco: unknown errno")
}

// WarmInvocation is the invocation a warmer (see OnSnapshot) runs a
// handler's stand-in with before the snapshot: payload as its event, a
// request id of zeros, a minute to its deadline.
func WarmInvocation(payload []byte) *Invocation {
	return &Invocation{
		Payload:            payload,
		RequestID:          "00000000-0000-0000-0000-000000000000",
		InvokedFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:fresco-warm",
		TraceID:            "Root=1-00000000-000000000000000000000000",
		DeadlineMs:         time.Now().Add(time.Minute).UnixMilli(),
	}
}
