//go:build !wasip1

package guest

// Serve is only meaningful inside a fresco sandbox (GOOS=wasip1).
func Serve(h Handler) { panic("guest.Serve: not built for GOOS=wasip1") }

// InitError is only meaningful inside a fresco sandbox (GOOS=wasip1).
func InitError(errType string, body []byte) { panic("guest.InitError: not built for GOOS=wasip1") }

// OnSnapshot is only meaningful inside a fresco sandbox (GOOS=wasip1).
func OnSnapshot(f func()) {}

// ServeUnread is only meaningful inside a fresco sandbox (GOOS=wasip1).
func ServeUnread(h Handler) { panic("guest.ServeUnread: not built for GOOS=wasip1") }

// StreamStart is only meaningful inside a fresco sandbox (GOOS=wasip1).
func StreamStart(contentType string) error { return ErrNotInInvocation }

// StreamWrite is only meaningful inside a fresco sandbox (GOOS=wasip1).
func StreamWrite(p []byte) error { return ErrNotInInvocation }
