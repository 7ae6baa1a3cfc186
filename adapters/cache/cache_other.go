//go:build !wasip1

package cache

import (
	"time"

	"github.com/frescolabs/fresco/adapters/buffers"
)

// GetBuffer is only meaningful inside a fresco sandbox (GOOS=wasip1).
func GetBuffer(key string) (buffers.Buffer, bool, error) {
	return buffers.Buffer{}, false, buffers.ErrNoHost
}

// Set is only meaningful inside a fresco sandbox (GOOS=wasip1).
func Set(key string, value []byte, ttl time.Duration) error { return buffers.ErrNoHost }

// SetBuffer is only meaningful inside a fresco sandbox (GOOS=wasip1).
func SetBuffer(key string, b buffers.Buffer, ttl time.Duration) error { return buffers.ErrNoHost }

// Delete is only meaningful inside a fresco sandbox (GOOS=wasip1).
func Delete(key string) error { return buffers.ErrNoHost }
