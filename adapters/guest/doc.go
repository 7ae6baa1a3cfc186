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
