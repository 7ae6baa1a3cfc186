package lambdaapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// apiRequest is what API Gateway knows of a request when it builds the
// event: the same for every payload format.
type apiRequest struct {
	route     *route
	r         *http.Request
	params    map[string]string
	header    http.Header // the request's headers, with those API Gateway adds
	query     url.Values
	body      string
	binary    bool
	requestID string
	traceID   string
	time      time.Time
	sourceIP  string
	domain    string
	accountID string
}

// request gathers what the event needs. The headers gain Host (which
// net/http keeps apart) and those API Gateway adds: X-Forwarded-For,
// -Port and -Proto, and X-Amzn-Trace-Id.
func (g *apiGateway) request(x *exchange, rt *route, body []byte) *apiRequest {
	r := x.r
	in := &apiRequest{
		route:     rt,
		r:         r,
		params:    x.routing.params,
		header:    r.Header.Clone(),
		query:     r.URL.Query(),
		requestID: x.requestID,
		time:      x.start.UTC(),
		sourceIP:  clientIP(r),
		accountID: g.cfg.AccountID,
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
	in.header.Set(headerForwardedProto, "http")
	in.traceID = strings.TrimSpace(in.header.Get(headerTraceID))
	if !strings.Contains(in.traceID, "Root=") || len(in.traceID) > maxTraceHeader {
		in.traceID = g.traceRoot(in.time)
	}
	in.header.Set(headerTraceID, in.traceID)

	if len(body) > 0 {
		in.binary = isBinary(rt.api, r.Header.Get(headerContentType))
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
	if api.kind == HTTPAPI {
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
	case in.route.payload == PayloadV2:
		return marshalEvent(in.v2())
	case in.route.api.kind == HTTPAPI:
		// An HTTP API's 1.0 format is REST's, with its version.
		return marshalEvent(struct {
			Version string `json:"version"`
			events.APIGatewayProxyRequest
		}{PayloadV1, in.v1()})
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
	if rt.api.kind == HTTPAPI {
		path = r.URL.Path
	}
	ev := events.APIGatewayProxyRequest{
		Resource:       rt.path,
		Path:           path,
		HTTPMethod:     r.Method,
		PathParameters: in.params,
		StageVariables: nonEmpty(rt.api.StageVariables),
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         in.accountID,
			ResourceID:        hashID(rt.api.Name+" "+rt.path, 6),
			Stage:             rt.api.Stage,
			DomainName:        in.domain,
			DomainPrefix:      domainPrefix(in.domain),
			RequestID:         in.requestID,
			ExtendedRequestID: in.requestID,
			Protocol:          r.Proto,
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  in.sourceIP,
				UserAgent: r.UserAgent(),
			},
			ResourcePath:     rt.path,
			Path:             path,
			HTTPMethod:       r.Method,
			RequestTime:      in.time.Format(requestTimeLayout),
			RequestTimeEpoch: in.time.UnixMilli(),
			APIID:            rt.api.id,
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
	ev := events.APIGatewayV2HTTPRequest{
		Version:        PayloadV2,
		RouteKey:       rt.routeKey(),
		RawPath:        r.URL.Path,
		RawQueryString: r.URL.RawQuery,
		PathParameters: in.params,
		StageVariables: nonEmpty(rt.api.StageVariables),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     rt.routeKey(),
			AccountID:    in.accountID,
			Stage:        rt.api.Stage,
			RequestID:    in.requestID,
			APIID:        rt.api.id,
			DomainName:   in.domain,
			DomainPrefix: domainPrefix(in.domain),
			Time:         in.time.Format(requestTimeLayout),
			TimeEpoch:    in.time.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
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
