package sam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/global"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// Event types fresco serves through API Gateway, and the APIs SAM creates
// for events that name none.
const (
	EventTypeAPI     = "Api"
	EventTypeHTTPAPI = "HttpApi"

	ImplicitRestAPI = "ServerlessRestApi"
	ImplicitHTTPAPI = "ServerlessHttpApi"

	// ImplicitRestStage and ImplicitHTTPStage are the stages of SAM's
	// implicit APIs.
	ImplicitRestStage = "Prod"
	ImplicitHTTPStage = "$default"

	serverlessAPIType     = "AWS::Serverless::Api"
	serverlessHTTPAPIType = "AWS::Serverless::HttpApi"
)

// Event is an Api or HttpApi event of a function: one route of an API
// Gateway API to the function (schedule events are ScheduleEvents).
type Event struct {
	// Name is the event's key under Events.
	Name string
	// Type is the kind of API of the event's Type: apispec.RESTAPI for
	// EventTypeAPI, apispec.HTTPAPI for EventTypeHTTPAPI.
	Type apispec.APIKind
	// API is the logical id of the API: RestApiId or ApiId, or SAM's
	// implicit ServerlessRestApi or ServerlessHttpApi.
	API string
	// Route is the route's method (upper case; ANY for any) and path
	// ("$default" for an HttpApi event without Path and Method), validated.
	Route apispec.RouteKey
	// PayloadFormat is 1.0 for Api events; 2.0 (the default) or 1.0 for
	// HttpApi events.
	PayloadFormat apispec.PayloadFormat
}

// eventKinds are the kinds of API of the event types fresco serves.
var eventKinds = map[string]apispec.APIKind{EventTypeAPI: apispec.RESTAPI, EventTypeHTTPAPI: apispec.HTTPAPI}

// API is an API Gateway API of the template: an AWS::Serverless::Api or
// AWS::Serverless::HttpApi resource, or an implicit API that events without
// RestApiId or ApiId create, with Globals.Api or Globals.HttpApi merged.
type API struct {
	LogicalID string
	// Type is apispec.RESTAPI (an Api) or apispec.HTTPAPI (an HttpApi).
	Type     apispec.APIKind
	Implicit bool
	// StageName is the stage events carry: the resource's StageName, or
	// Prod (implicit REST API) or $default (HTTP APIs).
	StageName string
	// StageVariables are Variables (Api) or StageVariables (HttpApi).
	StageVariables map[string]string
	// BinaryMediaTypes (Api only), with SAM's "~1" turned into "/".
	BinaryMediaTypes []string
	// Cors is Cors (Api) or CorsConfiguration (HttpApi); nil for none.
	Cors *apispec.CORS
}

// API returns the API with that logical id.
func (t *Template) API(id string) (*API, bool) {
	for _, a := range t.APIs {
		if a.LogicalID == id {
			return a, true
		}
	}
	return nil, false
}

type (
	// These have goformation's fields without its UnmarshalJSON, which
	// expects the Type/Properties envelope.
	apiEventProperties     serverless.Function_ApiEvent
	httpAPIEventProperties serverless.Function_HttpApiEvent
	apiProperties          serverless.Api
	httpAPIProperties      serverless.HttpApi
)

// parseEvents reads the Api and HttpApi events of a function's resolved
// Properties, sorted by name.
func parseEvents(props json.RawMessage, warn func(string)) ([]Event, error) {
	if len(props) == 0 {
		return nil, nil
	}
	var p struct {
		Events map[string]struct {
			Type       string
			Properties json.RawMessage
		}
	}
	if err := json.Unmarshal(props, &p); err != nil {
		// A malformed Events is goformation's to report; fresco reads only
		// well-formed ones.
		warn("Events ignored: " + err.Error())
		return nil, nil
	}
	var out []Event
	for _, name := range slices.Sorted(maps.Keys(p.Events)) {
		raw := p.Events[name]
		if _, ok := eventKinds[raw.Type]; !ok {
			continue
		}
		ev, err := parseEvent(name, raw.Type, raw.Properties, warn)
		if err != nil {
			return nil, fmt.Errorf("event %s (%s): %w", name, raw.Type, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

func parseEvent(name, typ string, props json.RawMessage, warn func(string)) (Event, error) {
	ev := Event{Name: name, Type: eventKinds[typ]}
	var members map[string]json.RawMessage
	if len(bytes.TrimSpace(props)) > 0 && string(bytes.TrimSpace(props)) != "null" {
		if err := json.Unmarshal(props, &members); err != nil {
			return ev, fmt.Errorf("Properties: %w", err)
		}
	}
	decode := func(dst any) error {
		if members == nil {
			return nil
		}
		ignored, err := decodeProperties(props, dst)
		for _, msg := range ignored {
			warn("event " + name + ": " + msg)
		}
		return err
	}
	var method, path string
	switch typ {
	case EventTypeAPI:
		var p apiEventProperties
		if err := decode(&p); err != nil {
			return ev, err
		}
		method, path = p.Method, p.Path
		if path == "" || method == "" {
			return ev, errors.New("Path and Method are required")
		}
		api, err := apiRef(members, "RestApiId", p.RestApiId, ImplicitRestAPI)
		if err != nil {
			return ev, err
		}
		ev.API, ev.PayloadFormat = api, apispec.PayloadV1
	case EventTypeHTTPAPI:
		var p httpAPIEventProperties
		if err := decode(&p); err != nil {
			return ev, err
		}
		method, path = firstString(p.Method), firstString(p.Path)
		switch {
		case path == "" && method == "":
			// SAM's catch-all: no Path and no Method is the $default route.
			method, path = apispec.MethodAny, apispec.DefaultRoute
		case path == "" || method == "":
			return ev, errors.New("Path and Method go together: set both, or neither for the $default route")
		}
		api, err := apiRef(members, "ApiId", p.ApiId, ImplicitHTTPAPI)
		if err != nil {
			return ev, err
		}
		ev.API = api
		ev.PayloadFormat = apispec.PayloadV2
		if v := firstString(p.PayloadFormatVersion); v != "" {
			pf, err := apispec.ParsePayloadFormat(v)
			if err != nil {
				return ev, fmt.Errorf("PayloadFormatVersion %q: want 1.0 or 2.0", v)
			}
			ev.PayloadFormat = pf
		}
	}
	route, err := apispec.ParseRoute(ev.Type, method, path)
	if err != nil {
		return ev, err
	}
	ev.Route = route
	return ev, nil
}

// apiRef is the API an event names in its key (RestApiId, ApiId), or the
// implicit one when it names none. A reference that resolved to nothing
// (a Ref to a missing resource, a GetAtt) is an error rather than the
// implicit API.
func apiRef(members map[string]json.RawMessage, key string, decoded *string, implicit string) (string, error) {
	raw, ok := members[key]
	if !ok {
		return implicit, nil
	}
	if decoded == nil || *decoded == "" {
		return "", fmt.Errorf("%s %s does not name a resource of the template (use !Ref to an API)", key, strings.TrimSpace(string(raw)))
	}
	return *decoded, nil
}

// resolveAPIs builds t.APIs: the template's API resources and the implicit
// APIs its functions' events use, with Globals merged; and checks that every
// event names an API of its kind.
func (t *Template) resolveAPIs(globals, resources map[string]json.RawMessage) error {
	var g apiGlobals
	if raw, ok := globals["Api"]; ok {
		if err := t.decodeAPIProps("Globals.Api", raw, &g.rest); err != nil {
			return err
		}
	}
	if raw, ok := globals["HttpApi"]; ok {
		if err := t.decodeAPIProps("Globals.HttpApi", raw, &g.http); err != nil {
			return err
		}
	}
	types, err := t.declaredAPIs(&g, resources)
	if err != nil {
		return err
	}
	implicitREST, implicitHTTP, err := t.checkEventAPIs(types)
	if err != nil {
		return err
	}
	if implicitREST {
		a, err := g.restAPI(ImplicitRestAPI, true, &apiProperties{})
		if err != nil {
			return err
		}
		t.APIs = append(t.APIs, a)
	}
	if implicitHTTP {
		a, err := g.httpAPI(ImplicitHTTPAPI, true, &httpAPIProperties{})
		if err != nil {
			return err
		}
		t.APIs = append(t.APIs, a)
	}
	return nil
}

// apiGlobals are Globals.Api and Globals.HttpApi, which every API of their
// kind inherits.
type apiGlobals struct {
	rest global.Api
	http global.HttpApi
}

// restAPI is the REST API id with properties p, Globals.Api merged.
func (g *apiGlobals) restAPI(id string, implicit bool, p *apiProperties) (*API, error) {
	a := &API{LogicalID: id, Type: apispec.RESTAPI, Implicit: implicit, StageName: p.StageName}
	if a.StageName == "" {
		a.StageName = ImplicitRestStage
	}
	a.StageVariables = p.Variables
	if a.StageVariables == nil && g.rest.Variables != nil {
		a.StageVariables = *g.rest.Variables
	}
	types := p.BinaryMediaTypes
	if types == nil && g.rest.BinaryMediaTypes != nil {
		types = *g.rest.BinaryMediaTypes
	}
	for _, mt := range types {
		a.BinaryMediaTypes = append(a.BinaryMediaTypes, strings.ReplaceAll(mt, "~1", "/"))
	}
	cors := p.Cors
	if cors == nil {
		cors = g.rest.Cors
	}
	var err error
	if a.Cors, err = restCORS(cors); err != nil {
		return nil, fmt.Errorf("API %s: Cors: %w", id, err)
	}
	return a, nil
}

// httpAPI is the HTTP API id with properties p, Globals.HttpApi merged.
func (g *apiGlobals) httpAPI(id string, implicit bool, p *httpAPIProperties) (*API, error) {
	a := &API{LogicalID: id, Type: apispec.HTTPAPI, Implicit: implicit, StageName: firstString(p.StageName)}
	if a.StageName == "" {
		a.StageName = ImplicitHTTPStage
	}
	a.StageVariables = p.StageVariables
	if a.StageVariables == nil && g.http.StageVariables != nil {
		a.StageVariables = *g.http.StageVariables
	}
	cors := p.CorsConfiguration
	if cors == nil {
		cors = g.http.CorsConfiguration
	}
	var err error
	if a.Cors, err = httpCORS(cors); err != nil {
		return nil, fmt.Errorf("API %s: CorsConfiguration: %w", id, err)
	}
	return a, nil
}

// declaredAPIs adds the template's AWS::Serverless::Api and HttpApi
// resources to t.APIs, and returns the type of every resource by id.
func (t *Template) declaredAPIs(g *apiGlobals, resources map[string]json.RawMessage) (map[string]string, error) {
	types := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		var head struct {
			Type       string
			Properties json.RawMessage
		}
		if err := json.Unmarshal(resources[id], &head); err != nil {
			continue // parseTemplate has reported it
		}
		types[id] = head.Type
		var a *API
		var err error
		switch head.Type {
		case serverlessAPIType:
			var p apiProperties
			if err = t.decodeAPIProps("API "+id, head.Properties, &p); err == nil {
				a, err = g.restAPI(id, false, &p)
				t.warnDefinition(id, p.DefinitionBody != nil || p.DefinitionUri != nil)
			}
		case serverlessHTTPAPIType:
			var p httpAPIProperties
			if err = t.decodeAPIProps("API "+id, head.Properties, &p); err == nil {
				a, err = g.httpAPI(id, false, &p)
				t.warnDefinition(id, p.DefinitionBody != nil || p.DefinitionUri != nil)
			}
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		t.APIs = append(t.APIs, a)
	}
	return types, nil
}

// checkEventAPIs checks that every event names an API of its kind, and
// tells whether SAM's implicit APIs are used.
func (t *Template) checkEventAPIs(types map[string]string) (implicitREST, implicitHTTP bool, err error) {
	for _, f := range t.Functions {
		for _, ev := range f.Events {
			want := serverlessAPIType
			if ev.Type == apispec.HTTPAPI {
				want = serverlessHTTPAPIType
			}
			switch {
			case ev.API == ImplicitRestAPI && ev.Type == apispec.RESTAPI && types[ev.API] == "":
				implicitREST = true
			case ev.API == ImplicitHTTPAPI && ev.Type == apispec.HTTPAPI && types[ev.API] == "":
				implicitHTTP = true
			case types[ev.API] != want:
				return false, false, &TemplateError{LogicalID: f.LogicalID, Err: fmt.Errorf("event %s: %s is not an %s of the template", ev.Name, ev.API, want)}
			}
		}
	}
	return implicitREST, implicitHTTP, nil
}

// decodeAPIProps decodes an API's properties (or Globals section) with
// decodeProperties, its ignored properties becoming warnings.
func (t *Template) decodeAPIProps(where string, raw json.RawMessage, dst any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	ignored, err := decodeProperties(raw, dst)
	for _, msg := range ignored {
		t.Warnings = append(t.Warnings, where+": "+msg)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

func (t *Template) warnDefinition(id string, has bool) {
	if has {
		t.Warnings = append(t.Warnings, fmt.Sprintf("API %s: routes of DefinitionBody and DefinitionUri are not served, only the functions' Api and HttpApi events", id))
	}
}

// restCORS reads a REST API's Cors: an origin ("'*'") or a
// CorsConfiguration whose values are header values in single quotes, as
// API Gateway's mock integration takes them.
func restCORS(c *serverless.Api_Cors) (*apispec.CORS, error) {
	if c == nil {
		return nil, nil
	}
	if c.String != nil {
		return &apispec.CORS{AllowOrigins: []string{unquote(*c.String)}}, nil
	}
	cc := c.CorsConfiguration
	if cc == nil {
		return nil, errors.New("want an origin such as \"'*'\" or an object of AllowOrigin, AllowMethods, AllowHeaders, MaxAge (strings) and AllowCredentials")
	}
	if unquote(cc.AllowOrigin) == "" {
		return nil, errors.New("AllowOrigin is required")
	}
	out := &apispec.CORS{
		AllowOrigins: []string{unquote(cc.AllowOrigin)},
		AllowMethods: splitList(firstString(cc.AllowMethods)),
		AllowHeaders: splitList(firstString(cc.AllowHeaders)),
	}
	if cc.MaxAge != nil {
		n, err := strconv.Atoi(unquote(*cc.MaxAge))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("MaxAge %s: want a number of seconds", *cc.MaxAge)
		}
		out.MaxAge = &n
	}
	if cc.AllowCredentials != nil {
		out.AllowCredentials = *cc.AllowCredentials
	}
	return out, nil
}

// httpCORS reads an HTTP API's CorsConfiguration: true (every origin) or
// an object of lists.
func httpCORS(c *serverless.HttpApi_CorsConfiguration) (*apispec.CORS, error) {
	if c == nil {
		return nil, nil
	}
	if c.Boolean != nil {
		if !*c.Boolean {
			return nil, nil
		}
		return &apispec.CORS{AllowOrigins: []string{"*"}}, nil
	}
	cc := c.CorsConfigurationObject
	if cc == nil {
		return nil, errors.New("want true or an object of AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders (lists), MaxAge (a number) and AllowCredentials")
	}
	out := &apispec.CORS{
		AllowOrigins:  cc.AllowOrigins,
		AllowMethods:  cc.AllowMethods,
		AllowHeaders:  cc.AllowHeaders,
		ExposeHeaders: cc.ExposeHeaders,
		MaxAge:        cc.MaxAge,
	}
	if cc.AllowCredentials != nil {
		out.AllowCredentials = *cc.AllowCredentials
	}
	for _, o := range out.AllowOrigins {
		if o == "*" && out.AllowCredentials {
			return nil, errors.New("AllowCredentials cannot be true when AllowOrigins has *")
		}
	}
	return out, nil
}

// unquote removes the single quotes of an API Gateway header value
// ("'*'").
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1]
	}
	return s
}

// splitList splits a quoted, comma-separated header value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(unquote(s), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
