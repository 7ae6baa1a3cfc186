// Package apispec is the vocabulary of API Gateway API definitions: an
// [API], its [Route]s, [CORS], the [APIKind] and the [PayloadFormat], and
// route keys. [ParseRoute] validates a route's method and path as API
// Gateway would and returns a [RouteKey], the one validated form every
// consumer takes as it is: the SAM parser (emulator) makes the keys, and
// apigw serves them without validating again.
//
// apispec is a leaf: it imports no net/http (so that the SAM parser imports
// no HTTP package) and nothing of the project.
package apispec
