package runtimeapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/frescolabs/fresco/internal/invoke"
)

// headerResponseMode is how a runtime says it streams its response post
// (value "streaming"), with a chunked body and, for an error mid-stream,
// the Lambda-Runtime-Function-Error-Type and -Body trailers.
const (
	headerResponseMode = "Lambda-Runtime-Function-Response-Mode"
	responseStreaming  = "streaming"
)

// Streamer is a Runtime whose invocations may have a stream
// (invoke.Request.Stream): a response post then goes to the stream as it
// arrives, instead of being read whole.
type Streamer interface {
	// Stream returns the stream of the assigned, unfinished invocation id,
	// nil when its caller reads no stream, or InvalidRequestID.
	Stream(requestID string) (invoke.ResponseStream, error)
	// FinishStream ends invocation id with res (whose Streamed counts what
	// went to the stream).
	FinishStream(requestID string, res *invoke.Result) error
}

// streamResponse copies a response post to the invocation's stream as it
// arrives, and reports whether it did (false: the post is read whole, as
// before).
func (s *runtimeServer) streamResponse(w http.ResponseWriter, r *http.Request, id string) bool {
	st, ok := s.rt.(Streamer)
	if !ok || (r.Header.Get(headerResponseMode) != responseStreaming && r.ContentLength >= 0) {
		return false
	}
	sink, err := st.Stream(id)
	if err != nil {
		s.writeError(w, r, err)
		return true
	}
	if sink == nil {
		return false
	}
	contentType := r.Header.Get("Content-Type")
	if contentType == "" {
		contentType = invoke.StreamContentTypeDefault
	}
	res := &invoke.Result{Kind: invoke.Success, StreamContentType: contentType}
	finish := func(status error) {
		s.finish(w, r, errors.Join(st.FinishStream(id, res), status))
	}
	if err := sink.Begin(contentType); err != nil {
		finish(nil) // the caller has gone; the answer stands
		return true
	}
	buf := make([]byte, 32<<10)
	for {
		n, rerr := r.Body.Read(buf)
		if n > 0 {
			if res.Streamed+int64(n) > invoke.MaxStreamedResponse {
				*res = *invoke.ErrorResult(invoke.ResponseTooLarge, invoke.ErrResponseTooLarge,
					fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", invoke.MaxStreamedResponse))
				res.Streamed = invoke.MaxStreamedResponse
				finish(ResponseTooLarge(-1))
				return true
			}
			wn, werr := sink.Write(buf[:n])
			res.Streamed += int64(wn)
			if werr == nil {
				werr = sink.Flush()
			}
			if werr != nil {
				// The caller stopped reading: the rest is drained unread.
				io.Copy(io.Discard, io.LimitReader(r.Body, invoke.MaxStreamedResponse))
				break
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			*res = *invoke.ErrorResult(invoke.Crash, invoke.ErrExit, "the runtime's streamed response broke: "+rerr.Error())
			break
		}
	}
	if errType := r.Trailer.Get(headerRuntimeErrorType); errType != "" {
		doc, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerRuntimeErrorBody))
		streamed := res.Streamed
		*res = invoke.Result{Kind: invoke.FunctionError, ErrorType: errType, Payload: doc}
		if len(doc) == 0 {
			res.Payload = invoke.ErrorResult(invoke.FunctionError, errType, "").Payload
		}
		res.Streamed, res.StreamContentType = streamed, contentType
	}
	finish(nil)
	return true
}
