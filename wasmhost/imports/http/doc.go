// Package http is the fresco_http host module (docs/abi.md, "Outbound
// HTTP"): a guest sends HTTP requests through the host and reads their
// responses in chunks through handles, and invokes sibling functions
// without an HTTP hop.
//
// The expensive parts live in the host and are shared: one Client per
// wasmhost.Host holds the pooled transport (keep-alive connections, HTTP/2
// where a server offers it, a TLS session cache, a small DNS cache) that
// all invocations of all functions use. The Client also enforces the egress
// policy (a server-wide allow-list, each function's own, and the refusal
// of the cloud instance-metadata addresses, checked on the resolved IP in
// the dialer), and re-signs requests to AWS endpoints with the host's
// credentials (SigV4), so that guests hold only placeholders.
//
// Everything a guest opens is the invocation's: handles are numbered per
// invocation, bounded in number and in the bytes the host holds for them
// (counted against the function's memory), bounded by the invocation's
// deadline, and closed when it ends (abi.Invocation.OnEnd). No call
// changes the instance's own state, so none keeps it from being reset to
// its snapshot image.
//
// It is the one package of wasmhost that imports net/http, as a client:
// the sandbox still serves no HTTP.
package http
