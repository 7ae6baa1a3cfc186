// Package storetest is the conformance suite of functions.Store: every
// implementation (MemStore, boltstore) runs it.
package storetest
