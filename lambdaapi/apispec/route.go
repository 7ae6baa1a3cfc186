package apispec

import (
	"fmt"
	"strings"
)

// SegmentKind orders path segments by specificity: API Gateway prefers a
// literal segment to a {param}, and a {param} to a greedy {param+}.
type SegmentKind uint8

const (
	SegLiteral SegmentKind = iota
	SegParam
	SegGreedy
)

// Segment is one segment of a route's path.
type Segment struct {
	Kind SegmentKind
	Text string // the literal, or the parameter's name
}

// RouteKey is a route's method and path, validated: only ParseRoute makes
// one, so a RouteKey other than the zero value is a route API Gateway
// accepts.
type RouteKey struct {
	kind   APIKind
	method string // upper case, or ANY
	path   string // as declared: "/hello/{name}", or "$default"
	segs   []Segment
}

// Kind is the kind of API the route was validated for.
func (k RouteKey) Kind() APIKind { return k.kind }

// Method is the route's method: upper case, or ANY.
func (k RouteKey) Method() string { return k.method }

// Path is the route's path as declared: "/hello/{name}", "/" or
// "$default".
func (k RouteKey) Path() string { return k.path }

// Segments are the path's segments; "/" and "$default" have none. The
// slice is the key's own: do not change it.
func (k RouteKey) Segments() []Segment { return k.segs }

// IsDefault reports whether this is an HTTP API's $default route.
func (k RouteKey) IsDefault() bool { return k.path == DefaultRoute }

// IsZero reports whether k is the zero RouteKey, which ParseRoute never
// returns.
func (k RouteKey) IsZero() bool { return k.kind == 0 }

// String is the HTTP API's name of the route: "GET /hello/{name}" or
// "$default".
func (k RouteKey) String() string {
	if k.IsDefault() {
		return DefaultRoute
	}
	return k.method + " " + k.path
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

// ParseRoute checks a route's method and path as API Gateway would, and
// returns them validated: a path starts with "/", its segments are
// literals, {name} or, last only, a greedy {name+}; a parameter name
// appears once. "$default" is a path only for HTTP APIs, and its method is
// ANY. The method is normalized ([NormalizeMethod]).
func ParseRoute(kind APIKind, method, path string) (RouteKey, error) {
	if kind != RESTAPI && kind != HTTPAPI {
		return RouteKey{}, fmt.Errorf("unknown API kind %v", kind)
	}
	m, ok := NormalizeMethod(method)
	if !ok {
		return RouteKey{}, fmt.Errorf("method %q: want one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or ANY", method)
	}
	key := RouteKey{kind: kind, method: m, path: path}
	if path == DefaultRoute {
		if kind != HTTPAPI {
			return RouteKey{}, fmt.Errorf("path %s: only HTTP APIs have a $default route", DefaultRoute)
		}
		if m != MethodAny {
			return RouteKey{}, fmt.Errorf("path %s: its method is ANY, not %s", DefaultRoute, m)
		}
		return key, nil
	}
	segs, err := ParseRoutePath(path)
	if err != nil {
		return RouteKey{}, err
	}
	key.segs = segs
	return key, nil
}

// ParseRoutePath splits a route's path into segments; "/" has none.
func ParseRoutePath(path string) ([]Segment, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path %q: must start with /", path)
	}
	if path == "/" {
		return nil, nil
	}
	parts := strings.Split(path[1:], "/")
	segs := make([]Segment, 0, len(parts))
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
			kind := SegParam
			if greedy {
				if i != len(parts)-1 {
					return nil, fmt.Errorf("path %q: a greedy parameter %s must be the last segment", path, p)
				}
				kind = SegGreedy
			}
			segs = append(segs, Segment{Kind: kind, Text: name})
		case strings.ContainsAny(p, "{}"):
			return nil, fmt.Errorf("path %q: a parameter must be a whole segment, not %s", path, p)
		default:
			segs = append(segs, Segment{Kind: SegLiteral, Text: p})
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
