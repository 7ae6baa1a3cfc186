package invokeapi

// The wire contract of the Invoke operation, from the Lambda service model
// (botocore data/lambda/2015-03-31/service-2.json), in one place.

// Routes.
const (
	invokeRoute  = "/2015-03-31/functions/{FunctionName}/invocations"
	invokePrefix = "/2015-03-31/functions/"
	invokeSuffix = "/invocations"
)

// Request headers and query parameters.
const (
	headerInvocationType = "X-Amz-Invocation-Type"
	headerLogType        = "X-Amz-Log-Type"
	headerClientContext  = "X-Amz-Client-Context"
	queryQualifier       = "Qualifier"
)

// Response headers (x-amzn-RequestId and x-amzn-ErrorType are edge's).
const (
	headerExecutedVersion = "X-Amz-Executed-Version"
	headerFunctionError   = "X-Amz-Function-Error"
	headerLogResult       = "X-Amz-Log-Result"
)

// Error types of the edge's refusals (the others are internal/invoke's).
// AccessDeniedException is not among Invoke's errors in the model: it is
// the authorisation error of every AWS service, which the SDKs surface by
// its name.
const (
	errorTypeAccessDenied   = "AccessDeniedException"
	errorTypeTooLarge       = "RequestTooLargeException"
	errorTypeInvalidContent = "InvalidRequestContentException"
)

// Values of X-Amz-Invocation-Type (enum InvocationType).
const (
	invocationRequestResponse = "RequestResponse"
	invocationEvent           = "Event"
	invocationDryRun          = "DryRun"
)

// Values of X-Amz-Log-Type (enum LogType).
const (
	logTypeNone = "None"
	logTypeTail = "Tail"
)

// Limits.
const (
	// maxNamespacedName is the length limit of the FunctionName label
	// (NamespacedFunctionName, max 256).
	maxNamespacedName = 256
	// maxFunctionName is the length of a bare function name (FunctionName in
	// CreateFunction); the model's documentation says a name alone is limited
	// to 64 characters.
	maxFunctionName = 64
	// maxQualifier is the length limit of a version or alias.
	maxQualifier = 128
	// maxClientContext is the limit on X-Amz-Client-Context, counted on the
	// base64 text ("Up to 3,583 bytes of base64-encoded data").
	maxClientContext = 3583
	// maxLogTail is how much of the log X-Amz-Log-Result carries ("the last
	// 4 KB of the execution log").
	maxLogTail = 4096
)

// The service model's patterns, quoted in validation messages.
const (
	patternFunctionName = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`
	patternQualifier    = `(|[a-zA-Z0-9$_-]+)`
)

// Messages Lambda uses for these errors.
const (
	msgQualifierMismatch     = "The derived qualifier from the function name does not match the specified qualifier."
	msgInvalidClientContext  = "Client context must be a valid Base64-encoded JSON object."
	msgClientContextTooLarge = "Client context must be no larger than 3583 bytes when Base64-encoded."
	msgInvalidJSON           = "Could not parse request body into json: Could not parse payload into json: "
	msgTooLargeSync          = "Request must be smaller than %d bytes for the InvokeFunction operation"
	msgTooLargeEvent         = "%d byte payload is too large for the Event invocation type (limit %d bytes)"
	msgTooLargeEventUnknown  = "Payload is too large for the Event invocation type (limit %d bytes)"
	msgInternal              = "An internal error occurred."
)
