//go:build wasip1

package buffers

import (
	"io"
	"unsafe"
)

//go:wasmimport fresco_buffers buffer_event
func bufferEvent() int32

//go:wasmimport fresco_buffers buffer_create
func bufferCreate(buf unsafe.Pointer, n int32) int32

//go:wasmimport fresco_buffers buffer_size
func bufferSize(h int32) int32

//go:wasmimport fresco_buffers buffer_read
func bufferRead(h int32, off int32, buf unsafe.Pointer, n int32) int32

//go:wasmimport fresco_buffers buffer_release
func bufferRelease(h int32) int32

//go:wasmimport fresco_buffers buffer_respond
func bufferRespond(h int32) int32

// Event returns the invocation's event as a buffer: the host's copy,
// which costs the guest no memory.
func Event() (Buffer, error) {
	h, err := Check(bufferEvent())
	return Buffer{h}, err
}

// New copies b into a new host-side buffer.
func New(b []byte) (Buffer, error) {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	h, err := Check(bufferCreate(p, int32(len(b))))
	return Buffer{h}, err
}

// Size is the buffer's length.
func (b Buffer) Size() (int, error) {
	n, err := Check(bufferSize(b.h))
	return int(n), err
}

// ReadAt implements io.ReaderAt over the buffer.
func (b Buffer) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > 1<<31-1 {
		return 0, ErrInvalid
	}
	total := 0
	for total < len(p) {
		n, err := Check(bufferRead(b.h, int32(off)+int32(total), unsafe.Pointer(&p[total]), int32(len(p)-total)))
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, io.EOF
		}
		total += int(n)
	}
	return total, nil
}

// Release gives the buffer back to the host.
func (b Buffer) Release() error { return errnoErr(bufferRelease(b.h)) }

// Respond posts the buffer as the invocation's response, without copying
// it into guest memory. The handler's own return value is then ignored
// (the first answer posted stands).
func (b Buffer) Respond() error { return errnoErr(bufferRespond(b.h)) }
