// Package queuetest is the conformance suite every functions.Queue passes:
// the in-memory one, the bbolt file, and the shared engines to come. It is
// for tests only.
package queuetest
