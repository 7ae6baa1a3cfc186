package hosthttp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// Errno is the code a fresco_http call failed with (docs/abi.md).
type Errno int32

// The module's codes.
const (
	Denied          Errno = 1  // refused by the egress policy
	Connect         Errno = 2  // connection refused, host unreachable, no such host
	NotInInvocation Errno = 3  // called outside an invocation
	Timeout         Errno = 4  // the invocation's deadline passed
	TLS             Errno = 5  // TLS handshake or certificate failure
	TooLarge        Errno = 6  // request or response past its bound
	BadHandle       Errno = 7  // no such open response
	Invalid         Errno = 8  // malformed request
	IO              Errno = 9  // any other failure of the exchange
	TooMany         Errno = 10 // too many open responses
	Credentials     Errno = 11 // the host has no AWS credentials for a signed request
	Unavailable     Errno = 12 // the host offers no such service
)

// Error is a failed call: its code and the host's message.
type Error struct {
	Errno   Errno
	Message string
}

func (e *Error) Error() string { return "fresco_http: " + e.Message }

// Timeout reports whether the error is the deadline's (net.Error).
func (e *Error) Timeout() bool { return e.Errno == Timeout }

// Temporary is false: net.Error wants it.
func (e *Error) Temporary() bool { return false }

// ErrNotInSandbox: the package runs outside a fresco sandbox.
var ErrNotInSandbox = errors.New("hosthttp: not running in a fresco sandbox (GOOS=wasip1)")

// Transport is the http.RoundTripper over the host. The zero value is
// ready; it keeps no state (the host pools the connections).
type Transport struct{}

var _ http.RoundTripper = Transport{}

// Client returns an *http.Client that sends through the host: the option
// for SDK clients that build their own transport, e.g.
// config.WithHTTPClient(hosthttp.Client()).
func Client() *http.Client { return &http.Client{Transport: Transport{}} }

// RoundTrip sends req through the host.
func (Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	head, err := requestHead(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	var body []byte
	if req.Body != nil {
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("hosthttp: read request body: %w", err)
		}
	}
	h, err := hostRequest(head, body)
	if err != nil {
		return nil, err
	}
	rec, err := hostHead(h)
	if err != nil {
		hostClose(h)
		return nil, err
	}
	resp, err := parseHead(rec)
	if err != nil {
		hostClose(h)
		return nil, err
	}
	resp.Request = req
	resp.Body = &body_{h: h}
	if req.Method == http.MethodHead {
		resp.Body.Close()
		resp.Body = http.NoBody
	}
	return resp, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// requestHead is req's head as the host reads it: "METHOD URL\n", then
// "Name: value\n" per value.
func requestHead(req *http.Request) ([]byte, error) {
	if req.URL == nil {
		return nil, errors.New("hosthttp: request has no URL")
	}
	var b bytes.Buffer
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	u := *req.URL
	u.Fragment = ""
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(u.String())
	b.WriteByte('\n')
	if req.Host != "" && req.Host != req.URL.Host {
		if strings.ContainsAny(req.Host, "\r\n") {
			return nil, errors.New("hosthttp: invalid Host")
		}
		b.WriteString("Host: " + req.Host + "\n")
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			if strings.ContainsAny(k, "\r\n: ") || strings.ContainsAny(v, "\r\n") {
				return nil, fmt.Errorf("hosthttp: invalid header %q", k)
			}
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	if req.ContentLength == 0 && req.Body == nil && (method == "POST" || method == "PUT" || method == "PATCH") {
		b.WriteString("Content-Length: 0\n")
	}
	return b.Bytes(), nil
}

// parseHead parses the head record: "STATUS\n", then "Name: value\n".
func parseHead(rec []byte) (*http.Response, error) {
	s := string(rec)
	line, rest, _ := strings.Cut(s, "\n")
	code, err := strconv.Atoi(line)
	if err != nil || code < 100 || code > 999 {
		return nil, fmt.Errorf("hosthttp: bad status %q from the host", line)
	}
	resp := &http.Response{
		StatusCode: code, Status: strconv.Itoa(code) + " " + http.StatusText(code),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header), ContentLength: -1,
	}
	for rest != "" {
		line, rest, _ = strings.Cut(rest, "\n")
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		k = textproto.CanonicalMIMEHeaderKey(k)
		resp.Header[k] = append(resp.Header[k], v)
	}
	if cl := resp.Header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			resp.ContentLength = n
		}
	}
	return resp, nil
}

// body_ reads a response's body from the host.
type body_ struct {
	h      int32
	eof    bool
	closed bool
}

func (b *body_) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("hosthttp: read on a closed body")
	}
	if b.eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := hostRead(b.h, p)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		b.eof = true
		return 0, io.EOF
	}
	return n, nil
}

func (b *body_) Close() error {
	if !b.closed {
		b.closed = true
		hostClose(b.h)
	}
	return nil
}

// Warm runs the guest's half of a request, without calling the host:
// what net/http, net/url and net/textproto build lazily on first use is
// then built before fresco takes the function's snapshot, not again in
// every invocation. fresco's adapters register it as a snapshot warmer.
func Warm() {
	req, err := http.NewRequest(http.MethodGet, "http://fresco.invalid/warm?x=1", nil)
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "fresco")
	requestHead(req)
	if resp, err := parseHead([]byte("200\nContent-Length: 2\nContent-Type: text/plain\nDate: Mon, 01 Jan 2024 00:00:00 GMT\n")); err == nil {
		resp.Header.Get("Content-Type")
		resp.Body = http.NoBody
		resp.Body.Close()
	}
	// The client's own path, to the transport's refusal of an unknown
	// scheme (no host call): http.Transport configures itself (HTTP/2,
	// its GODEBUG settings) once, on its first RoundTrip, which would
	// otherwise be in every invocation. Only net/http's own transport: a
	// handler's own RoundTripper is not called outside an invocation.
	dt, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return
	}
	if req, err := http.NewRequest(http.MethodGet, "fresco-warm://fresco.invalid/", nil); err == nil {
		if resp, err := (&http.Client{Transport: dt}).Do(req); err == nil {
			resp.Body.Close()
		}
	}
}

// InvokeResult is the answer of a direct invocation, as the Invoke API
// gives it.
type InvokeResult struct {
	// StatusCode is 200 (202 for an Event), or a service error's status.
	StatusCode int
	// FunctionError is "Unhandled" when the function failed.
	FunctionError string
	// Payload is the function's response, its error document, or the
	// service error's {"Type","message"}.
	Payload []byte
}

// Invoke invokes the function name (a name, an ARN, with an optional
// :qualifier) of the same fresco with payload, synchronously, or as an
// Event when event is true, without an HTTP hop.
func Invoke(name string, payload []byte, event bool) (*InvokeResult, error) {
	h, err := hostInvoke(name, payload, event)
	if err != nil {
		return nil, err
	}
	defer hostClose(h)
	rec, err := hostHead(h)
	if err != nil {
		return nil, err
	}
	resp, err := parseHead(rec)
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(&body_{h: h})
	if err != nil {
		return nil, err
	}
	return &InvokeResult{StatusCode: resp.StatusCode, FunctionError: resp.Header.Get("X-Amz-Function-Error"), Payload: out}, nil
}
