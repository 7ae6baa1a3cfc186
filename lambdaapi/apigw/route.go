package apigw

import (
	"net/url"
	"strings"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// route is one route of one API, ready to match.
type route struct {
	api      *gwAPI
	key      apispec.RouteKey
	function string
	payload  apispec.PayloadFormat // PayloadV1 or PayloadV2
	order    int                   // declaration order, the last tie-breaker
}

func (rt *route) method() string          { return rt.key.Method() }
func (rt *route) path() string            { return rt.key.Path() }
func (rt *route) segs() []apispec.Segment { return rt.key.Segments() }
func (rt *route) isDefault() bool         { return rt.key.IsDefault() }

// routeKey is the HTTP API's name of the route: "GET /hello/{name}" or
// "$default".
func (rt *route) routeKey() string { return rt.key.String() }

// findPath is find for an escaped request path. A path ending in a slash
// is also matched without it, as sam local matches it (GET /hello/ is GET
// /hello), and the better route serves it: a greedy parameter that takes
// the slash keeps it only if nothing more specific matches without.
func findPath(routes []*route, method, escaped string) routing {
	segs := splitRequestPath(escaped)
	m := find(routes, method, segs)
	if len(segs) > 1 && segs[len(segs)-1] == "" {
		if trimmed := find(routes, method, segs[:len(segs)-1]); trimmed.route != nil && (m.route == nil || better(trimmed.route, m.route)) {
			return trimmed
		}
	}
	return m
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
	if rt.isDefault() {
		return nil, true
	}
	var params map[string]string
	set := func(name, v string) {
		if params == nil {
			params = map[string]string{}
		}
		params[name] = v
	}
	for i, s := range rt.segs() {
		if i >= len(segs) {
			return nil, false
		}
		switch s.Kind {
		case apispec.SegLiteral:
			if unescapeSegment(segs[i]) != s.Text {
				return nil, false
			}
		case apispec.SegParam:
			if segs[i] == "" {
				return nil, false
			}
			v := segs[i]
			if decode {
				v = unescapeSegment(v)
			}
			set(s.Text, v)
		case apispec.SegGreedy:
			rest := strings.Join(segs[i:], "/")
			if rest == "" {
				return nil, false
			}
			if decode {
				rest = unescapeSegment(rest)
			}
			set(s.Text, rest)
			return params, true
		}
	}
	if len(segs) != len(rt.segs()) {
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
	if a.isDefault() || b.isDefault() {
		return !a.isDefault() && b.isDefault(), a.isDefault() == b.isDefault()
	}
	as, bs := a.segs(), b.segs()
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i].Kind != bs[i].Kind {
			return as[i].Kind < bs[i].Kind, false
		}
	}
	// Two paths that match one request and agree on every kind have as many
	// segments, unless one ends greedy: then the longer one is more specific.
	if len(as) != len(bs) {
		return len(as) > len(bs), false
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
	if (a.method() == apispec.MethodAny) != (b.method() == apispec.MethodAny) {
		return a.method() != apispec.MethodAny
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
		params, ok := rt.matchPath(segs, rt.api.Kind == apispec.HTTPAPI)
		if !ok {
			continue
		}
		if better(rt, res.resource) {
			res.resource = rt
		}
		if rt.method() != method && rt.method() != apispec.MethodAny {
			continue
		}
		if better(rt, res.route) {
			res.route, res.params = rt, params
		}
	}
	return res
}
