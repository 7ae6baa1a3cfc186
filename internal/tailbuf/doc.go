// Package tailbuf keeps the tail of an unbounded stream: the log of one
// invocation, whose writer (a guest, a runtime process) is untrusted and
// must not grow the host's memory.
//
// It imports nothing of the project.
package tailbuf
