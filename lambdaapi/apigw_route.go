package lambdaapi

import (
	"fmt"
	"net/url"
	"strings"
)

// segKind orders path segments by specificity: API Gateway prefers a
// literal segment to a {param}, and a {param} to a greedy {param+}.
type segKind uint8

const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

// segment is one segment of a route's path.
type segment struct {
	kind segKind
	text string // the literal, or the parameter's name
}

// routeMethods are the methods a route may declare.
var routeMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true, MethodAny: true,
}

// NormalizeMethod turns a template's Method into a route method: upper case,
// with SAM's and OpenAPI's spelling of ANY ("any",
// "x-amazon-apigateway-any-method") as "ANY". It reports whether the method
// is one API Gateway routes.
func NormalizeMethod(m string) (string, bool) {
	m = strings.ToUpper(strings.TrimSpace(m))
	if m == "X-AMAZON-APIGATEWAY-ANY-METHOD" || m == "*" {
		m = MethodAny
	}
	return m, routeMethods[m]
}

// ValidateRoute checks a route's method and path as API Gateway would:
// a path starts with "/", its segments are literals, {name} or, last only,
// a greedy {name+}; a parameter name appears once. "$default" is a path
// only for HTTP APIs, and its method is ANY.
func ValidateRoute(kind APIKind, method, path string) error {
	m, ok := NormalizeMethod(method)
	if !ok {
		return fmt.Errorf("method %q: want one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or ANY", method)
	}
	if path == DefaultRoute {
		if kind != HTTPAPI {
			return fmt.Errorf("path %s: only HTTP APIs have a $default route", DefaultRoute)
		}
		if m != MethodAny {
			return fmt.Errorf("path %s: its method is ANY, not %s", DefaultRoute, m)
		}
		return nil
	}
	_, err := parseRoutePath(path)
	return err
}

// parseRoutePath splits a route's path into segments; "/" has none.
func parseRoutePath(path string) ([]segment, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path %q: must start with /", path)
	}
	if path == "/" {
		return nil, nil
	}
	parts := strings.Split(path[1:], "/")
	segs := make([]segment, 0, len(parts))
	names := map[string]bool{}
	for i, p := range parts {
		switch {
		case p == "":
			return nil, fmt.Errorf("path %q: empty segment", path)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name, greedy := strings.CutSuffix(p[1:len(p)-1], "+")
			if !validParamName(name) {
				return nil, fmt.Errorf("path %q: bad parameter name in %s", path, p)
			}
			if names[name] {
				return nil, fmt.Errorf("path %q: parameter %s appears twice", path, name)
			}
			names[name] = true
			kind := segParam
			if greedy {
				if i != len(parts)-1 {
					return nil, fmt.Errorf("path %q: a greedy parameter %s must be the last segment", path, p)
				}
				kind = segGreedy
			}
			segs = append(segs, segment{kind: kind, text: name})
		case strings.ContainsAny(p, "{}"):
			return nil, fmt.Errorf("path %q: a parameter must be a whole segment, not %s", path, p)
		default:
			segs = append(segs, segment{kind: segLiteral, text: p})
		}
	}
	return segs, nil
}

func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// route is one route of one API, ready to match.
type route struct {
	api       *gwAPI
	method    string // upper case, or ANY
	path      string // as declared: "/hello/{name}", or "$default"
	segs      []segment
	isDefault bool
	function  string
	payload   string // PayloadV1 or PayloadV2
	order     int    // declaration order, the last tie-breaker
}

// routeKey is the HTTP API's name of the route: "GET /hello/{name}" or
// "$default".
func (rt *route) routeKey() string {
	if rt.isDefault {
		return DefaultRoute
	}
	return rt.method + " " + rt.path
}

// splitRequestPath splits an escaped request path into its segments; "/"
// has none.
func splitRequestPath(escaped string) []string {
	escaped = strings.TrimPrefix(escaped, "/")
	if escaped == "" {
		return nil
	}
	return strings.Split(escaped, "/")
}

// matchPath reports whether the route's path matches the request's escaped
// segments, and its parameters: as sent (still percent-encoded) when
// decode is false, decoded otherwise.
func (rt *route) matchPath(segs []string, decode bool) (map[string]string, bool) {
	if rt.isDefault {
		return nil, true
	}
	var params map[string]string
	set := func(name, v string) {
		if params == nil {
			params = map[string]string{}
		}
		params[name] = v
	}
	for i, s := range rt.segs {
		if i >= len(segs) {
			return nil, false
		}
		switch s.kind {
		case segLiteral:
			if unescapeSegment(segs[i]) != s.text {
				return nil, false
			}
		case segParam:
			if segs[i] == "" {
				return nil, false
			}
			v := segs[i]
			if decode {
				v = unescapeSegment(v)
			}
			set(s.text, v)
		case segGreedy:
			rest := strings.Join(segs[i:], "/")
			if rest == "" {
				return nil, false
			}
			if decode {
				rest = unescapeSegment(rest)
			}
			set(s.text, rest)
			return params, true
		}
	}
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	return params, true
}

func unescapeSegment(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// moreSpecific reports whether a's path is more specific than b's: at the
// first segment where their kinds differ, a literal beats a parameter and
// a parameter beats a greedy parameter. A $default route is the least
// specific of all.
func moreSpecific(a, b *route) (more, equal bool) {
	if a.isDefault || b.isDefault {
		return !a.isDefault && b.isDefault, a.isDefault == b.isDefault
	}
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind < b.segs[i].kind, false
		}
	}
	// Two paths that match one request and agree on every kind have as many
	// segments, unless one ends greedy: then the longer one is more specific.
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs), false
	}
	return false, true
}

// better reports whether candidate a should serve the request rather than b
// (nil): the more specific path, then a route that names the method over
// ANY, then the one declared first.
func better(a, b *route) bool {
	if b == nil {
		return true
	}
	more, equal := moreSpecific(a, b)
	if !equal {
		return more
	}
	if (a.method == MethodAny) != (b.method == MethodAny) {
		return a.method != MethodAny
	}
	return a.order < b.order
}

// routing is the outcome of matching a request against every route.
type routing struct {
	// route serves the request; nil when none matches its method and path.
	route  *route
	params map[string]string
	// resource is the most specific route whose path matches, whatever its
	// method: it tells which API the request was meant for (for the answer
	// to an unknown route and for CORS preflights).
	resource *route
}

// find selects the route for a request: among routes whose method (or
// ANY) and path match, the most specific, as HTTP APIs document; a
// $default route only when nothing else matches.
func find(routes []*route, method string, segs []string) routing {
	var res routing
	for _, rt := range routes {
		params, ok := rt.matchPath(segs, rt.api.kind == HTTPAPI)
		if !ok {
			continue
		}
		if better(rt, res.resource) {
			res.resource = rt
		}
		if rt.method != method && rt.method != MethodAny {
			continue
		}
		if better(rt, res.route) {
			res.route, res.params = rt, params
		}
	}
	return res
}
