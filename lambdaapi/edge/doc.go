// Package edge is the HTTP plumbing that fresco's front doors (invokeapi,
// runtimeapi, apigw) share, written once: a request id per request
// ([WithRequestID]), one access-log line per request with constant keys and
// attributes the handler adds through the request's [State] ([AccessLog]),
// panic recovery with a render function per surface ([Recover],
// [Recoverer]), a bounded read of a request body that drains an oversized
// one before the answer ([ReadLimited]) and, past the drain, after it
// ([AnswerUnread]), a JSON answer ([WriteJSON]), and the header names more
// than one surface uses. Each surface keeps its own error renderer (three
// wire formats) over WriteJSON.
//
// It also guards the servers: [HostGuard] refuses a Host that is not the
// server's and, where asked, browser requests from another origin;
// [LimitURL] bounds the URL; [Listener] replaces the answers net/http gives
// on its own to requests it cannot read. Their refusals are rendered by the
// surface's [Refuse].
//
// [SigV4] authenticates a request signed with AWS Signature Version 4
// against configured [Credentials] (read from an aws CLI credentials file
// by [LoadCredentials]), recomputing the signature with aws-sdk-go-v2's
// signer; the Invoke API mounts it, API Gateway and the Runtime API never
// do. [RequestMetrics] tells the server of every request and its status,
// for its metrics, without this package importing a metrics library.
//
// edge knows no protocol: it imports net/http, chi's middleware,
// aws-sdk-go-v2's signer and internal/invoke (for request ids), and nothing
// of wazero, wasmhost, emulator or the other lambdaapi packages.
package edge
