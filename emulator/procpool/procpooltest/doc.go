// Package procpooltest serves a procpool.Queue over the Runtime API for
// tests: the queue's own tests and the Runtime API handler's.
//
// It is for tests only.
package procpooltest
