package apigw

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// APIGatewayConfig configures NewAPIGatewayHandler.
type APIGatewayConfig struct {
	APIs    []apispec.API
	Backend invoke.Backend
	// Logger receives one line per request, and the reason of every 502;
	// nil discards them.
	Logger *slog.Logger
	// AccountID is the requestContext's accountId (default
	// invoke.DefaultAccountID).
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
	g, err := newAPIGateway(cfg)
	if err != nil {
		return nil, err
	}
	return edge.AccessLog{
		Logger:  g.logger,
		Message: "api request",
		Keys:    []string{edge.KeyRequestID},
		Now:     g.cfg.Now,
	}.Middleware(g), nil
}

func newAPIGateway(cfg APIGatewayConfig) (*apiGateway, error) {
	if cfg.Backend == nil {
		return nil, errors.New("API Gateway: no Backend")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AccountID == "" {
		cfg.AccountID = invoke.DefaultAccountID
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
		api, err := newGWAPI(&cfg.APIs[i])
		if err != nil {
			return nil, err
		}
		if api.Kind == apispec.RESTAPI {
			g.hasREST = true
		}
		for _, r := range api.Routes {
			rt, err := newRoute(api, r)
			if err != nil {
				return nil, fmt.Errorf("API %s: route %s: %w", api.Name, r.Key, err)
			}
			if prev := g.duplicate(rt); prev != nil {
				if prev.api == api {
					return nil, fmt.Errorf("API %s: route %s %s is declared twice (functions %s and %s)",
						api.Name, rt.method(), rt.path(), prev.function, rt.function)
				}
				g.logger.Warn("route declared by two APIs: the first serves it",
					keyAPI, api.Name, keyRoute, rt.routeKey(), "served_by", prev.api.Name)
			}
			rt.order = order
			order++
			g.routes = append(g.routes, rt)
		}
	}
	return g, nil
}

func newGWAPI(a *apispec.API) (*gwAPI, error) {
	switch a.Kind {
	case apispec.RESTAPI, apispec.HTTPAPI:
	default:
		return nil, fmt.Errorf("API %s: unknown kind %v", a.Name, a.Kind)
	}
	return &gwAPI{API: a, id: apiID(a.Name)}, nil
}

// newRoute takes a route of api as apispec validated it, and settles its
// payload format.
func newRoute(api *gwAPI, r apispec.Route) (*route, error) {
	switch {
	case r.Key.IsZero():
		return nil, errors.New("no method and path (make its Key with apispec.ParseRoute)")
	case r.Key.Kind() != api.Kind:
		return nil, fmt.Errorf("validated for a %v API, not a %v API", r.Key.Kind(), api.Kind)
	case r.Function == "":
		return nil, errors.New("no function")
	}
	rt := &route{api: api, key: r.Key, function: r.Function, payload: r.PayloadFormat}
	switch {
	case api.Kind == apispec.RESTAPI:
		if rt.payload != apispec.PayloadDefault && rt.payload != apispec.PayloadV1 {
			return nil, fmt.Errorf("payload format %s: REST APIs use %s", rt.payload, apispec.PayloadV1)
		}
		rt.payload = apispec.PayloadV1
	case rt.payload == apispec.PayloadDefault:
		rt.payload = apispec.PayloadV2
	case rt.payload != apispec.PayloadV1 && rt.payload != apispec.PayloadV2:
		return nil, fmt.Errorf("payload format %s: want %s or %s", rt.payload, apispec.PayloadV1, apispec.PayloadV2)
	}
	return rt, nil
}

// duplicate returns an earlier route that would serve exactly the requests
// rt serves: same method and a path of the same shape.
func (g *apiGateway) duplicate(rt *route) *route {
	for _, o := range g.routes {
		if o.method() != rt.method() || o.isDefault() != rt.isDefault() || len(o.segs()) != len(rt.segs()) {
			continue
		}
		same := true
		for i, s := range o.segs() {
			t := rt.segs()[i]
			if s.Kind != t.Kind || (s.Kind == apispec.SegLiteral && s.Text != t.Text) {
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
	*apispec.API
	id string
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
	reason    error // why the answer is an error of API Gateway's own
}

func (g *apiGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, st := edge.WithState(r)
	x := &exchange{w: w, r: r, start: g.cfg.Now(), requestID: g.cfg.NewID()}
	st.ID = x.requestID
	st.SetString(edge.KeyRequestID, x.requestID)
	defer x.annotate(st)
	defer edge.Recover(w, r, g.logger, "panic in API Gateway handler", x.requestID, func(http.ResponseWriter, *http.Request) {
		kind := apispec.RESTAPI
		if x.routing.route != nil {
			kind = x.routing.route.api.Kind
		}
		g.gatewayError(x, kind, http.StatusBadGateway, errPanic)
	})

	x.routing = findPath(g.routes, r.Method, r.URL.EscapedPath())
	if g.preflight(x) {
		return
	}
	rt := x.routing.route
	if rt == nil {
		kind := apispec.HTTPAPI
		if res := x.routing.resource; res != nil {
			kind = res.api.Kind
		} else if g.hasREST {
			kind = apispec.RESTAPI
		}
		g.gatewayError(x, kind, 0, errNoRoute)
		return
	}
	x.function = rt.function
	g.serveRoute(x, rt)
}

// annotate adds what the access log says of an exchange beyond the edge's
// attributes: the API, the route and the function, and the reason of an
// error of API Gateway's own.
func (x *exchange) annotate(st *edge.State) {
	if rt := x.routing.route; rt != nil {
		st.SetString(keyAPI, rt.api.Name)
		st.SetString(keyRoute, rt.routeKey())
		st.SetString(edge.KeyFunction, x.function)
	} else if res := x.routing.resource; res != nil {
		st.SetString(keyAPI, res.api.Name)
	}
	if x.reason != nil {
		st.Set(keyReason, slog.AnyValue(x.reason))
	}
}

// Reasons of API Gateway's own answers.
var (
	errNoRoute  = errors.New("no route")
	errPanic    = errors.New("panic")
	errNoResult = errors.New("no result")
)

// serveRoute builds the event, invokes the function and writes its answer.
func (g *apiGateway) serveRoute(x *exchange, rt *route) {
	kind := rt.api.Kind
	body, _, err := edge.ReadLimited(x.r, maxAPIRequest)
	switch {
	case errors.Is(err, edge.ErrTooLarge):
		edge.AnswerUnread(x.w, x.r, func() {
			g.gatewayError(x, kind, http.StatusRequestEntityTooLarge, fmt.Errorf("request body over %d bytes", maxAPIRequest))
		})
		return
	case err != nil:
		g.gatewayError(x, kind, http.StatusBadGateway, fmt.Errorf("read request body: %w", err))
		return
	}
	in := newAPIRequest(rt, x.r, x.routing.params, body, g.eventContext(x), g.cfg.NewID)
	event, err := in.event()
	if err != nil {
		g.gatewayError(x, kind, http.StatusBadGateway, fmt.Errorf("encode event: %w", err))
		return
	}
	if len(event) > invoke.MaxSyncRequest {
		g.gatewayError(x, kind, http.StatusRequestEntityTooLarge, fmt.Errorf("event over %d bytes", invoke.MaxSyncRequest))
		return
	}
	fn, err := g.cfg.Backend.Lookup(rt.function, "")
	if err != nil {
		g.gatewayError(x, kind, http.StatusBadGateway, fmt.Errorf("look up function: %w", err))
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
		g.gatewayError(x, kind, http.StatusBadGateway, fmt.Errorf("invoke: %w", err))
		return
	case res == nil:
		g.gatewayError(x, kind, http.StatusBadGateway, fmt.Errorf("invoke: %w", errNoResult))
		return
	case res.Kind != invoke.Success:
		g.gatewayError(x, kind, http.StatusBadGateway, &functionError{Kind: res.Kind, Type: res.ErrorType, Payload: res.Payload})
		return
	}
	out, err := parseResponse(rt, res.Payload)
	if err != nil {
		g.gatewayError(x, kind, http.StatusBadGateway, fmt.Errorf("malformed Lambda proxy response: %w", err))
		return
	}
	g.writeResponse(x, rt, in, out)
}

// functionError is the reason of a 502 for an invocation that did not
// succeed: its kind, error type and error document.
type functionError struct {
	Kind    invoke.Kind
	Type    string
	Payload []byte
}

func (e *functionError) Error() string {
	return fmt.Sprintf("function %s (%s): %s", e.Kind, e.Type, strings.TrimSpace(string(e.Payload)))
}

// eventContext is what the handler knows of an exchange for its event.
func (g *apiGateway) eventContext(x *exchange) EventContext {
	return EventContext{RequestID: x.requestID, Time: x.start, AccountID: g.cfg.AccountID}
}

// gatewayError writes an answer of API Gateway's own. Status 0 is the
// answer to an unknown route. reason is logged, never sent.
func (g *apiGateway) gatewayError(x *exchange, kind apispec.APIKind, status int, reason error) {
	body, errType := msgInternalServer, errorTypeInternal
	switch {
	case status == 0 && kind == apispec.RESTAPI:
		status, body, errType = http.StatusForbidden, msgMissingToken, errorTypeMissingToken
	case status == 0:
		status, body = http.StatusNotFound, msgNotFound
	case status == http.StatusRequestEntityTooLarge:
		body, errType = msgTooLarge, errorTypeTooLarge
	}
	x.reason = reason
	h := x.w.Header()
	setRequestIDHeader(h, kind, x.requestID)
	if kind == apispec.RESTAPI {
		h.Set(edge.HeaderErrorType, errType)
	}
	edge.WriteJSON(x.w, status, []byte(body))
}

func setRequestIDHeader(h http.Header, kind apispec.APIKind, id string) {
	if kind == apispec.RESTAPI {
		h.Set(edge.HeaderRequestID, id)
	} else {
		h.Set(headerHTTPAPIRequest, id)
	}
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
func traceRoot(now time.Time, newID func() string) string {
	id := strings.ReplaceAll(newID(), "-", "")
	if _, err := hex.DecodeString(id); err != nil || len(id) < 24 {
		sum := sha256.Sum256([]byte(id))
		id = hex.EncodeToString(sum[:])
	}
	return fmt.Sprintf("Root=1-%08x-%s", now.Unix(), id[:24])
}

// Refuse is API Gateway's [edge.Refuse]: its own answer, as a REST API
// gives it (x-amzn-RequestId and x-amzn-ErrorType), to a request the edge
// refuses before the handler runs: 403 {"message":"Forbidden"} for a
// refused Host, 413 {"message":"Request Entity Too Large"} for a request
// over a limit, and 400 {"message":"Bad Request"} for a malformed one. The
// message is not sent: API Gateway's bodies are fixed.
func Refuse(w http.ResponseWriter, status int, _ string) {
	body, errType := msgBadRequest, errorTypeBadRequest
	switch status {
	case http.StatusForbidden:
		body, errType = msgForbidden, errorTypeForbidden
	case http.StatusRequestEntityTooLarge:
		body, errType = msgTooLarge, errorTypeTooLarge
	default:
		status = http.StatusBadRequest
	}
	h := w.Header()
	h.Set(edge.HeaderRequestID, invoke.NewRequestID())
	h.Set(edge.HeaderErrorType, errType)
	edge.WriteJSON(w, status, []byte(body))
}
