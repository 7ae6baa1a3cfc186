package apigw

import (
	"flag"
	"fmt"
	"net/http"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testAPI is an API as the tests write it, its routes as text; apispec
// parses them (as the SAM parser does) before they reach the handler.
type testAPI struct {
	Name             string
	Kind             apispec.APIKind
	Stage            string
	StageVariables   map[string]string
	BinaryMediaTypes []string
	CORS             *apispec.CORS
	Routes           []testRoute
}

type testRoute struct {
	Method, Path, Function string
	PayloadFormatVersion   string
}

// parseTestAPIs turns test APIs into apispec's, with the first error of
// apispec's.
func parseTestAPIs(apis []testAPI) ([]apispec.API, error) {
	var out []apispec.API
	for _, a := range apis {
		spec := apispec.API{Name: a.Name, Kind: a.Kind, Stage: a.Stage, StageVariables: a.StageVariables,
			BinaryMediaTypes: a.BinaryMediaTypes, CORS: a.CORS}
		for _, r := range a.Routes {
			key, err := apispec.ParseRoute(a.Kind, r.Method, r.Path)
			if err != nil {
				return nil, fmt.Errorf("API %s: route %s %s: %w", a.Name, r.Method, r.Path, err)
			}
			pf, err := apispec.ParsePayloadFormat(r.PayloadFormatVersion)
			if err != nil {
				return nil, fmt.Errorf("API %s: route %s %s: %w", a.Name, r.Method, r.Path, err)
			}
			spec.Routes = append(spec.Routes, apispec.Route{Key: key, Function: r.Function, PayloadFormat: pf})
		}
		out = append(out, spec)
	}
	return out, nil
}

// newTestHandler parses apis and serves them with cfg: the error is
// apispec's or the handler's.
func newTestHandler(apis []testAPI, cfg APIGatewayConfig) (http.Handler, error) {
	specs, err := parseTestAPIs(apis)
	if err != nil {
		return nil, err
	}
	cfg.APIs = specs
	return NewAPIGatewayHandler(cfg)
}
