package edge

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// MaxURL bounds a request's target (the URL as sent on the request line);
// [LimitURL] refuses a longer one.
const MaxURL = 1 << 20

// MaxHeaderBytes is the http.Server's MaxHeaderBytes for fresco's servers:
// above MaxURL, so that a request whose URL alone is over MaxURL reaches
// LimitURL and gets the surface's answer rather than net/http's bare 431.
const MaxHeaderBytes = 2 << 20

// Messages of the edge's own refusals.
const (
	msgURLTooLong = "The request URL is %d bytes; fresco accepts at most %d"
	msgBadRequest = "The request could not be read: %s"
	msgHeaderSize = "The request's headers are over %d bytes"
)

// LimitURL returns a middleware that answers a request whose target is
// over MaxURL with refuse's 413.
func LimitURL(refuse Refuse) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n := len(r.RequestURI); n > MaxURL {
				refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(msgURLTooLong, n, MaxURL))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Listener wraps ln so that the answers net/http gives on its own, before
// any handler runs, to a request it cannot read (a malformed request line,
// such as a path with %zz, or header; headers over MaxHeaderBytes; an
// unsupported Transfer-Encoding) are refuse's instead: 400 for a malformed
// request, 413 for headers too large. net/http writes those answers
// straight to the connection, in text/plain, and offers no hook for them;
// the wrapped connection recognises them by their fixed form (a status line
// followed by exactly Content-Type: text/plain; charset=utf-8 and
// Connection: close, and no Date, which every handler's answer has) and
// writes refuse's answer in their place. Such a connection is then closed
// cleanly: what the client still sends is read and discarded for a moment
// (up to MaxDrain) first, so that its kernel does not receive a reset that
// would destroy the answer.
func Listener(ln net.Listener, refuse Refuse) net.Listener {
	return &listener{Listener: ln, refuse: refuse}
}

type listener struct {
	net.Listener
	refuse Refuse
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, refuse: l.refuse}, nil
}

// conn is an accepted connection whose net/http error answers are
// replaced.
type conn struct {
	net.Conn
	refuse Refuse
	// refused is set once an answer of net/http's own was replaced.
	refused atomic.Bool
}

// lingerWindow bounds how long a refused connection is drained at close.
const lingerWindow = time.Second

func (c *conn) Write(p []byte) (int, error) {
	status, text, ok := serverError(p)
	if !ok {
		return c.Conn.Write(p)
	}
	c.refused.Store(true)
	if status == http.StatusRequestHeaderFieldsTooLarge {
		status, text = http.StatusRequestEntityTooLarge, fmt.Sprintf(msgHeaderSize, MaxHeaderBytes)
	} else {
		status, text = http.StatusBadRequest, fmt.Sprintf(msgBadRequest, text)
	}
	if _, err := c.Conn.Write(renderAnswer(c.refuse, status, text)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseWrite half-closes the connection, as net/http does before it
// closes after an error (it looks for this method).
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection; after a replaced answer, it first sends the
// end of the answer and reads what the client still sends.
func (c *conn) Close() error {
	if c.refused.Load() {
		c.CloseWrite()
		c.Conn.SetReadDeadline(time.Now().Add(lingerWindow))
		io.CopyN(io.Discard, c.Conn, MaxDrain)
	}
	return c.Conn.Close()
}

// netHTTPErrorHeaders are the headers of net/http's own error answers
// (net/http's server.go, conn.serve), in their order.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// serverError reports whether p is one whole answer of net/http's own to an
// unreadable request, with its status and text.
func serverError(p []byte) (status int, text string, ok bool) {
	const maxText = 512
	if len(p) > 64+len(netHTTPErrorHeaders)+maxText ||
		!(bytes.HasPrefix(p, []byte("HTTP/1.1 ")) || bytes.HasPrefix(p, []byte("HTTP/1.0 "))) {
		return 0, "", false
	}
	line, rest, found := bytes.Cut(p, []byte("\r\n"))
	if !found || len(line) < 12 {
		return 0, "", false
	}
	body, found := bytes.CutPrefix(p[len(line):], []byte(netHTTPErrorHeaders))
	if !found || bytes.ContainsAny(body, "\r\n") || len(rest) == 0 {
		return 0, "", false
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil || status < 400 || status > 599 {
		return 0, "", false
	}
	return status, string(body), true
}

// renderAnswer is refuse's answer as the bytes of an HTTP/1.1 response that
// closes the connection.
func renderAnswer(refuse Refuse, status int, message string) []byte {
	rec := &recorder{header: http.Header{}}
	refuse(rec, status, message)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	rec.header.Set("Connection", "close")
	rec.header.Set(HeaderContentLength, strconv.Itoa(rec.body.Len()))
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", rec.status, http.StatusText(rec.status))
	rec.header.Write(&b)
	b.WriteString("\r\n")
	b.Write(rec.body.Bytes())
	return b.Bytes()
}

// recorder is the http.ResponseWriter that renderAnswer hands refuse.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}
