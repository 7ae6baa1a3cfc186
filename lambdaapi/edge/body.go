package edge

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
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
			markUnread(r)
		}
		return nil, r.ContentLength, ErrTooLarge
	}
	body, size, err = ReadPrefix(r, limit)
	if err == ErrTooLarge {
		body = nil
		markUnread(r)
	}
	return body, size, err
}

// markUnread records in r's State that its body was refused after reading
// began, so that [AnswerUnread] reads the rest after the answer.
func markUnread(r *http.Request) {
	if st := StateOf(r); st != nil {
		st.unread = true
	}
}

// DrainWindow bounds how long [AnswerUnread] reads the rest of a refused
// body after the answer.
const DrainWindow = 10 * time.Second

// AnswerUnread writes an answer with write and, when [ReadLimited] refused
// the request's body after it began to read it, makes sure the client
// reads that answer however large its body: the answer goes out at once
// with Connection: close, then the rest of the body is read and discarded
// (for up to DrainWindow; memory is never held) and the connection closes
// cleanly. Without this, net/http would close a connection with unread
// data, which the kernel answers with a reset, and a client that writes its
// whole body before reading (urllib3: the AWS CLI, boto3) would see the
// reset instead of the 413. Otherwise it just calls write.
func AnswerUnread(w http.ResponseWriter, r *http.Request, write func()) {
	st := StateOf(r)
	if st == nil || !st.unread {
		write()
		return
	}
	rc := http.NewResponseController(w)
	// Reads of the body after the answer has begun need full duplex in
	// HTTP/1; without it (HTTP/2) the body is left to net/http.
	duplex := rc.EnableFullDuplex() == nil
	w.Header().Set("Connection", "close")
	write()
	if !duplex || rc.Flush() != nil {
		return
	}
	rc.SetReadDeadline(time.Now().Add(DrainWindow))
	io.Copy(io.Discard, r.Body)
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
