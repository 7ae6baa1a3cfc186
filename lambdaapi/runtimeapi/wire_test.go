package runtimeapi_test

// The wire contract as the tests know it, written out.
const (
	runtimeNextRoute        = "/2018-06-01/runtime/invocation/next"
	runtimeInitRoute        = "/2018-06-01/runtime/init/error"
	headerRuntimeErrorType  = "Lambda-Runtime-Function-Error-Type"
	trailerRuntimeErrorBody = "Lambda-Runtime-Function-Error-Body"

	runtimeErrInvalidRequestID = "InvalidRequestID"
	runtimeErrUnknownOperation = "UnknownOperation"
)
