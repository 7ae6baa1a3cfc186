// Package boltqueue is a durable functions.Queue in one bbolt file: an
// Event invocation that got its 202 is on disk, synced, and runs after a
// crash or a kill -9 when fresco starts again.
//
// bbolt (go.etcd.io/bbolt) is an embedded, pure-Go B+tree with ACID
// transactions and an fsync per commit, in a single file that a second
// process cannot open while the first holds it (RATIONALE.md says why it
// was chosen). It imports nothing of the project but emulator/functions.
package boltqueue
