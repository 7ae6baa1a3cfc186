// Package invokeapi serves the AWS Lambda Invoke API over HTTP:
//
//	POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=...]
//
// It speaks the wire contract of the Lambda service model (restJson1, as
// botocore and aws-sdk-go-v2 ship it), so the AWS CLI, boto3 and the AWS SDKs
// can call fresco as they would call Lambda. It knows nothing of how a
// function runs: [NewHandler] takes a [Backend] that resolves names and runs
// invocations, and everything in between (name and ARN parsing, headers,
// limits, error rendering) is here.
//
// # Behaviour
//
// FunctionName may be a name ("Hello"), "name:qualifier", a full ARN
// ("arn:aws:lambda:us-east-1:123456789012:function:Hello[:qualifier]") or a
// partial ARN ("123456789012:function:Hello[:qualifier]"), percent-encoded or
// not. The path is unescaped exactly once. The region and account of an ARN
// are checked for shape only: the emulator has one account, and a client
// configured for any region reaches it. A name that breaks the service
// model's pattern or length limits is answered with 400
// InvalidParameterValueException ("1 validation error detected: ..."); a
// name that fits the pattern but is unknown (including a name with '.',
// which the model's pattern allows but no function can carry) is the
// Backend's 404 ResourceNotFoundException. A qualifier in the name and a
// different ?Qualifier= is 400 InvalidParameterValueException.
//
// X-Amz-Invocation-Type selects RequestResponse (default, 200 with the
// function's response), Event (202, empty body, run by the Backend in the
// background) or DryRun (204 once the function resolves and the request is
// valid; nothing runs). Any other value is 400.
//
// The body is the payload, whatever the Content-Type (clients often send
// none, so UnsupportedMediaTypeException is never produced). An empty body is
// passed to the function as "{}", as Lambda does; a non-empty body must be
// valid JSON (400 InvalidRequestContentException otherwise). Bodies over
// [invoke.MaxSyncRequest] bytes (RequestResponse, DryRun) or
// [invoke.MaxAsyncRequest] bytes (Event) are answered with 413
// RequestTooLargeException; the body is read through a bounded reader and
// never buffered beyond the limit.
//
// X-Amz-Client-Context is at most 3583 bytes of base64 of a JSON object; it
// reaches the function (RequestResponse only, as in Lambda) decoded, in
// [invoke.Request.ClientContext]. X-Amz-Log-Type: Tail on a RequestResponse
// invocation returns X-Amz-Log-Result, the base64 of the last 4096 bytes of
// the invocation's log; it is ignored for Event and DryRun.
//
// A function error or timeout is a 200 with X-Amz-Function-Error: Unhandled
// and the {"errorMessage","errorType"} document as the body. Every other
// failure is a service error, rendered in one place: its status, the
// x-amzn-ErrorType header, and a {"Type":"User"|"Service","message":...}
// body. Every response carries x-amzn-RequestId; the same id is the
// invocation's request id.
//
// # Imports
//
// invokeapi imports the HTTP edge (lambdaapi/edge) and internal/invoke; it
// imports no wazero and nothing of wasmhost or emulator (its tests
// excepted).
//
// See the repository's RATIONALE.md ("The Invoke API") for why each choice
// was made.
package invokeapi
