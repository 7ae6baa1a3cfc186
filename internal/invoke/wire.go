package invoke

import "os"

// The account and region of the ARNs fresco reports: one account, and the
// region of the caller's environment.
const (
	DefaultAccountID = "123456789012"
	DefaultRegion    = "us-east-1"
)

// RegionFromEnv is the region AWS tools would use: AWS_REGION, then
// AWS_DEFAULT_REGION, else DefaultRegion. Read it once, at start-up.
func RegionFromEnv() string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return DefaultRegion
}

// FunctionErrorUnhandled is the X-Amz-Function-Error of every function error
// and timeout (current Lambda runtimes no longer report "Handled"), and the
// error type of an error posted without one.
const FunctionErrorUnhandled = "Unhandled"

// ErrCanceled is the error type of an invocation that never ran to its end
// because fresco stopped it (a shutdown, a rebuild, a closed function).
const ErrCanceled = "Sandbox.Canceled"

// The Runtime API's invocation headers: what GET /runtime/invocation/next
// sends with an event, and the names the wasm ABI gives the same context
// values (docs/abi.md). Guest code (adapters/) keeps its own copy: a user's
// module cannot import an internal package.
const (
	HeaderRuntimeRequestID       = "Lambda-Runtime-Aws-Request-Id"
	HeaderRuntimeDeadline        = "Lambda-Runtime-Deadline-Ms"
	HeaderRuntimeFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderRuntimeTraceID         = "Lambda-Runtime-Trace-Id"
	HeaderRuntimeClientContext   = "Lambda-Runtime-Client-Context"
	HeaderRuntimeCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
)

// FunctionARN is the unqualified ARN of a function.
func FunctionARN(region, name string) string {
	return "arn:aws:lambda:" + region + ":" + DefaultAccountID + ":function:" + name
}
