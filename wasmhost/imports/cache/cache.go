package cache

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Cache is the store behind the cache calls. Keys arrive namespaced
// (Key); values are never changed after Set, by the store or its caller.
type Cache interface {
	// Get returns the value of key, and false if it has none (or it
	// expired).
	Get(ctx context.Context, key string) ([]byte, bool, error)
	// Set stores value under key for ttl.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key; removing an absent key is no error.
	Delete(ctx context.Context, key string) error
	// Close releases the store's resources.
	Close() error
	// String describes the store for the log.
	String() string
}

// Bounds of the calls (docs/abi.md).
const (
	// MaxKey bounds a key, in bytes.
	MaxKey = 1024
	// MaxValue bounds a value: Lambda's synchronous payload, so that an
	// event can be cached whole.
	MaxValue = 6 << 20
	// MaxTTL bounds an entry's time to live.
	MaxTTL = 30 * 24 * time.Hour
)

// DefaultEmbeddedMB is the embedded cache's default size.
const DefaultEmbeddedMB = 64

// Key is the store's key for a function's key: the function's name (which
// a Lambda name keeps to letters, digits, '-' and '_') and a colon in
// front, so no two functions' keys meet.
func Key(function, key string) string { return "fresco:" + function + ":" + key }

// Open returns the store a --cache value names: "" for the embedded cache
// of embeddedMB (0: DefaultEmbeddedMB), or redis://HOST:PORT/DB (also
// rediss:// for TLS, and a user and password in the URL).
func Open(spec string, embeddedMB int) (Cache, error) {
	if spec == "" || spec == "memory" {
		if embeddedMB <= 0 {
			embeddedMB = DefaultEmbeddedMB
		}
		return NewEmbedded(int64(embeddedMB) << 20)
	}
	u, err := url.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("cache %q: %w", spec, err)
	}
	switch u.Scheme {
	case "redis", "rediss":
		return NewRedis(spec)
	}
	return nil, fmt.Errorf("cache %q: want redis://HOST:PORT/DB (or nothing, for the embedded cache)", spec)
}

// errDeadline: the call's deadline passed before the store answered.
var errDeadline = errors.New("deadline exceeded")
