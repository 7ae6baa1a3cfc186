//go:build wasip1

package cache

import (
	"time"
	"unsafe"

	"github.com/frescolabs/fresco/adapters/buffers"
)

//go:wasmimport fresco_cache cache_get
func cacheGet(key unsafe.Pointer, keyLen int32) int32

//go:wasmimport fresco_cache cache_set
func cacheSet(key unsafe.Pointer, keyLen int32, val unsafe.Pointer, valLen int32, ttlMs int64) int32

//go:wasmimport fresco_cache cache_set_buffer
func cacheSetBuffer(key unsafe.Pointer, keyLen int32, h int32, ttlMs int64) int32

//go:wasmimport fresco_cache cache_delete
func cacheDelete(key unsafe.Pointer, keyLen int32) int32

func str(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

func errno(e int32) error {
	if e == 0 {
		return nil
	}
	return buffers.Errno(e)
}

// GetBuffer returns the value of key as a host-side buffer, which the
// handler can post or store elsewhere without reading it; false on a
// miss.
func GetBuffer(key string) (buffers.Buffer, bool, error) {
	h, err := buffers.Check(cacheGet(str(key), int32(len(key))))
	if err != nil || h == 0 {
		return buffers.Buffer{}, false, err
	}
	return buffers.FromHandle(h), true, nil
}

// Set stores value under key for ttl.
func Set(key string, value []byte, ttl time.Duration) error {
	var p unsafe.Pointer
	if len(value) > 0 {
		p = unsafe.Pointer(&value[0])
	}
	return errno(cacheSet(str(key), int32(len(key)), p, int32(len(value)), ttlMillis(ttl)))
}

// SetBuffer stores the buffer's bytes under key for ttl, without them
// passing through guest memory.
func SetBuffer(key string, b buffers.Buffer, ttl time.Duration) error {
	return errno(cacheSetBuffer(str(key), int32(len(key)), b.Handle(), ttlMillis(ttl)))
}

// Delete removes key.
func Delete(key string) error { return errno(cacheDelete(str(key), int32(len(key)))) }
