// Package server runs fresco as a server: it binds the Invoke API's, API
// Gateway's and the admin listener's addresses (before anything is built,
// so that a port in use is reported at once), starts the emulator, serves
// until its context is done, then drains: /readyz answers 503, the
// listeners stop accepting, in-flight requests and invocations (synchronous
// and Event) finish within the drain timeout, and Event invocations not
// yet started stay in the durable queue.
//
// The admin listener serves /healthz, /readyz and /metrics (Prometheus):
// invocations as the Invoker observes them, HTTP requests per surface as
// the edge counts them, and what wasmhost and the process pools count, read
// at scrape time. The Invoke API is behind SigV4 when credentials are
// configured, and is refused beyond loopback without them unless told
// otherwise; the Invoke API and API Gateway serve TLS when given a
// certificate.
package server
