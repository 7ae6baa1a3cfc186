package genevent

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// The events of API Gateway's Lambda authorizers. A REQUEST authorizer's
// event is the request the API would proxy, less its body, plus the ARN of
// the method called: it is made from the proxy event of lambdaapi/apigw's
// builder, so the two cannot drift apart. A TOKEN authorizer's has the
// token and the ARN alone.

// executeAPIARN is the ARN of a method (REST) or route (HTTP API) called:
// arn:PARTITION:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH, the path
// without its leading slash.
func executeAPIARN(s *scope, apiID, stage, method, path string) string {
	return s.arn("execute-api", apiID+"/"+stage+"/"+method+"/"+strings.TrimPrefix(path, "/"))
}

func defineAPIGatewayTokenAuthorizer(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, true, true)
	token := fs.String("token", "allow", "the caller's token (from the Authorization header)")
	path := fs.String("path", "/path/to/resource", "request path")
	method := fs.String("method", "GET", "HTTP method")
	stage := fs.String("stage", "prod", "API stage")
	return func(ids *IDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		m := strings.ToUpper(*method)
		switch {
		case !methodRE.MatchString(m):
			return nil, usage("bad --method %q", *method)
		case !strings.HasPrefix(*path, "/"):
			return nil, usage("bad --path %q, want it to start with /", *path)
		case !stageRE.MatchString(*stage) || *stage == "$default":
			return nil, usage("bad --stage %q", *stage)
		case *token == "":
			return nil, usage("--token must not be empty: API Gateway answers 401 without calling the authorizer")
		case strings.ContainsAny(*token, "\r\n"):
			return nil, usage("bad --token %q: a header value has no line breaks", *token)
		}
		if _, err := url.PathUnescape(*path); err != nil {
			return nil, usage("bad --path %q: %v", *path, err)
		}
		apiID := ids.of(lowerAlnum, 10)
		return events.APIGatewayCustomAuthorizerRequest{
			Type:               "TOKEN",
			AuthorizationToken: *token,
			MethodArn:          executeAPIARN(&scope, apiID, *stage, m, *path),
		}, nil
	}
}

func defineAPIGatewayRequestAuthorizer(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var a apiFlags
	a.register(fs, "prod", true)
	return func(ids *IDSource) (any, error) {
		raw, err := a.event(ids, apispec.RESTAPI)
		if err != nil {
			return nil, err
		}
		var p events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw.(json.RawMessage), &p); err != nil {
			return nil, fmt.Errorf("decode proxy event: %w", err)
		}
		rc := p.RequestContext
		return events.APIGatewayCustomAuthorizerRequestTypeRequest{
			Type:                            "REQUEST",
			MethodArn:                       executeAPIARN(&a.scope, rc.APIID, rc.Stage, p.HTTPMethod, a.path),
			Resource:                        p.Resource,
			Path:                            p.Path,
			HTTPMethod:                      p.HTTPMethod,
			Headers:                         p.Headers,
			MultiValueHeaders:               p.MultiValueHeaders,
			QueryStringParameters:           p.QueryStringParameters,
			MultiValueQueryStringParameters: p.MultiValueQueryStringParameters,
			PathParameters:                  p.PathParameters,
			StageVariables:                  p.StageVariables,
			RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
				Path:       rc.Path,
				AccountID:  rc.AccountID,
				ResourceID: rc.ResourceID,
				Stage:      rc.Stage,
				RequestID:  rc.RequestID,
				Identity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{
					APIKey:   rc.Identity.APIKey,
					SourceIP: rc.Identity.SourceIP,
				},
				ResourcePath: rc.ResourcePath,
				HTTPMethod:   rc.HTTPMethod,
				APIID:        rc.APIID,
			},
		}, nil
	}
}

func defineAPIGatewayHTTPAPIAuthorizer(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var a apiFlags
	a.register(fs, "$default", true)
	fs.Lookup("resource").Usage = "route the path matched, with {param} and greedy {param+}, or $default"
	return func(ids *IDSource) (any, error) {
		raw, err := a.event(ids, apispec.HTTPAPI)
		if err != nil {
			return nil, err
		}
		var p events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw.(json.RawMessage), &p); err != nil {
			return nil, fmt.Errorf("decode proxy event: %w", err)
		}
		rc := p.RequestContext
		var identity []string
		if a.token != "" {
			identity = []string{a.token} // the default identity source, $request.header.Authorization
		}
		return events.APIGatewayV2CustomAuthorizerV2Request{
			Version:               "2.0",
			Type:                  "REQUEST",
			RouteArn:              executeAPIARN(&a.scope, rc.APIID, rc.Stage, rc.HTTP.Method, a.path),
			IdentitySource:        identity,
			RouteKey:              p.RouteKey,
			RawPath:               p.RawPath,
			RawQueryString:        p.RawQueryString,
			Cookies:               p.Cookies,
			Headers:               p.Headers,
			QueryStringParameters: p.QueryStringParameters,
			RequestContext:        rc,
			PathParameters:        p.PathParameters,
			StageVariables:        p.StageVariables,
		}, nil
	}
}
