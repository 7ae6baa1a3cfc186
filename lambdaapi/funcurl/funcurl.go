// Package funcurl serves Lambda Function URLs on fresco's API port: an HTTP
// request to a function's URL becomes a payload format 2.0 event (as real
// Function URLs send it), and the function's answer becomes the HTTP
// response, buffered (BUFFERED) or streamed as the function writes it
// (RESPONSE_STREAM, with aws-lambda-go's prelude format).
//
// One host serves every URL, so a request names its function either by Host,
// <url-id>.lambda-url.<region>.localhost (the url id is the function's name
// in lower case), or by path, /lambda-url/<FunctionName>/<path> (see
// RATIONALE.md, "Function URLs"). URL is the seam for the control plane's
// CreateFunctionUrlConfig: Handler serves whatever URLs Config.URLs returns
// at each request.
package funcurl

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// Invoke modes and auth types of FunctionUrlConfig.
const (
	ModeBuffered = "BUFFERED"
	ModeStream   = "RESPONSE_STREAM"
	AuthNone     = "NONE"
	AuthIAM      = "AWS_IAM"
)

// PathPrefix starts the path form of a URL: /lambda-url/<FunctionName>/...
const PathPrefix = "/lambda-url/"

// hostInfix is in every Host form: <url-id>.lambda-url.<region>.localhost.
const hostInfix = ".lambda-url."

// maxBody is the largest request body (Lambda's 6 MB synchronous payload,
// which the event's base64 must fit).
const maxBody = invoke.MaxSyncRequest

// URL is one Function URL: what FunctionUrlConfig (or, later,
// CreateFunctionUrlConfig) configures.
type URL struct {
	// Function is the FunctionName; Qualifier an alias, or "".
	Function, Qualifier string
	AuthType            string
	InvokeMode          string
	Cors                *apispec.CORS
}

// ID is the URL's id: the host label before ".lambda-url.", the
// function's name in lower case, then "--" and the alias for a qualified
// URL.
func (u URL) ID() string {
	if u.Qualifier != "" {
		return strings.ToLower(u.Function + "--" + u.Qualifier)
	}
	return strings.ToLower(u.Function)
}

// pathName names u in the path form: FunctionName, or
// FunctionName:alias.
func (u URL) pathName() string {
	if u.Qualifier != "" {
		return u.Function + ":" + u.Qualifier
	}
	return u.Function
}

// Addresses are the two ways to reach u on the API port at base (a
// scheme and host:port): the Host form, then the path form.
func (u URL) Addresses(base, region string) (host, path string) {
	port := ""
	if i := strings.LastIndex(base, ":"); i > strings.Index(base, "://")+2 {
		port = base[i:]
	}
	scheme := base[:strings.Index(base, "://")+3]
	return scheme + u.ID() + hostInfix + region + ".localhost" + port + "/", base + PathPrefix + u.pathName() + "/"
}

// Config configures Handler.
type Config struct {
	// URLs lists the URLs served, called at every request (so that the
	// control plane can change them).
	URLs    func() []URL
	Backend invoke.Backend
	Region  string
	Logger  *slog.Logger
}

// Handler serves Function URLs, and hands every other request to next.
func Handler(cfg Config, next http.Handler) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, path, ok := match(cfg.URLs(), r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		serve(cfg, u, path, w, r)
	})
}

// match finds the URL r is for, and the path the function sees.
func match(urls []URL, r *http.Request) (URL, string, bool) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	if i := strings.Index(host, hostInfix); i > 0 && strings.HasSuffix(host, ".localhost") {
		id := host[:i]
		for _, u := range urls {
			if u.ID() == id {
				return u, r.URL.EscapedPath(), true
			}
		}
		return URL{}, "", false
	}
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, PathPrefix) {
		return URL{}, "", false
	}
	name, rest, _ := strings.Cut(p[len(PathPrefix):], "/")
	for _, u := range urls {
		if u.pathName() == name {
			return u, "/" + rest, true
		}
	}
	return URL{}, "", false
}

// writeMessage answers with a Function URL's JSON error message.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"Message": msg})
	edge.WriteJSON(w, status, b)
}

func serve(cfg Config, u URL, path string, w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if u.Cors != nil && origin != "" {
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			preflight(w.Header(), u.Cors, origin)
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	fn, err := cfg.Backend.Lookup(u.Function, u.Qualifier)
	if err != nil {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	event, err := buildEvent(cfg.Region, u, path, r)
	if err != nil {
		var se *invoke.ServiceError
		if errors.As(err, &se) {
			writeMessage(w, se.Status, se.Message)
			return
		}
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	payload, _ := json.Marshal(event)
	arn := fn.ARN()
	if u.Qualifier != "" {
		arn += ":" + u.Qualifier
	}
	req := &invoke.Request{
		RequestID:          event.RequestContext.RequestID,
		Payload:            payload,
		InvokedFunctionARN: arn,
		TraceID:            invoke.NewTraceID(),
	}
	if u.Cors != nil && origin != "" {
		allowCORS(w.Header(), u.Cors, origin)
	}
	var stream *responseStream
	if u.InvokeMode == ModeStream {
		stream = &responseStream{w: w, rc: http.NewResponseController(w)}
		req.Stream = stream
	}
	res, err := fn.Invoke(context.WithoutCancel(r.Context()), req)
	if stream != nil && stream.closeUnbegun() {
		stream.end(res, err, cfg.Logger)
		return
	}
	if err != nil {
		var se *invoke.ServiceError
		if errors.As(err, &se) && se.Status == http.StatusTooManyRequests {
			writeMessage(w, se.Status, "Rate Exceeded.")
			return
		}
		cfg.Logger.Error("function URL invocation failed", "function", u.Function, "err", err)
		writeMessage(w, http.StatusBadGateway, "Internal Server Error")
		return
	}
	if res.Kind != invoke.Success {
		writeMessage(w, http.StatusBadGateway, "Internal Server Error")
		return
	}
	writeBuffered(w, res.Payload)
}

// buildEvent is the payload format 2.0 event a Function URL sends for r.
func buildEvent(region string, u URL, path string, r *http.Request) (*events.LambdaFunctionURLRequest, error) {
	body, _, err := edge.ReadLimited(r, maxBody)
	if err != nil {
		if errors.Is(err, edge.ErrTooLarge) {
			return nil, invoke.RequestTooLarge("Request must be smaller than %d bytes for the InvokeFunction operation", maxBody)
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	now := time.Now()
	id := edge.RequestID(r)
	if id == "" {
		id = invoke.NewRequestID()
	}
	e := &events.LambdaFunctionURLRequest{
		Version:        "2.0",
		RawPath:        path,
		RawQueryString: r.URL.RawQuery,
		Headers:        map[string]string{},
		RequestContext: events.LambdaFunctionURLRequestContext{
			AccountID:    "anonymous",
			RequestID:    id,
			APIID:        u.ID(),
			DomainName:   u.ID() + hostInfix + region + ".on.aws",
			DomainPrefix: u.ID(),
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP(r),
				UserAgent: r.UserAgent(),
			},
		},
	}
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		if k == "cookie" {
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						e.Cookies = append(e.Cookies, c)
					}
				}
			}
			continue
		}
		e.Headers[k] = strings.Join(vs, ",")
	}
	e.Headers["host"] = r.Host
	if q := r.URL.Query(); len(q) > 0 {
		e.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			e.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type"), body) {
			e.Body = string(body)
		} else {
			e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	if u.AuthType == AuthIAM {
		// Accepted, not enforced (RATIONALE.md): the caller is the account.
		e.RequestContext.AccountID = invoke.DefaultAccountID
	}
	return e, nil
}

func sourceIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// isText reports whether a body of this content type is sent as text.
func isText(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	for _, t := range []string{"text/", "application/json", "application/xml", "application/javascript",
		"application/x-www-form-urlencoded", "+json", "+xml"} {
		if strings.Contains(ct, t) {
			return utf8.Valid(body)
		}
	}
	return ct == "" && utf8.Valid(body)
}

// writeBuffered turns a BUFFERED function's response into HTTP as Function
// URLs do: the {statusCode, headers, body, cookies, isBase64Encoded} shape
// when the response is a JSON object with statusCode, else the response
// itself as a 200 application/json body.
func writeBuffered(w http.ResponseWriter, payload []byte) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) == nil && probe["statusCode"] != nil {
		var resp events.LambdaFunctionURLResponse
		if err := json.Unmarshal(payload, &resp); err != nil {
			writeMessage(w, http.StatusBadGateway, "Internal Server Error")
			return
		}
		body := []byte(resp.Body)
		if resp.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(resp.Body)
			if err != nil {
				writeMessage(w, http.StatusBadGateway, "Internal Server Error")
				return
			}
			body = b
		}
		h := w.Header()
		for k, v := range resp.Headers {
			h.Set(k, v)
		}
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json")
		}
		for _, c := range resp.Cookies {
			h.Add("Set-Cookie", c)
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
		return
	}
	body := payload
	var s string
	if json.Unmarshal(payload, &s) == nil {
		body = []byte(s) // a JSON string is the body's text
	}
	edge.WriteJSON(w, http.StatusOK, body)
}

// maxPrelude bounds the prelude of a streamed HTTP response.
const maxPrelude = 64 << 10

// writeTimeout bounds one write to the caller.
const writeTimeout = 30 * time.Second

// responseStream is a RESPONSE_STREAM URL's invoke.ResponseStream: the
// prelude (for aws-lambda-go's StreamContentTypeHTTP) becomes the status
// and headers, the rest the body, flushed as the function writes it.
type responseStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	mu      sync.Mutex
	typ     string
	started bool // Begin was called
	headers bool // the status and headers were sent
	prelude []byte
	failed  error
}

// errStreamEnded fails the writes of a runtime still writing after its
// invocation ended.
var errStreamEnded = errors.New("the response stream has ended")

// closeUnbegun closes the stream if the function never began it, and
// reports whether it had begun.
func (s *responseStream) closeUnbegun() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.failed = errStreamEnded
	}
	return s.started
}

func (s *responseStream) Begin(contentType string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed != nil {
		return s.failed
	}
	s.started, s.typ = true, contentType
	if contentType != invoke.StreamContentTypeHTTP {
		s.w.Header().Set("Content-Type", contentType)
		s.sendHeaders(http.StatusOK)
	}
	return s.failed
}

func (s *responseStream) sendHeaders(status int) {
	s.headers = true
	s.w.WriteHeader(status)
	s.flush()
}

func (s *responseStream) flush() {
	if s.failed == nil {
		_ = s.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := s.rc.Flush(); err != nil {
			s.failed = err
		}
	}
}

func (s *responseStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed != nil {
		return 0, s.failed
	}
	n := len(p)
	if !s.headers {
		// Still in the prelude: it ends at the separator.
		s.prelude = append(s.prelude, p...)
		i := bytes.Index(s.prelude, []byte(invoke.StreamPreludeSeparator))
		if i < 0 {
			if len(s.prelude) > maxPrelude {
				s.failed = errors.New("the streamed response's prelude is too long")
			}
			return n, s.failed
		}
		if err := s.applyPrelude(s.prelude[:i]); err != nil {
			s.failed = err
			return n, err
		}
		p = s.prelude[i+len(invoke.StreamPreludeSeparator):]
		s.prelude = nil
	}
	if len(p) > 0 {
		_ = s.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := s.w.Write(p); err != nil {
			s.failed = err
		}
	}
	return n, s.failed
}

// applyPrelude sends the status, headers and cookies a prelude names.
func (s *responseStream) applyPrelude(b []byte) error {
	var p struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Cookies    []string          `json:"cookies"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("the streamed response's prelude is not JSON: %w", err)
	}
	if p.StatusCode < 100 || p.StatusCode > 599 {
		p.StatusCode = http.StatusOK
	}
	h := s.w.Header()
	for k, v := range p.Headers {
		h.Set(k, v)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/octet-stream")
	}
	for _, c := range p.Cookies {
		h.Add("Set-Cookie", c)
	}
	s.sendHeaders(p.StatusCode)
	return s.failed
}

func (s *responseStream) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headers {
		s.flush()
	}
	return s.failed
}

// end finishes a stream the function began. An error after the headers
// went cannot change the status: the body is cut short, as on Lambda.
func (s *responseStream) end(res *invoke.Result, err error, logger *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	failed := s.failed
	s.failed = errStreamEnded // whatever comes later is not written
	if failed != nil && s.headers {
		return
	}
	if !s.headers {
		// A prelude never finished: an error, as Function URLs answer.
		writeMessage(s.w, http.StatusBadGateway, "Internal Server Error")
		return
	}
	if err != nil || res == nil || res.Kind != invoke.Success {
		kind := "unknown"
		if res != nil {
			kind = res.ErrorType
		}
		logger.Warn("function URL stream ended with an error", "error_type", kind, "err", err)
		// Abort the response so the client sees it incomplete.
		panic(http.ErrAbortHandler)
	}
	if len(res.Payload) > 0 {
		s.w.Write(res.Payload)
	}
	s.flush()
}

// allowCORS adds the CORS headers of an actual request.
func allowCORS(h http.Header, c *apispec.CORS, origin string) {
	if o := allowed(c, origin); o != "" {
		h.Set("Access-Control-Allow-Origin", o)
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if len(c.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
		}
	}
}

// preflight answers an OPTIONS preflight.
func preflight(h http.Header, c *apispec.CORS, origin string) {
	allowCORS(h, c, origin)
	if allowed(c, origin) == "" {
		return
	}
	if len(c.AllowMethods) > 0 {
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
	}
	if len(c.AllowHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
	}
	if c.MaxAge != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*c.MaxAge))
	}
}

func allowed(c *apispec.CORS, origin string) string {
	if slices.Contains(c.AllowOrigins, "*") {
		return "*"
	}
	if slices.ContainsFunc(c.AllowOrigins, func(o string) bool { return strings.EqualFold(o, origin) }) {
		return origin
	}
	return ""
}
