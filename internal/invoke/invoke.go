package invoke

import (
	"encoding/json"
	"fmt"
	"time"
)

// Limits of the Lambda service, as documented by AWS.
const (
	// MaxSyncRequest is the largest RequestResponse payload (6 MB).
	MaxSyncRequest = 6291456
	// MaxAsyncRequest is the largest Event payload (1 MB in the service model
	// that this emulator mirrors; AWS raised it later).
	MaxAsyncRequest = 1 << 20
	// MaxResponse is the largest synchronous response before the invocation
	// fails with Function.ResponseSizeTooLarge.
	MaxResponse = 6291556
)

// Error types that the sandbox reports on its own account (the guest's own
// errors carry whatever type the guest chose).
const (
	ErrTimeout          = "Sandbox.Timedout"
	ErrExit             = "Runtime.ExitError"
	ErrOutOfMemory      = "Runtime.OutOfMemory"
	ErrResponseTooLarge = "Function.ResponseSizeTooLarge"
	ErrABI              = "Runtime.ABIError"
	ErrNoResponse       = "Runtime.MissingResponse"
	ErrInit             = "Runtime.InitError"
	ErrInvalidResponse  = "Runtime.InvalidResponsePayload"
	// ErrInvalidEntrypoint is Lambda's error for code that cannot start;
	// fresco's for a function whose build or load failed.
	ErrInvalidEntrypoint = "Runtime.InvalidEntrypoint"
)

// Request is one invocation as the sandbox sees it.
type Request struct {
	RequestID          string
	Payload            []byte
	InvokedFunctionARN string
	TraceID            string
	// ClientContext and CognitoIdentity are JSON documents (already decoded
	// from the base64 of X-Amz-Client-Context); empty when absent.
	ClientContext   []byte
	CognitoIdentity []byte
	// Deadline is when the invocation times out. Zero means now + the
	// function's timeout.
	Deadline time.Time
	// Stream, when set, receives the response as the function streams it
	// (stream.go). A function that does not stream answers in Payload as
	// usual; with no Stream, what a function streams is buffered into the
	// Result's Payload, within MaxResponse, as Lambda does for Invoke.
	Stream ResponseStream
}

// Kind classifies how an invocation ended.
type Kind int

const (
	Success Kind = iota
	// FunctionError: the guest reported an error (handled or a panic caught
	// by its runtime).
	FunctionError
	// Timeout: the guest ran past its deadline and was stopped.
	Timeout
	// Crash: trap, exit, out of memory, ABI violation, init failure.
	Crash
	// ResponseTooLarge: the response exceeded MaxResponse.
	ResponseTooLarge
)

func (k Kind) String() string {
	switch k {
	case Success:
		return "success"
	case FunctionError:
		return "function error"
	case Timeout:
		return "timeout"
	case Crash:
		return "crash"
	case ResponseTooLarge:
		return "response too large"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Result is the outcome of one invocation.
type Result struct {
	Kind Kind
	// Payload is the response on Success, and the JSON error document
	// ({"errorMessage","errorType",...}) otherwise.
	Payload []byte
	// ErrorType is set when Kind != Success.
	ErrorType string
	// Log is what the invocation logged: the guest's stdout and stderr in the
	// order written (only stderr for stdio functions, whose stdout is the
	// response), plus any message of the sandbox about a failure.
	Log []byte
	// Duration is the time spent in the function's handler (init excluded).
	Duration time.Duration
	// InitDuration is the time spent in one-time initialisation for this
	// instance; zero when there was none.
	InitDuration time.Duration
	// RestoreDuration is the time spent making this invocation's instance
	// from the function's pre-initialised snapshot, when one was made for
	// it (zero when a ready instance served it); REPORT shows it as Lambda
	// SnapStart does.
	RestoreDuration time.Duration
	// MaxMemoryBytes is what the guest held at its peak: its linear memory
	// and, for a wasm guest, its tables' entries (8 bytes each), up to the
	// function's memory size.
	MaxMemoryBytes uint64
	// Streamed is how many bytes of the response went to Request.Stream
	// while the function ran; Payload then holds none of them (on success,
	// it is empty). StreamContentType is the type the function gave its
	// stream ("" when it did not stream).
	Streamed          int64
	StreamContentType string
}

// ErrorPayload is the JSON document Lambda returns for a function error.
type ErrorPayload struct {
	ErrorMessage string          `json:"errorMessage"`
	ErrorType    string          `json:"errorType"`
	StackTrace   json.RawMessage `json:"stackTrace,omitempty"`
}

// ErrorResult builds a non-success Result with a JSON error payload.
func ErrorResult(kind Kind, errType, msg string) *Result {
	b, _ := json.Marshal(ErrorPayload{ErrorMessage: msg, ErrorType: errType})
	return &Result{Kind: kind, ErrorType: errType, Payload: b}
}

// ServiceError is an error of the Lambda service itself (not of the
// function): it becomes an HTTP status, an x-amzn-ErrorType header and a
// {"Type","message"} body. lambdaapi renders it; the emulator returns it.
type ServiceError struct {
	Status  int
	Type    string // e.g. ResourceNotFoundException
	Message string
}

func (e *ServiceError) Error() string { return e.Type + ": " + e.Message }

// Service errors by name, with the HTTP status the service model gives them.
func NotFound(format string, a ...any) *ServiceError {
	return &ServiceError{404, "ResourceNotFoundException", fmt.Sprintf(format, a...)}
}
func InvalidRequestContent(format string, a ...any) *ServiceError {
	return &ServiceError{400, "InvalidRequestContentException", fmt.Sprintf(format, a...)}
}
func InvalidParameter(format string, a ...any) *ServiceError {
	return &ServiceError{400, "InvalidParameterValueException", fmt.Sprintf(format, a...)}
}
func RequestTooLarge(format string, a ...any) *ServiceError {
	return &ServiceError{413, "RequestTooLargeException", fmt.Sprintf(format, a...)}
}
func TooManyRequests(format string, a ...any) *ServiceError {
	return &ServiceError{429, "TooManyRequestsException", fmt.Sprintf(format, a...)}
}
func ServiceFailure(format string, a ...any) *ServiceError {
	return &ServiceError{500, "ServiceException", fmt.Sprintf(format, a...)}
}
