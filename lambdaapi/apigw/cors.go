package apigw

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// preflight answers a CORS preflight request for an API with CORS, and
// reports whether it did.
//
// A REST API answers every OPTIONS request for a path of an API with Cors
// through the mock OPTIONS method SAM adds to each path, unless the path
// declares OPTIONS itself: 200, the configured headers whatever the Origin,
// and, when AllowMethods is not set, the path's own methods.
//
// An HTTP API with CorsConfiguration answers a preflight (OPTIONS with
// Origin and Access-Control-Request-Method) itself, whatever its routes:
// 204, with the CORS headers when the Origin is allowed.
func (g *apiGateway) preflight(x *exchange) bool {
	r := x.r
	res := x.routing.resource
	if r.Method != http.MethodOptions || res == nil || res.api.CORS == nil {
		return false
	}
	api, cors := res.api, res.api.CORS
	h := x.w.Header()
	var status int
	switch api.Kind {
	case apispec.RESTAPI:
		methods := g.resourceMethods(res)
		if methods[http.MethodOptions] {
			return false
		}
		h.Set(headerAllowOrigin, strings.Join(cors.AllowOrigins, ","))
		if len(cors.AllowHeaders) > 0 {
			h.Set(headerAllowHeaders, strings.Join(cors.AllowHeaders, ","))
		}
		allow := strings.Join(cors.AllowMethods, ",")
		if allow == "" {
			allow = allowedMethods(methods)
		}
		h.Set(headerAllowMethods, allow)
		if cors.MaxAge != nil {
			h.Set(headerMaxAge, strconv.Itoa(*cors.MaxAge))
		}
		if cors.AllowCredentials {
			h.Set(headerAllowCreds, "true")
		}
		h.Set(edge.HeaderContentType, edge.ContentTypeJSON)
		status = http.StatusOK
	case apispec.HTTPAPI:
		origin := r.Header.Get(headerOrigin)
		if origin == "" || r.Header.Get(headerRequestMethod) == "" {
			return false
		}
		if allowOrigin := allowedOrigin(cors, origin); allowOrigin != "" {
			h.Set(headerAllowOrigin, allowOrigin)
			if len(cors.AllowMethods) > 0 {
				h.Set(headerAllowMethods, strings.Join(cors.AllowMethods, ","))
			}
			if len(cors.AllowHeaders) > 0 {
				h.Set(headerAllowHeaders, strings.Join(cors.AllowHeaders, ","))
			}
			if cors.MaxAge != nil {
				h.Set(headerMaxAge, strconv.Itoa(*cors.MaxAge))
			}
			if cors.AllowCredentials {
				h.Set(headerAllowCreds, "true")
			}
		}
		status = http.StatusNoContent
	default:
		return false
	}
	setRequestIDHeader(h, api.Kind, x.requestID)
	if status != http.StatusNoContent {
		h.Set(edge.HeaderContentLength, "0")
	}
	x.w.WriteHeader(status)
	return true
}

// resourceMethods are the methods the API declares on the resource (the
// path) of route res.
func (g *apiGateway) resourceMethods(res *route) map[string]bool {
	methods := map[string]bool{}
	for _, rt := range g.routes {
		if rt.api == res.api && rt.path() == res.path() {
			methods[rt.method()] = true
		}
	}
	return methods
}

// allowedMethods is SAM's Access-Control-Allow-Methods for a resource: its
// methods and OPTIONS, sorted, or every method when it has ANY.
func allowedMethods(methods map[string]bool) string {
	if methods[apispec.MethodAny] {
		return allMethods
	}
	methods[http.MethodOptions] = true
	return strings.Join(slices.Sorted(maps.Keys(methods)), ",")
}

// allowedOrigin is the Access-Control-Allow-Origin an HTTP API answers to
// origin: "*" when every origin is allowed (and credentials are not), the
// origin itself when it is listed, "" when it is not allowed.
func allowedOrigin(cors *apispec.CORS, origin string) string {
	for _, o := range cors.AllowOrigins {
		if o == "*" {
			if cors.AllowCredentials {
				return origin
			}
			return "*"
		}
		if strings.EqualFold(o, origin) {
			return origin
		}
	}
	return ""
}

// applyCORS sets an HTTP API's CORS headers on an answer: the function's
// own Access-Control-* headers are replaced by the API's, which are sent
// only when the request's Origin is allowed.
func applyCORS(h http.Header, cors *apispec.CORS, origin string) {
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	allow := allowedOrigin(cors, origin)
	if origin == "" || allow == "" {
		return
	}
	h.Set(headerAllowOrigin, allow)
	if len(cors.ExposeHeaders) > 0 {
		h.Set(headerExposeHeaders, strings.Join(cors.ExposeHeaders, ","))
	}
	if cors.AllowCredentials {
		h.Set(headerAllowCreds, "true")
	}
}
