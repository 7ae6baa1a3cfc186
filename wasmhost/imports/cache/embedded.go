package cache

import (
	"context"
	"fmt"
	"time"

	"github.com/maypok86/otter/v2"
)

// entryOverhead is what an embedded entry costs beside its key and value:
// otter's node and the map's slot, rounded up.
const entryOverhead = 128

// embedded is the in-process cache: otter's, bounded by the bytes of its
// keys and values, with an expiry per entry.
type embedded struct {
	c     *otter.Cache[string, entry]
	bytes int64
}

type entry struct {
	value []byte
	ttl   time.Duration
}

// NewEmbedded returns an in-process cache of at most maxBytes (keys,
// values and a per-entry overhead); past it, otter evicts the entries
// least likely to be used again.
func NewEmbedded(maxBytes int64) (Cache, error) {
	c, err := otter.New(&otter.Options[string, entry]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(k string, e entry) uint32 {
			return uint32(len(k) + len(e.value) + entryOverhead)
		},
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, entry]) time.Duration {
			return e.Value.ttl
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded cache: %w", err)
	}
	return &embedded{c: c, bytes: maxBytes}, nil
}

func (e *embedded) Get(_ context.Context, key string) ([]byte, bool, error) {
	v, ok := e.c.GetIfPresent(key)
	return v.value, ok, nil
}

// cleanAbove is the value size past which a Set runs otter's pending
// maintenance at once: otter applies evictions in batches, and a batch of
// large values would hold the cache well past its bound until the next.
const cleanAbove = 16 << 10

func (e *embedded) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	e.c.Set(key, entry{value: value, ttl: ttl})
	if len(value) >= cleanAbove {
		e.c.CleanUp()
	}
	return nil
}

func (e *embedded) Delete(_ context.Context, key string) error {
	e.c.Invalidate(key)
	return nil
}

func (e *embedded) Close() error {
	e.c.InvalidateAll()
	return nil
}

func (e *embedded) String() string { return fmt.Sprintf("embedded (%d MB)", e.bytes>>20) }
