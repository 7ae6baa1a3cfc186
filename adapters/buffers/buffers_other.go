//go:build !wasip1

package buffers

// Event is only meaningful inside a fresco sandbox (GOOS=wasip1).
func Event() (Buffer, error) { return Buffer{}, ErrNoHost }

// New is only meaningful inside a fresco sandbox (GOOS=wasip1).
func New(b []byte) (Buffer, error) { return Buffer{}, ErrNoHost }

// Size is only meaningful inside a fresco sandbox (GOOS=wasip1).
func (b Buffer) Size() (int, error) { return 0, ErrNoHost }

// ReadAt is only meaningful inside a fresco sandbox (GOOS=wasip1).
func (b Buffer) ReadAt(p []byte, off int64) (int, error) { return 0, ErrNoHost }

// Release is only meaningful inside a fresco sandbox (GOOS=wasip1).
func (b Buffer) Release() error { return ErrNoHost }

// Respond is only meaningful inside a fresco sandbox (GOOS=wasip1).
func (b Buffer) Respond() error { return ErrNoHost }
