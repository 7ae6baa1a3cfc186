package genevent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/frescolabs/fresco/lambdaapi/apigw"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// The API Gateway samples are not written here: they are the events of
// lambdaapi/apigw's own builder for an *http.Request made from the flags,
// as it arrives at the API's execute-api domain over HTTPS.

// apiFlags are the flags of the API Gateway events.
type apiFlags struct {
	scope    scope
	path     string
	method   string
	body     string
	stage    string
	resource string
	query    string
	token    string // an authorizer's, sent as the Authorization header
}

// register adds the flags of a request to the API; an authorizer's
// request has no body but a token, and its ARN a partition.
func (a *apiFlags) register(fs *flag.FlagSet, stage string, authorizer bool) {
	a.scope.register(fs, authorizer, true)
	fs.StringVar(&a.path, "path", "/path/to/resource", "request path")
	if authorizer {
		fs.StringVar(&a.method, "method", "GET", "HTTP method")
		fs.StringVar(&a.token, "token", "allow", "the caller's token, sent as the Authorization header")
	} else {
		fs.StringVar(&a.method, "method", "POST", "HTTP method")
		fs.StringVar(&a.body, "body", `{"message":"hello world"}`, "request body (default none for GET, HEAD and OPTIONS)")
	}
	fs.StringVar(&a.stage, "stage", stage, "API stage")
	fs.StringVar(&a.resource, "resource", "/{proxy+}", "resource (route) the path matched, with {param} and greedy {param+}")
	fs.StringVar(&a.query, "query", "", "query string, e.g. 'q=1&tag=a&tag=b'")
}

var (
	methodRE = regexp.MustCompile(`^[A-Z]+$`)
	stageRE  = regexp.MustCompile(`^(\$default|[A-Za-z0-9_-]+)$`)
)

func defineAPIGatewayProxy(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var a apiFlags
	a.register(fs, "prod", false)
	return func(ids *IDSource) (any, error) { return a.event(ids, apispec.RESTAPI) }
}

func defineAPIGatewayV2HTTP(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var a apiFlags
	a.register(fs, "$default", false)
	fs.Lookup("resource").Usage = "route the path matched, with {param} and greedy {param+}, or $default"
	return func(ids *IDSource) (any, error) { return a.event(ids, apispec.HTTPAPI) }
}

// event validates the flags and builds the event of an API of kind.
func (a *apiFlags) event(ids *IDSource, kind apispec.APIKind) (any, error) {
	req, err := a.validate(kind)
	if err != nil {
		return nil, err
	}
	v2 := kind == apispec.HTTPAPI
	// The ids API Gateway gives the API and the request, in the order the
	// samples have always drawn them.
	apiID := ids.of(lowerAlnum, 10)
	host := apiID + ".execute-api." + a.scope.region + "." + a.scope.dnsSuffix()
	traceID := fmt.Sprintf("Root=1-%08x-%s", genTime.Unix(), ids.hex(24))
	ec := apigw.EventContext{Time: genTime, AccountID: a.scope.account, APIID: apiID, StageInPath: true}
	if v2 {
		ec.RequestID = extendedRequestID(ids)
	} else {
		ec.ResourceID = ids.of(lowerAlnum, 6)
		ec.RequestID = ids.uuid()
		ec.ExtendedRequestID = extendedRequestID(ids)
	}
	r := sampleRequest(req, host, traceID, v2)
	api := apispec.API{Name: "sample", Kind: kind, Stage: a.stage}
	event, err := apigw.BuildEvent(api, apispec.Route{Key: req.key, Function: "sample"}, r, []byte(req.body), ec, nil)
	if errors.Is(err, apigw.ErrNoMatch) {
		return nil, usage("--path %q does not match --resource %q", a.path, a.resource)
	}
	if err != nil {
		return nil, err
	}
	return json.RawMessage(event), nil
}

// sampleReq is the request the flags describe, validated.
type sampleReq struct {
	method, path, rawPath, query, body string
	token                              string
	key                                apispec.RouteKey
}

// validate checks the flags as API Gateway would a request to the route.
func (a *apiFlags) validate(kind apispec.APIKind) (*sampleReq, error) {
	if err := a.scope.validate(); err != nil {
		return nil, err
	}
	method := strings.ToUpper(a.method)
	if !methodRE.MatchString(method) {
		return nil, usage("bad --method %q", a.method)
	}
	if !strings.HasPrefix(a.path, "/") {
		return nil, usage("bad --path %q, want it to start with /", a.path)
	}
	path, err := url.PathUnescape(a.path)
	if err != nil {
		return nil, usage("bad --path %q: %v", a.path, err)
	}
	if !stageRE.MatchString(a.stage) || (a.stage == "$default" && kind != apispec.HTTPAPI) {
		return nil, usage("bad --stage %q", a.stage)
	}
	query := strings.TrimPrefix(a.query, "?")
	if _, err := url.ParseQuery(query); err != nil {
		return nil, usage("bad --query %q: %v", query, err)
	}
	routeMethod := method
	if a.resource == apispec.DefaultRoute {
		routeMethod = apispec.MethodAny // the $default route matches any path and method
	}
	key, err := apispec.ParseRoute(kind, routeMethod, a.resource)
	if err != nil {
		return nil, usage("bad --resource %q for --method %s: %v", a.resource, method, err)
	}
	body := a.body
	if !flagsSet(a.scope.fs)["body"] && (method == "GET" || method == "HEAD" || method == "OPTIONS") {
		body = ""
	}
	if strings.ContainsAny(a.token, "\r\n") {
		return nil, usage("bad --token %q: a header value has no line breaks", a.token)
	}
	return &sampleReq{method: method, path: path, rawPath: a.path, query: query, body: body, token: a.token, key: key}, nil
}

// sampleRequest is the HTTP request of a sample, as it reaches API Gateway
// over TLS on port 443 from a curl.
func sampleRequest(req *sampleReq, host, traceID string, v2 bool) *http.Request {
	r := &http.Request{
		Method:     req.method,
		URL:        &url.URL{Path: req.path, RawPath: req.rawPath, RawQuery: req.query},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Accept":          {"*/*"},
			"User-Agent":      {userAgent},
			"X-Amzn-Trace-Id": {traceID},
		},
		Host:       host,
		RemoteAddr: net.JoinHostPort(sourceIP, "50210"),
		TLS:        &tls.ConnectionState{},
	}
	r = r.WithContext(context.WithValue(context.Background(), http.LocalAddrContextKey, &net.TCPAddr{Port: 443}))
	if req.token != "" {
		r.Header.Set("Authorization", req.token)
	}
	if req.body != "" {
		r.Header.Set("Content-Type", contentType(req.body))
		if v2 {
			// HTTP APIs pass the Content-Length on; REST APIs' samples
			// have never shown it.
			r.Header.Set("Content-Length", strconv.Itoa(len(req.body)))
		}
	}
	return r
}

// contentType guesses the Content-Type of a sample body.
func contentType(body string) string {
	if json.Valid([]byte(body)) {
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

// extendedRequestID looks like API Gateway's extended request ids: 11
// bytes in base64.
func extendedRequestID(ids *IDSource) string {
	return ids.base64(11)
}
