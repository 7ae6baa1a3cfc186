package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frescolabs/fresco/internal/redisclient"
)

// redisCache is a Redis server, for a cache shared by many hosts.
type redisCache struct {
	c    *redis.Client
	addr string
}

// NewRedis returns a cache on the Redis server the URL names
// (redis://HOST:PORT/DB). The connection pool is the host's, shared by
// every invocation; no connection is made until the first call. Calls end
// at the invocation's deadline (the context's), and a failure reaches the
// guest as UNAVAILABLE for its call.
func NewRedis(rawURL string) (Cache, error) {
	c, addr, err := redisclient.New(rawURL)
	if err != nil {
		return nil, fmt.Errorf("cache %q: %w", rawURL, err)
	}
	return &redisCache{c: c, addr: addr}, nil
}

func (r *redisCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := r.c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func (r *redisCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return r.c.Set(ctx, key, value, ttl).Err()
}

func (r *redisCache) Delete(ctx context.Context, key string) error {
	return r.c.Del(ctx, key).Err()
}

func (r *redisCache) Close() error { return r.c.Close() }

func (r *redisCache) String() string { return "redis " + r.addr }
