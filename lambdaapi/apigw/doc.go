// Package apigw serves a template's Api (REST, payload 1.0) and HttpApi
// (payload 2.0, or 1.0 on request) events as sam local start-api does
// ([NewAPIGatewayHandler]): it routes requests to functions through the
// core's invoke.Backend, as the Invoke API does, turns them into aws-lambda-go events and the
// functions' answers back into HTTP, with CORS, binary bodies and API
// Gateway's error answers; NewAPIGatewayHandler's doc comment lists the
// behaviour in full. [BuildEvent] is the same event builder for one
// request, which fresco generate-event uses for its samples.
//
// The APIs come as apispec values, validated there; apigw rejects only what
// is wrong across routes (one declared twice) or with the payload format.
//
// apigw imports lambdaapi/edge, lambdaapi/apispec and internal/invoke; no
// wazero, wasmhost or emulator (tests excepted).
//
// See the repository's RATIONALE.md ("API Gateway") for why each choice was
// made.
package apigw
