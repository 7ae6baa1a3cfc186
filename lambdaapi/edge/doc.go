// Package edge is the HTTP plumbing that fresco's front doors (invokeapi,
// runtimeapi, apigw) share, written once: a request id per request
// ([WithRequestID]), one access-log line per request with constant keys and
// attributes the handler adds through the request's [State] ([AccessLog]),
// panic recovery with a render function per surface ([Recover],
// [Recoverer]), a bounded read of a request body that drains an oversized
// one before the answer ([ReadLimited]), a JSON answer ([WriteJSON]), and
// the header names more than one surface uses. Each surface keeps its own
// error renderer (three wire formats) over WriteJSON.
//
// edge knows no protocol: it imports net/http, chi's middleware and
// internal/invoke (for request ids), and nothing of wazero, wasmhost,
// emulator or the other lambdaapi packages.
package edge
