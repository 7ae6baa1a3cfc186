package edge

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// MaxDrain bounds how much of an oversized body is read and discarded
// before the answer, so that clients that write the whole body before
// reading (urllib3, the AWS CLI) see the answer instead of a reset.
const MaxDrain = 8 << 20

// ErrTooLarge is the error of [ReadLimited] for a body over its limit.
var ErrTooLarge = errors.New("request body too large")

// ReadLimited reads r's body, at most limit bytes, and returns it with its
// size. A body over limit returns ErrTooLarge and its size: the declared
// Content-Length, else what was read plus what could be drained, or -1 when
// that is not known. An oversized body is drained (up to MaxDrain), never
// kept, so that the client reads the answer; with Expect: 100-continue and
// a declared oversize, nothing is read at all. Any other error is the
// body's.
func ReadLimited(r *http.Request, limit int64) (body []byte, size int64, err error) {
	if r.ContentLength > limit {
		if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
			io.CopyN(io.Discard, r.Body, MaxDrain)
		}
		return nil, r.ContentLength, ErrTooLarge
	}
	body, size, err = ReadPrefix(r, limit)
	if err == ErrTooLarge {
		body = nil
	}
	return body, size, err
}

// ReadPrefix reads r's body as ReadLimited does, whatever its declared
// length and Expect, but returns the first limit+1 bytes of an oversized
// body with ErrTooLarge: the Runtime API hands that prefix on, and its
// clients are fresco's own processes.
func ReadPrefix(r *http.Request, limit int64) (body []byte, size int64, err error) {
	if r.ContentLength >= 0 && r.ContentLength <= limit {
		// net/http ends the body at its declared length: read it in one piece.
		body = make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, 0, err
		}
		return body, r.ContentLength, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, 0, err
	}
	size = int64(len(body))
	if size <= limit {
		return body, size, nil
	}
	drained, _ := io.CopyN(io.Discard, r.Body, MaxDrain)
	switch {
	case r.ContentLength >= 0:
		size = r.ContentLength
	case drained < MaxDrain:
		size += drained
	default:
		size = -1
	}
	return body, size, ErrTooLarge
}

// WriteJSON writes an answer of status with a JSON body: Content-Type,
// Content-Length, the status, the body. An error writing the body means the
// client went away; there is nobody to tell.
func WriteJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set(HeaderContentType, ContentTypeJSON)
	h.Set(HeaderContentLength, strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
