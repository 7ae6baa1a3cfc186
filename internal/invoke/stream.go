package invoke

// Response streaming: a function may send its response as it makes it
// (InvokeWithResponseStream, Function URLs in RESPONSE_STREAM mode) instead
// of posting it whole.

// MaxStreamedResponse is the largest streamed response, in bytes (Lambda's
// 20 MB limit on a streamed response): past it the stream ends with
// Function.ResponseSizeTooLarge.
const MaxStreamedResponse = 20 << 20

// The content types of a streamed response that Lambda gives meaning to.
const (
	// StreamContentTypeDefault is a stream's type when the function names none.
	StreamContentTypeDefault = "application/octet-stream"
	// StreamContentTypeHTTP is aws-lambda-go's
	// LambdaFunctionURLStreamingResponse: a JSON prelude (statusCode,
	// headers, cookies), StreamPreludeSeparator, then the body. Function
	// URLs turn the prelude into the HTTP status and headers.
	StreamContentTypeHTTP = "application/vnd.awslambda.http-integration-response"
)

// StreamPreludeSeparator ends the prelude of a StreamContentTypeHTTP stream.
const StreamPreludeSeparator = "\x00\x00\x00\x00\x00\x00\x00\x00"

// ResponseStream is where a streamed response goes: the front door's
// writer, set on Request.Stream by a front door that can stream. The sandbox
// calls it on the guest's goroutine, one call at a time: Begin once, before
// the first Write, then Write and Flush as the guest writes. Write must not
// retain p (it may be a view of guest memory). A Write that fails (the
// caller has gone, its write deadline passed) ends the stream: the guest's
// later writes fail at once. Implementations bound how long a Write may
// block (a write deadline), so that a slow reader cannot hold a guest past
// its invocation's deadline.
type ResponseStream interface {
	Begin(contentType string) error
	Write(p []byte) (int, error)
	Flush() error
}
