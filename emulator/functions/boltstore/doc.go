// Package boltstore is a functions.Store in a bbolt file: the functions
// uploaded through the management API, with their versions, aliases, tags
// and concurrency, kept across restarts and kills. Every change is one
// bbolt transaction, on disk (fsynced) when the method returns, so that
// what the API acknowledged survives a kill -9.
package boltstore
