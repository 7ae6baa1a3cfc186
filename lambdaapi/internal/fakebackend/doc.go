// Package fakebackend is a hand-written invoke.Backend for the front doors'
// tests (the Invoke API's and API Gateway's): functions by name, each with
// the qualifiers it answers to and what its invocations do.
//
// It is for tests only; it imports internal/invoke alone.
package fakebackend
