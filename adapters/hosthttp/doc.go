// Package hosthttp sends a fresco function's HTTP requests through the
// host (the fresco_http module, docs/abi.md): Transport is an
// http.RoundTripper over it, and Install makes it http.DefaultTransport,
// so that http.Get, http.DefaultClient and every http.Client without a
// transport of its own go through the host's pooled, policed, signing
// client. fresco's adapters/lambda and the glue of unchanged aws-lambda-go
// handlers call Install before the handler's own init runs.
//
// Install also serves the Lambda endpoint the guest's environment names
// (AWS_ENDPOINT_URL_LAMBDA, fresco's own Invoke API) inside the guest's
// in-memory network, so that a Lambda client with a transport of its own
// reaches it. aws-sdk-go-v2's default HTTP client goes through the host
// without a change: fresco's build patches it (RATIONALE.md, "Unchanged
// handlers"); where it cannot, clients take the one option
// config.WithHTTPClient(Client()).
//
// Invoke invokes a sibling function directly, without an HTTP hop.
//
// Outside GOOS=wasip1 the package compiles, and every request fails with
// ErrNotInSandbox.
package hosthttp
