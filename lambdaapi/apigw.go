package lambdaapi

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// APIKind is the kind of an API Gateway API.
type APIKind int

const (
	// RESTAPI is a REST API (SAM's AWS::Serverless::Api, events of Type
	// Api): payload format 1.0, unknown routes answered 403.
	RESTAPI APIKind = iota + 1
	// HTTPAPI is an HTTP API (AWS::Serverless::HttpApi, events of Type
	// HttpApi): payload format 2.0 unless a route says 1.0, unknown routes
	// answered 404.
	HTTPAPI
)

func (k APIKind) String() string {
	switch k {
	case RESTAPI:
		return "REST"
	case HTTPAPI:
		return "HTTP"
	}
	return "APIKind(" + strconv.Itoa(int(k)) + ")"
}

// API is one API Gateway API and its Lambda proxy routes.
type API struct {
	// Name identifies the API (the template's logical id); its hash gives
	// the apiId that events carry.
	Name string
	Kind APIKind
	// Stage is the stage name events carry ("Prod" for SAM's implicit REST
	// API, "$default" for its implicit HTTP API).
	Stage string
	// StageVariables are the stage's variables; nil for none.
	StageVariables map[string]string
	// BinaryMediaTypes (REST APIs) are the media types whose request bodies
	// reach the function base64-encoded: "image/png", "image/*", "*/*". An
	// HTTP API encodes every body that is not text, and ignores this.
	BinaryMediaTypes []string
	// CORS, when not nil, answers preflight requests (and, for HTTP APIs,
	// adds CORS headers to answers).
	CORS *CORS
	// Routes are the API's routes.
	Routes []Route
}

// Route is one route of an API to a function.
type Route struct {
	// Method is GET, POST, ... or ANY.
	Method string
	// Path is "/hello/{name}", "/{proxy+}", "/" or, for HTTP APIs,
	// "$default".
	Path string
	// Function is the name the Backend looks up.
	Function string
	// PayloadFormatVersion is "1.0" or "2.0" (HTTP APIs; the default is
	// "2.0"). REST APIs always use "1.0".
	PayloadFormatVersion string
}

// CORS is an API's CORS configuration: SAM's Cors (REST) or
// CorsConfiguration (HTTP API), with the quotes of REST's header values
// removed.
type CORS struct {
	AllowOrigins  []string
	AllowMethods  []string // empty: for REST, the resource's own methods
	AllowHeaders  []string
	ExposeHeaders []string // HTTP APIs only
	// MaxAge is Access-Control-Max-Age in seconds; nil for none.
	MaxAge           *int
	AllowCredentials bool
}

// APIGatewayConfig configures NewAPIGatewayHandler.
type APIGatewayConfig struct {
	APIs    []API
	Backend Backend
	// Logger receives one line per request, and the reason of every 502;
	// nil discards them.
	Logger *slog.Logger
	// AccountID is the requestContext's accountId (default 123456789012).
	AccountID string
	// Now and NewID default to the clock and random UUIDs; tests fix them to
	// make events reproducible. NewID gives API Gateway's request ids, the
	// invocations' request ids and the X-Ray trace ids.
	Now   func() time.Time
	NewID func() string
}

// NewAPIGatewayHandler serves the routes of cfg.APIs as API Gateway's Lambda
// proxy integrations do: it turns each request into the event of its
// route's payload format, invokes the route's function through cfg.Backend
// and turns the function's answer into the HTTP response. It knows nothing
// of how functions run.
//
// All APIs share one listener, as with sam local start-api, and no stage
// prefix is part of the URL. A request goes to the most specific route whose
// method (or ANY) and path match, across all APIs: at the first segment where
// two paths differ, a literal beats a {param}, which beats a greedy
// {param+}; on the same path a named method beats ANY; an HTTP API's
// $default route takes what nothing else does. A request no route takes is
// answered 403 {"message":"Missing Authentication Token"} when its path
// belongs to a REST API (or, matching no path at all, when there is a REST
// API), else 404 {"message":"Not Found"}.
//
// REST APIs send payload format 1.0 (events.APIGatewayProxyRequest); HTTP
// APIs 2.0 (events.APIGatewayV2HTTPRequest), or 1.0 when the route says so.
// A REST API passes the path and path parameters as sent, an HTTP API
// decoded. A body is base64-encoded when its Content-Type is one of a REST
// API's BinaryMediaTypes, or for an HTTP API when it is not text. The answer
// is mapped back (status, headers and, in 1.0, multi-value headers; cookies
// in 2.0; a body marked isBase64Encoded is decoded); in 2.0, a function that
// returns any JSON but an object with a statusCode gets HTTP APIs' simple
// response form: 200, application/json, the value as the body. A function
// error, timeout or malformed answer is a 502 {"message":"Internal server
// error"} whose reason is logged, never sent; a body too large for an
// invocation is a 413.
//
// CORS follows the template: a REST API with Cors answers OPTIONS on its
// paths as SAM's generated mock method does; an HTTP API with
// CorsConfiguration answers preflights itself and sets the CORS headers of
// every answer to an allowed Origin.
//
// It returns an error for a route that API Gateway would refuse, and for a
// route declared twice in one API. Two APIs declaring the same route are not
// an error (each is valid on its own): the first declared serves it, and the
// conflict is logged.
func NewAPIGatewayHandler(cfg APIGatewayConfig) (http.Handler, error) {
	if cfg.Backend == nil {
		return nil, errors.New("API Gateway: no Backend")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = invoke.NewRequestID
	}
	cfg.APIs = slices.Clone(cfg.APIs) // the caller's slice may change later
	g := &apiGateway{cfg: cfg, logger: cfg.Logger}
	order := 0
	for i := range cfg.APIs {
		a := &cfg.APIs[i]
		api := &gwAPI{API: a, id: apiID(a.Name), kind: a.Kind}
		switch a.Kind {
		case RESTAPI:
			g.hasREST = true
		case HTTPAPI:
		default:
			return nil, fmt.Errorf("API %s: unknown kind %v", a.Name, a.Kind)
		}
		for _, r := range a.Routes {
			rt, err := newRoute(api, r)
			if err != nil {
				return nil, fmt.Errorf("API %s: route %s %s: %w", a.Name, r.Method, r.Path, err)
			}
			if prev := g.duplicate(rt); prev != nil {
				if prev.api == api {
					return nil, fmt.Errorf("API %s: route %s %s is declared twice (functions %s and %s)",
						a.Name, rt.method, rt.path, prev.function, rt.function)
				}
				g.logger.Warn("route declared by two APIs: the first serves it",
					keyAPI, a.Name, keyRoute, rt.routeKey(), "served_by", prev.api.Name)
			}
			rt.order = order
			order++
			g.routes = append(g.routes, rt)
		}
	}
	return g, nil
}

func newRoute(api *gwAPI, r Route) (*route, error) {
	if err := ValidateRoute(api.kind, r.Method, r.Path); err != nil {
		return nil, err
	}
	if r.Function == "" {
		return nil, errors.New("no function")
	}
	m, _ := NormalizeMethod(r.Method)
	rt := &route{api: api, method: m, path: r.Path, function: r.Function, payload: r.PayloadFormatVersion}
	switch {
	case api.kind == RESTAPI:
		if rt.payload != "" && rt.payload != PayloadV1 {
			return nil, fmt.Errorf("payload format %s: REST APIs use %s", rt.payload, PayloadV1)
		}
		rt.payload = PayloadV1
	case rt.payload == "":
		rt.payload = PayloadV2
	case rt.payload != PayloadV1 && rt.payload != PayloadV2:
		return nil, fmt.Errorf("payload format %q: want %s or %s", rt.payload, PayloadV1, PayloadV2)
	}
	if r.Path == DefaultRoute {
		rt.isDefault = true
		return rt, nil
	}
	rt.segs, _ = parseRoutePath(r.Path) // ValidateRoute has parsed it
	return rt, nil
}

// duplicate returns an earlier route that would serve exactly the requests
// rt serves: same method and a path of the same shape.
func (g *apiGateway) duplicate(rt *route) *route {
	for _, o := range g.routes {
		if o.method != rt.method || o.isDefault != rt.isDefault || len(o.segs) != len(rt.segs) {
			continue
		}
		same := true
		for i, s := range o.segs {
			t := rt.segs[i]
			if s.kind != t.kind || (s.kind == segLiteral && s.text != t.text) {
				same = false
				break
			}
		}
		if same {
			return o
		}
	}
	return nil
}

// apiID is a stable, API Gateway-shaped id (10 lower-case letters and
// digits) for an API name.
func apiID(name string) string {
	return hashID(name, 10)
}

func hashID(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:n]
}

// gwAPI is an API with what the handler derives from it.
type gwAPI struct {
	*API
	id   string
	kind APIKind
}

type apiGateway struct {
	cfg     APIGatewayConfig
	logger  *slog.Logger
	routes  []*route
	hasREST bool
}

// Log keys of the API Gateway handler.
const (
	keyAPI    = "api"
	keyRoute  = "route"
	keyReason = "reason"
)

// exchange is one request on its way through the handler.
type exchange struct {
	w         http.ResponseWriter
	r         *http.Request
	start     time.Time
	requestID string // API Gateway's request id
	routing   routing
	function  string
	status    int
	reason    string // why the answer is an error of API Gateway's own
}

func (g *apiGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{w: w, r: r, start: g.cfg.Now(), requestID: g.cfg.NewID()}
	defer g.logExchange(x)
	defer func() {
		rec := recover()
		if rec == nil {
			return
		}
		if rec == http.ErrAbortHandler {
			panic(rec)
		}
		g.logger.Error("panic in API Gateway handler", keyRequestID, x.requestID,
			"panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
		if x.status != 0 {
			panic(http.ErrAbortHandler)
		}
		clear(w.Header())
		kind := RESTAPI
		if x.routing.route != nil {
			kind = x.routing.route.api.kind
		}
		g.gatewayError(x, kind, http.StatusBadGateway, "panic")
	}()

	segs := splitRequestPath(r.URL.EscapedPath())
	x.routing = find(g.routes, r.Method, segs)
	if g.preflight(x) {
		return
	}
	rt := x.routing.route
	if rt == nil {
		kind := HTTPAPI
		if res := x.routing.resource; res != nil {
			kind = res.api.kind
		} else if g.hasREST {
			kind = RESTAPI
		}
		g.gatewayError(x, kind, 0, "no route")
		return
	}
	x.function = rt.function
	g.serveRoute(x, rt)
}

// serveRoute builds the event, invokes the function and writes its answer.
func (g *apiGateway) serveRoute(x *exchange, rt *route) {
	kind := rt.api.kind
	body, tooLarge, err := readAPIBody(x.r)
	switch {
	case tooLarge:
		g.gatewayError(x, kind, http.StatusRequestEntityTooLarge, "request body over "+strconv.Itoa(maxAPIRequest)+" bytes")
		return
	case err != nil:
		g.gatewayError(x, kind, http.StatusBadGateway, "read request body: "+err.Error())
		return
	}
	in := g.request(x, rt, body)
	event, err := in.event()
	if err != nil {
		g.gatewayError(x, kind, http.StatusBadGateway, "encode event: "+err.Error())
		return
	}
	if len(event) > invoke.MaxSyncRequest {
		g.gatewayError(x, kind, http.StatusRequestEntityTooLarge, "event over "+strconv.Itoa(invoke.MaxSyncRequest)+" bytes")
		return
	}
	fn, err := g.cfg.Backend.Lookup(rt.function, "")
	if err != nil {
		g.gatewayError(x, kind, http.StatusBadGateway, "look up function: "+err.Error())
		return
	}
	// As with the Invoke API, a caller that hangs up does not stop the
	// function; its own deadline does.
	res, err := fn.Invoke(context.WithoutCancel(x.r.Context()), &invoke.Request{
		RequestID:          g.cfg.NewID(),
		Payload:            event,
		InvokedFunctionARN: fn.ARN(),
		TraceID:            in.traceID,
	})
	switch {
	case err != nil:
		g.gatewayError(x, kind, http.StatusBadGateway, "invoke: "+err.Error())
		return
	case res == nil:
		g.gatewayError(x, kind, http.StatusBadGateway, "invoke: no result")
		return
	case res.Kind != invoke.Success:
		g.gatewayError(x, kind, http.StatusBadGateway,
			fmt.Sprintf("function %s (%s): %s", res.Kind, res.ErrorType, strings.TrimSpace(string(res.Payload))))
		return
	}
	out, err := parseResponse(rt, res.Payload)
	if err != nil {
		g.gatewayError(x, kind, http.StatusBadGateway, "malformed Lambda proxy response: "+err.Error())
		return
	}
	g.writeResponse(x, rt, in, out)
}

// readAPIBody reads a request's body, at most maxAPIRequest bytes. An
// oversized body is drained (up to maxDrain) before the 413, so that a
// client still writing it reads the answer instead of a reset; with
// Expect: 100-continue and a declared oversize, nothing is read.
func readAPIBody(r *http.Request) (body []byte, tooLarge bool, err error) {
	if r.ContentLength > maxAPIRequest {
		if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
			io.CopyN(io.Discard, r.Body, maxDrain)
		}
		return nil, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, maxAPIRequest+1))
	if err != nil {
		return nil, false, err
	}
	if len(body) > maxAPIRequest {
		io.CopyN(io.Discard, r.Body, maxDrain)
		return nil, true, nil
	}
	return body, false, nil
}

// gatewayError writes an answer of API Gateway's own. Status 0 is the
// answer to an unknown route. reason is logged, never sent.
func (g *apiGateway) gatewayError(x *exchange, kind APIKind, status int, reason string) {
	body, errType := msgInternalServer, errorTypeInternal
	switch {
	case status == 0 && kind == RESTAPI:
		status, body, errType = http.StatusForbidden, msgMissingToken, errorTypeMissingToken
	case status == 0:
		status, body = http.StatusNotFound, msgNotFound
	case status == http.StatusRequestEntityTooLarge:
		body, errType = msgTooLarge, errorTypeTooLarge
	}
	x.reason = reason
	h := x.w.Header()
	g.setRequestIDHeader(h, kind, x.requestID)
	if kind == RESTAPI {
		h.Set(headerErrorType, errType)
	}
	h.Set(headerContentType, contentTypeJSON)
	h.Set(headerContentLength, strconv.Itoa(len(body)))
	x.status = status
	x.w.WriteHeader(status)
	io.WriteString(x.w, body)
}

func (g *apiGateway) setRequestIDHeader(h http.Header, kind APIKind, id string) {
	if kind == RESTAPI {
		h.Set(headerRequestID, id)
	} else {
		h.Set(headerHTTPAPIRequest, id)
	}
}

// logExchange logs one line per request; API Gateway's own errors of 500
// and above at error level with their reason.
func (g *apiGateway) logExchange(x *exchange) {
	status := x.status
	if status == 0 {
		status = http.StatusOK
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String(keyMethod, x.r.Method),
		slog.String(keyPath, x.r.URL.EscapedPath()),
		slog.Int(keyStatus, status),
		slog.Duration(keyDuration, g.cfg.Now().Sub(x.start)),
		slog.String(keyRequestID, x.requestID),
	}
	if rt := x.routing.route; rt != nil {
		attrs = append(attrs, slog.String(keyAPI, rt.api.Name), slog.String(keyRoute, rt.routeKey()),
			slog.String(keyFunction, x.function))
	} else if res := x.routing.resource; res != nil {
		attrs = append(attrs, slog.String(keyAPI, res.api.Name))
	}
	if x.reason != "" {
		attrs = append(attrs, slog.String(keyReason, x.reason))
	}
	g.logger.LogAttrs(x.r.Context(), level, "api request", attrs...)
}

// clientIP is the host part of the request's remote address.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// localPort is the port the request arrived on, as X-Forwarded-Port says.
func localPort(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(a.String()); err == nil {
			return port
		}
	}
	return "80"
}

// traceRoot is an X-Ray trace header for a request that brings none, made
// from the request's time and a fresh id so that tests can fix it.
func (g *apiGateway) traceRoot(now time.Time) string {
	id := strings.ReplaceAll(g.cfg.NewID(), "-", "")
	if _, err := hex.DecodeString(id); err != nil || len(id) < 24 {
		sum := sha256.Sum256([]byte(id))
		id = hex.EncodeToString(sum[:])
	}
	return fmt.Sprintf("Root=1-%08x-%s", now.Unix(), id[:24])
}
