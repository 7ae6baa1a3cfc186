// Package buffers is the Go binding of fresco's host-side data buffers
// (docs/abi.md, "Buffers"): handles to bytes the host holds, such as the
// event or a cache value, which a handler can pass to another host call
// (adapters/cache.SetBuffer) or post as its response (Respond) without
// reading them into its memory. "Use a buffer when you only pass a body
// through."
//
// A handle lives until Release or the end of the invocation, whichever
// comes first; an invocation holds at most 1,024 at once, and what they
// hold counts against the function's memory. Outside GOOS=wasip1 every
// call returns ErrNoHost.
package buffers

import (
	"errors"
	"fmt"
)

// Buffer is a handle to bytes the host holds. The zero Buffer is none.
type Buffer struct{ h int32 }

// Handle is the buffer's handle, as the ABI passes it.
func (b Buffer) Handle() int32 { return b.h }

// FromHandle is the Buffer of a handle another binding got from the host.
func FromHandle(h int32) Buffer { return Buffer{h} }

// Errno is an error the host answered a call with (docs/abi.md).
type Errno int32

// The errnos of the buffer and cache calls.
const (
	ErrAlreadySent     Errno = 1
	ErrTooLarge        Errno = 2
	ErrNotInInvocation Errno = 3
	ErrBadHandle       Errno = 8
	ErrNoMemory        Errno = 9
	ErrTooMany         Errno = 10
	ErrUnavailable     Errno = 11
	ErrTimeout         Errno = 12
	ErrInvalid         Errno = 13
)

var errnoText = map[Errno]string{
	ErrAlreadySent:     "a response or error was already posted",
	ErrTooLarge:        "too large",
	ErrNotInInvocation: "not in an invocation (called during init)",
	ErrBadHandle:       "no such buffer",
	ErrNoMemory:        "the function's memory is full",
	ErrTooMany:         "too many buffers held",
	ErrUnavailable:     "the cache is unavailable",
	ErrTimeout:         "the invocation's deadline passed",
	ErrInvalid:         "invalid argument",
}

func (e Errno) Error() string {
	if s, ok := errnoText[e]; ok {
		return "fresco: " + s
	}
	return fmt.Sprintf("fresco: errno %d", int32(e))
}

// ErrNoHost is returned outside a fresco sandbox (not GOOS=wasip1).
var ErrNoHost = errors.New("fresco buffers: not built for GOOS=wasip1")

// Check turns a call's result into a handle or an error: a negative
// result is -errno.
func Check(r int32) (int32, error) {
	if r < 0 {
		return 0, Errno(-r)
	}
	return r, nil
}

// errnoErr is nil for errno 0.
func errnoErr(e int32) error {
	if e == 0 {
		return nil
	}
	return Errno(e)
}

// Bytes reads the whole buffer into memory.
func (b Buffer) Bytes() ([]byte, error) {
	n, err := b.Size()
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	got, err := b.ReadAt(out, 0)
	return out[:got], err
}
