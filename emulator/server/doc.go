// Package server runs fresco as a server: it binds the Invoke API's and API
// Gateway's listeners (before anything is built, so that a port in use is
// reported at once), starts the emulator, serves until its context is
// done, then shuts down gracefully: in-flight requests and invocations
// (synchronous and Event) finish first.
package server
