package apigw

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// routingAPIs are the routes of AWS's own example of HTTP API route
// selection, and more, on one REST and one HTTP API.
func routingRoutes(t testing.TB) []*route {
	t.Helper()
	apis := []testAPI{
		{Name: "Http", Kind: apispec.HTTPAPI, Routes: []testRoute{
			{Method: "GET", Path: "/pets/dog/1", Function: "F"},
			{Method: "GET", Path: "/pets/dog/{id}", Function: "F"},
			{Method: "GET", Path: "/pets/{proxy+}", Function: "F"},
			{Method: "ANY", Path: "/{proxy+}", Function: "F"},
			{Method: "ANY", Path: "/a/{x}", Function: "F"},
			{Method: "POST", Path: "/a/{x}", Function: "F"},
			{Method: "GET", Path: "/{p}/b", Function: "F"},
			{Method: "GET", Path: "/deep/{a}/{rest+}", Function: "F"},
			{Method: "ANY", Path: "$default", Function: "F"},
		}},
		{Name: "Rest", Kind: apispec.RESTAPI, Routes: []testRoute{
			{Method: "GET", Path: "/", Function: "F"},
			{Method: "GET", Path: "/rest/{id}", Function: "F"},
		}},
	}
	specs, err := parseTestAPIs(apis)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newAPIGateway(APIGatewayConfig{APIs: specs, Backend: newFakeBackend()})
	if err != nil {
		t.Fatal(err)
	}
	return g.routes
}

func TestRouteSelection(t *testing.T) {
	t.Parallel()
	routes := routingRoutes(t)
	tests := []struct {
		method, path string
		want         string // the route key, or "" for none
		params       string // k=v pairs, sorted
	}{
		// AWS's example of route selection.
		{"GET", "/pets/dog/1", "GET /pets/dog/1", ""},
		{"GET", "/pets/dog/2", "GET /pets/dog/{id}", "id=2"},
		{"GET", "/pets/cat/1", "GET /pets/{proxy+}", "proxy=cat/1"},
		{"POST", "/pets/cat/1", "ANY /{proxy+}", "proxy=pets/cat/1"},
		// A method of its own beats ANY on the same path.
		{"POST", "/a/1", "POST /a/{x}", "x=1"},
		{"PUT", "/a/1", "ANY /a/{x}", "x=1"},
		// The first segment decides: a literal beats a parameter.
		{"GET", "/a/b", "ANY /a/{x}", "x=b"},
		{"GET", "/z/b", "GET /{p}/b", "p=z"},
		// A greedy parameter takes the rest, decoded for an HTTP API.
		{"GET", "/deep/1/2/3", "GET /deep/{a}/{rest+}", "a=1 rest=2/3"},
		{"GET", "/deep/1%2F2/x%20y", "GET /deep/{a}/{rest+}", "a=1/2 rest=x y"},
		{"GET", "/deep/1", "ANY /{proxy+}", "proxy=deep/1"},
		// REST parameters stay as sent.
		{"GET", "/rest/a%20b", "GET /rest/{id}", "id=a%20b"},
		{"GET", "/", "GET /", ""},
		// $default takes what nothing else does; a {proxy+} never matches /.
		{"POST", "/", "$default", ""},
		{"GET", "/pets/dog/", "GET /pets/{proxy+}", "proxy=dog/"},
		// A trailing slash no route matches is matched without it.
		{"GET", "/pets/dog/1/", "GET /pets/dog/1", ""},
		{"GET", "/rest/a%20b/", "GET /rest/{id}", "id=a%20b"},
		{"GET", "/deep/1/", "ANY /{proxy+}", "proxy=deep/1/"},
	}
	for _, tc := range tests {
		m := findPath(routes, tc.method, tc.path)
		got := ""
		if m.route != nil {
			got = m.route.routeKey()
		}
		var params []string
		for _, k := range slices.Sorted(maps.Keys(m.params)) {
			params = append(params, k+"="+m.params[k])
		}
		if got != tc.want || strings.Join(params, " ") != tc.params {
			t.Errorf("%s %s: got %q %v, want %q %q", tc.method, tc.path, got, params, tc.want, tc.params)
		}
	}
}

// FuzzRouteSelection: any request path, however strange, selects at most
// one route, never panics, and a selected route matches the request.
func FuzzRouteSelection(f *testing.F) {
	for _, p := range []string{"/", "/pets/dog/1", "//", "/a/%zz", "/deep/%2F/%", "/a/b/c/d/e/f", "/rest/\x00"} {
		f.Add("GET", p)
	}
	routes := routingRoutes(f)
	f.Fuzz(func(t *testing.T, method, path string) {
		segs := splitRequestPath(path)
		m := find(routes, method, segs)
		if m.route == nil {
			return
		}
		if m.route.method() != method && m.route.method() != apispec.MethodAny {
			t.Fatalf("%s %s selected %s", method, path, m.route.routeKey())
		}
		if _, ok := m.route.matchPath(segs, m.route.api.Kind == apispec.HTTPAPI); !ok {
			t.Fatalf("%s %s selected %s, which does not match it", method, path, m.route.routeKey())
		}
	})
}

// FuzzParseResponse: a function's answer is untrusted; reading it in any
// payload format never panics, and an accepted answer has a final status.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{`{"statusCode":200,"body":"x"}`, `"hi"`, `{"statusCode":200,"isBase64Encoded":true,"body":"AA=="}`,
		`{"statusCode":"200"}`, `null`, `[1]`, `{"statusCode":204,"multiValueHeaders":{"a":["1","2"]},"headers":{"a":"1"}}`} {
		f.Add([]byte(s))
	}
	rest := &route{api: &gwAPI{API: &apispec.API{Kind: apispec.RESTAPI}}, payload: apispec.PayloadV1}
	http1 := &route{api: &gwAPI{API: &apispec.API{Kind: apispec.HTTPAPI}}, payload: apispec.PayloadV1}
	http2 := &route{api: &gwAPI{API: &apispec.API{Kind: apispec.HTTPAPI}}, payload: apispec.PayloadV2}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, rt := range []*route{rest, http1, http2} {
			out, err := parseResponse(rt, payload)
			if err == nil && (out.status < 200 || out.status > 599) {
				t.Fatalf("%s accepted with status %d", payload, out.status)
			}
		}
	})
}
