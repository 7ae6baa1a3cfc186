package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// EventContext is what API Gateway knows of a request beyond the HTTP
// request itself when it builds the event. Only RequestID and Time are
// required; the zero value of every other field is what the handler uses.
type EventContext struct {
	// RequestID is API Gateway's request id.
	RequestID string
	// ExtendedRequestID is a REST API's extendedRequestId; "" is RequestID.
	ExtendedRequestID string
	// Time is when the request arrived.
	Time time.Time
	// AccountID is the requestContext's accountId; "" is
	// invoke.DefaultAccountID.
	AccountID string
	// APIID and ResourceID are the ids API Gateway gave the API and the
	// route's resource; "" derives them from the API's name and the route's
	// path, as the handler does.
	APIID, ResourceID string
	// StageInPath says that the request's URL began with the stage (as
	// execute-api URLs do, ahead of the route's path, which is the
	// request's URL path here): the requestContext's path (REST) and, on a
	// named stage, the rawPath and http.path (HTTP API) then carry it.
	// fresco serves its APIs without the stage in the URL.
	StageInPath bool
}

// apiRequest is what API Gateway knows of a request when it builds the
// event: the same for every payload format.
type apiRequest struct {
	route    *route
	r        *http.Request
	params   map[string]string
	header   http.Header // the request's headers, with those API Gateway adds
	query    url.Values
	body     string
	binary   bool
	ec       EventContext
	traceID  string
	time     time.Time
	sourceIP string
	domain   string
}

// newAPIRequest gathers what the event needs. The headers gain Host (which
// net/http keeps apart) and those API Gateway adds: X-Forwarded-For, -Port
// and -Proto, and X-Amzn-Trace-Id (a new one, from newID, when the request
// brings none).
func newAPIRequest(rt *route, r *http.Request, params map[string]string, body []byte, ec EventContext, newID func() string) *apiRequest {
	if ec.ExtendedRequestID == "" {
		ec.ExtendedRequestID = ec.RequestID
	}
	if ec.AccountID == "" {
		ec.AccountID = invoke.DefaultAccountID
	}
	if ec.APIID == "" {
		ec.APIID = rt.api.id
	}
	if ec.ResourceID == "" {
		ec.ResourceID = hashID(rt.api.Name+" "+rt.path(), 6)
	}
	in := &apiRequest{
		route:    rt,
		r:        r,
		params:   params,
		header:   r.Header.Clone(),
		query:    r.URL.Query(),
		ec:       ec,
		time:     ec.Time.UTC(),
		sourceIP: clientIP(r),
	}
	if in.header == nil {
		in.header = http.Header{}
	}
	in.domain = r.Host
	if host, _, err := net.SplitHostPort(r.Host); err == nil {
		in.domain = host
	}
	if r.Host != "" {
		in.header.Set("Host", r.Host)
	}
	if prior := in.header.Values(headerForwardedFor); len(prior) > 0 {
		in.header.Set(headerForwardedFor, strings.Join(prior, ", ")+", "+in.sourceIP)
	} else {
		in.header.Set(headerForwardedFor, in.sourceIP)
	}
	in.header.Set(headerForwardedPort, localPort(r))
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	in.header.Set(headerForwardedProto, proto)
	in.traceID = strings.TrimSpace(in.header.Get(edge.HeaderTraceID))
	if !strings.Contains(in.traceID, "Root=") || len(in.traceID) > edge.MaxTraceHeader {
		in.traceID = traceRoot(in.time, newID)
	}
	in.header.Set(edge.HeaderTraceID, in.traceID)

	if len(body) > 0 {
		in.binary = isBinary(rt.api, r.Header.Get(edge.HeaderContentType))
		if in.binary {
			in.body = base64.StdEncoding.EncodeToString(body)
		} else {
			in.body = string(body)
		}
	}
	return in
}

// isBinary reports whether a body of this Content-Type reaches the function
// base64-encoded: for a REST API, when the type is one of its
// BinaryMediaTypes; for an HTTP API, when it is not text (text/*, JSON, XML,
// JavaScript). A body with no Content-Type is binary to an HTTP API.
func isBinary(api *gwAPI, contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	if api.Kind == apispec.HTTPAPI {
		return !(strings.HasPrefix(mt, "text/") || httpAPITextTypes[mt])
	}
	if mt == "" {
		return false
	}
	for _, b := range api.BinaryMediaTypes {
		if mediaTypeMatches(strings.ToLower(b), mt) {
			return true
		}
	}
	return false
}

// mediaTypeMatches matches a media type against a pattern with wildcards:
// "*/*", "image/*", or a type.
func mediaTypeMatches(pattern, mt string) bool {
	if pattern == "*/*" || pattern == mt {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "/*"); ok {
		return strings.HasPrefix(mt, prefix+"/")
	}
	return false
}

// event encodes the request in its route's payload format.
func (in *apiRequest) event() ([]byte, error) {
	switch {
	case in.route.payload == apispec.PayloadV2:
		return marshalEvent(in.v2())
	case in.route.api.Kind == apispec.HTTPAPI:
		// An HTTP API's 1.0 format is REST's, with its version.
		return marshalEvent(struct {
			Version string `json:"version"`
			events.APIGatewayProxyRequest
		}{apispec.PayloadV1.String(), in.v1()})
	default:
		return marshalEvent(in.v1())
	}
}

// marshalEvent encodes an event as API Gateway writes it: "&", "<" and ">"
// as themselves, not as \u0026 and the like.
func marshalEvent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// v1 is the payload format 1.0 event. A REST API passes the path and path
// parameters as sent (percent-encoded), an HTTP API decoded. Single-value
// maps hold the last of several values; absent maps are null.
func (in *apiRequest) v1() events.APIGatewayProxyRequest {
	rt, r := in.route, in.r
	path := r.URL.EscapedPath()
	if rt.api.Kind == apispec.HTTPAPI {
		path = r.URL.Path
	}
	contextPath := path
	if in.ec.StageInPath {
		contextPath = "/" + rt.api.Stage + path
	}
	ev := events.APIGatewayProxyRequest{
		Resource:       rt.path(),
		Path:           path,
		HTTPMethod:     r.Method,
		PathParameters: in.params,
		StageVariables: nonEmpty(rt.api.StageVariables),
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         in.ec.AccountID,
			ResourceID:        in.ec.ResourceID,
			Stage:             rt.api.Stage,
			DomainName:        in.domain,
			DomainPrefix:      domainPrefix(in.domain),
			RequestID:         in.ec.RequestID,
			ExtendedRequestID: in.ec.ExtendedRequestID,
			Protocol:          r.Proto,
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  in.sourceIP,
				UserAgent: r.UserAgent(),
			},
			ResourcePath:     rt.path(),
			Path:             contextPath,
			HTTPMethod:       r.Method,
			RequestTime:      in.time.Format(requestTimeLayout),
			RequestTimeEpoch: in.time.UnixMilli(),
			APIID:            in.ec.APIID,
		},
		Body:            in.body,
		IsBase64Encoded: in.binary,
	}
	if len(in.header) > 0 {
		ev.Headers = make(map[string]string, len(in.header))
		ev.MultiValueHeaders = make(map[string][]string, len(in.header))
		for k, vs := range in.header {
			ev.Headers[k] = vs[len(vs)-1]
			ev.MultiValueHeaders[k] = vs
		}
	}
	if len(in.query) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(in.query))
		ev.MultiValueQueryStringParameters = make(map[string][]string, len(in.query))
		for k, vs := range in.query {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
			ev.MultiValueQueryStringParameters[k] = vs
		}
	}
	return ev
}

// v2 is the payload format 2.0 event: header names in lower case, repeated
// headers and query parameters joined with commas, cookies out of the
// headers into their own list, the path decoded.
func (in *apiRequest) v2() events.APIGatewayV2HTTPRequest {
	rt, r := in.route, in.r
	path := r.URL.Path
	if in.ec.StageInPath && rt.api.Stage != apispec.DefaultRoute {
		path = "/" + rt.api.Stage + path
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:        apispec.PayloadV2.String(),
		RouteKey:       rt.routeKey(),
		RawPath:        path,
		RawQueryString: r.URL.RawQuery,
		PathParameters: in.params,
		StageVariables: nonEmpty(rt.api.StageVariables),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     rt.routeKey(),
			AccountID:    in.ec.AccountID,
			Stage:        rt.api.Stage,
			RequestID:    in.ec.RequestID,
			APIID:        in.ec.APIID,
			DomainName:   in.domain,
			DomainPrefix: domainPrefix(in.domain),
			Time:         in.time.Format(requestTimeLayout),
			TimeEpoch:    in.time.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      path,
				Protocol:  r.Proto,
				SourceIP:  in.sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
		Body:            in.body,
		IsBase64Encoded: in.binary,
	}
	ev.Headers = make(map[string]string, len(in.header))
	for k, vs := range in.header {
		if http.CanonicalHeaderKey(k) == headerCookie {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if len(in.query) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(in.query))
		for k, vs := range in.query {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	return ev
}

// domainPrefix is the first label of a domain name, or an IP address whole.
func domainPrefix(domain string) string {
	if net.ParseIP(domain) != nil {
		return domain
	}
	prefix, _, _ := strings.Cut(domain, ".")
	return prefix
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// ErrNoMatch is BuildEvent's error for a request the route does not take.
var ErrNoMatch = errors.New("the request does not match the route")

// BuildEvent is the event API Gateway sends the function of route, an
// api's route, for request r with body: what the handler builds, encoded
// as the function receives it. ec gives the ids and the time; newID makes
// the X-Ray trace header of a request without one (nil is random ids).
// The route takes the API's kind, stage and CORS from api (its Routes are
// not read). It returns ErrNoMatch when r's method or path is not one the
// route serves.
func BuildEvent(api apispec.API, rt apispec.Route, r *http.Request, body []byte, ec EventContext, newID func() string) ([]byte, error) {
	a, err := newGWAPI(&api)
	if err != nil {
		return nil, err
	}
	one, err := newRoute(a, rt)
	if err != nil {
		return nil, fmt.Errorf("API %s: route %s: %w", api.Name, rt.Key, err)
	}
	if one.method() != r.Method && one.method() != apispec.MethodAny {
		return nil, ErrNoMatch
	}
	m := findPath([]*route{one}, r.Method, r.URL.EscapedPath())
	if m.route == nil {
		return nil, ErrNoMatch
	}
	params := m.params
	if newID == nil {
		newID = invoke.NewRequestID
	}
	return newAPIRequest(one, r, params, body, ec, newID).event()
}
