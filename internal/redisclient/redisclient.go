// Package redisclient makes the go-redis clients of fresco's host (the
// functions' cache, the shared Event queue) one way: from a
// redis://HOST:PORT/DB (or rediss://) URL, with calls bounded by their
// context's deadline rather than go-redis's own timeouts, and with
// go-redis's log lines dropped.
package redisclient

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// quiet drops go-redis's log lines (its pool's dial failures, printed to
// the process's stderr by default): every failure is returned to the
// caller, and the server's log is fresco's.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var setLogger sync.Once

// New returns a client of the server rawURL names, and its address. No
// connection is made until the first call.
func New(rawURL string) (*redis.Client, string, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, "", err
	}
	opt.ContextTimeoutEnabled = true
	setLogger.Do(func() { redis.SetLogger(quiet{}) })
	return redis.NewClient(opt), opt.Addr, nil
}
