// Package cache is the Go binding of fresco's cache (docs/abi.md,
// "Cache"): a key-value store outside the sandbox, shared by every
// invocation of the function, with a TTL per entry. Keys are the
// function's own: another function's are out of reach. The store is the
// host's: in-process by default, or Redis (fresco start --cache
// redis://HOST:PORT/DB).
//
// Keys are 1 to 1,024 bytes, values at most 6 MB, TTLs 1 ms to 30 days;
// every call ends by the invocation's deadline. The calls work in the
// handler, not during init. Outside GOOS=wasip1 every call returns
// buffers.ErrNoHost.
package cache

import "time"

// Get returns the value of key, read into memory, and false on a miss.
func Get(key string) ([]byte, bool, error) {
	b, ok, err := GetBuffer(key)
	if err != nil || !ok {
		return nil, ok, err
	}
	defer b.Release()
	v, err := b.Bytes()
	return v, err == nil, err
}

// ttlMillis converts a TTL for the ABI; sub-millisecond TTLs round up.
func ttlMillis(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0 // refused by the host: ErrInvalid
	}
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}
