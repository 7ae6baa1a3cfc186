package apigw

// The wire contract of API Gateway's Lambda proxy integrations (REST APIs and
// HTTP APIs), in one place.

import "github.com/frescolabs/fresco/internal/invoke"

// Answers API Gateway gives on its own account, with their bodies.
const (
	msgMissingToken   = `{"message":"Missing Authentication Token"}`
	msgNotFound       = `{"message":"Not Found"}`
	msgInternalServer = `{"message":"Internal server error"}`
	msgTooLarge       = `{"message":"Request Entity Too Large"}`
	msgForbidden      = `{"message":"Forbidden"}`
	msgBadRequest     = `{"message":"Bad Request"}`

	// errorTypeMissingToken and errorTypeInternal are the x-amzn-ErrorType
	// of a REST API's own errors.
	errorTypeMissingToken = "MissingAuthenticationTokenException"
	errorTypeInternal     = "InternalServerErrorException"
	errorTypeTooLarge     = "RequestTooLargeException"
	errorTypeForbidden    = "ForbiddenException"
	errorTypeBadRequest   = "BadRequestException"
)

// Request and response headers API Gateway adds.
const (
	headerForwardedFor   = "X-Forwarded-For"
	headerForwardedPort  = "X-Forwarded-Port"
	headerForwardedProto = "X-Forwarded-Proto"
	headerHTTPAPIRequest = "Apigw-Requestid" // HTTP APIs answer with apigw-requestid
	headerSetCookie      = "Set-Cookie"
	headerCookie         = "Cookie"
	headerOrigin         = "Origin"
	headerRequestMethod  = "Access-Control-Request-Method"
	headerAllowOrigin    = "Access-Control-Allow-Origin"
	headerAllowMethods   = "Access-Control-Allow-Methods"
	headerAllowHeaders   = "Access-Control-Allow-Headers"
	headerExposeHeaders  = "Access-Control-Expose-Headers"
	headerMaxAge         = "Access-Control-Max-Age"
	headerAllowCreds     = "Access-Control-Allow-Credentials"
)

// requestTimeLayout is the requestContext's requestTime (REST) and time
// (HTTP API): "09/Apr/2015:12:34:56 +0000".
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// maxAPIRequest bounds a request's body. The event that carries it must fit
// in a synchronous invocation, so a larger body could never reach the
// function (API Gateway's own limit, 10 MB, is above Lambda's).
const maxAPIRequest = invoke.MaxSyncRequest

// allMethods is what Access-Control-Allow-Methods lists for a REST
// resource with an ANY method (SAM's generated preflight does the same).
const allMethods = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"

// proxyV1ResponseKeys are the members a REST API accepts in a proxy
// response; any other member makes the response malformed.
var proxyV1ResponseKeys = map[string]bool{
	"statusCode": true, "headers": true, "multiValueHeaders": true, "body": true, "isBase64Encoded": true,
}

// httpAPITextTypes are the media types whose bodies an HTTP API passes as
// text; every other body (no Content-Type included) is base64-encoded.
var httpAPITextTypes = map[string]bool{
	"application/json": true, "application/xml": true, "application/javascript": true,
}
