package apispec

import (
	"fmt"
	"strconv"
)

// APIKind is the kind of an API Gateway API.
type APIKind int

const (
	// RESTAPI is a REST API (SAM's AWS::Serverless::Api, events of Type
	// Api): payload format 1.0, unknown routes answered 403.
	RESTAPI APIKind = iota + 1
	// HTTPAPI is an HTTP API (AWS::Serverless::HttpApi, events of Type
	// HttpApi): payload format 2.0 unless a route says 1.0, unknown routes
	// answered 404.
	HTTPAPI
)

func (k APIKind) String() string {
	switch k {
	case RESTAPI:
		return "REST"
	case HTTPAPI:
		return "HTTP"
	}
	return "APIKind(" + strconv.Itoa(int(k)) + ")"
}

// PayloadFormat is the payload format version of a Lambda proxy
// integration. The zero value is the API's default: 1.0 for a REST API,
// 2.0 for an HTTP API.
type PayloadFormat int

const (
	PayloadDefault PayloadFormat = iota
	PayloadV1
	PayloadV2
)

// String is the version as templates and events spell it: "1.0", "2.0",
// or "" for the default.
func (p PayloadFormat) String() string {
	switch p {
	case PayloadDefault:
		return ""
	case PayloadV1:
		return "1.0"
	case PayloadV2:
		return "2.0"
	}
	return "PayloadFormat(" + strconv.Itoa(int(p)) + ")"
}

// ParsePayloadFormat reads a PayloadFormatVersion: "1.0" or "2.0", or ""
// for the default.
func ParsePayloadFormat(s string) (PayloadFormat, error) {
	switch s {
	case "":
		return PayloadDefault, nil
	case "1.0":
		return PayloadV1, nil
	case "2.0":
		return PayloadV2, nil
	}
	return 0, fmt.Errorf("payload format %q: want 1.0 or 2.0", s)
}

// Route keys and methods.
const (
	// DefaultRoute is the path of an HTTP API's catch-all route.
	DefaultRoute = "$default"
	// MethodAny matches every method a route does not name on its own.
	MethodAny = "ANY"
)

// API is one API Gateway API and its Lambda proxy routes.
type API struct {
	// Name identifies the API (the template's logical id); its hash gives
	// the apiId that events carry.
	Name string
	Kind APIKind
	// Stage is the stage name events carry ("Prod" for SAM's implicit REST
	// API, "$default" for its implicit HTTP API).
	Stage string
	// StageVariables are the stage's variables; nil for none.
	StageVariables map[string]string
	// BinaryMediaTypes (REST APIs) are the media types whose request bodies
	// reach the function base64-encoded: "image/png", "image/*", "*/*". An
	// HTTP API encodes every body that is not text, and ignores this.
	BinaryMediaTypes []string
	// CORS, when not nil, answers preflight requests (and, for HTTP APIs,
	// adds CORS headers to answers).
	CORS *CORS
	// Routes are the API's routes.
	Routes []Route
}

// Route is one route of an API to a function.
type Route struct {
	// Key is the route's method and path, as ParseRoute validated them.
	Key RouteKey
	// Function is the name the Backend looks up.
	Function string
	// PayloadFormat is the event's format (HTTP APIs; the default is 2.0).
	// REST APIs always use 1.0.
	PayloadFormat PayloadFormat
}

// CORS is an API's CORS configuration: SAM's Cors (REST) or
// CorsConfiguration (HTTP API), with the quotes of REST's header values
// removed.
type CORS struct {
	AllowOrigins  []string
	AllowMethods  []string // empty: for REST, the resource's own methods
	AllowHeaders  []string
	ExposeHeaders []string // HTTP APIs only
	// MaxAge is Access-Control-Max-Age in seconds; nil for none.
	MaxAge           *int
	AllowCredentials bool
}
