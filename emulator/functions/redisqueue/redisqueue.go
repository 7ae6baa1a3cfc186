package redisqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/internal/redisclient"
)

// DefaultLease is how long a host holds an event without renewing it: the
// longest an accepted event waits after its host dies.
const DefaultLease = 30 * time.Second

// DefaultPrefix starts the queue's keys.
const DefaultPrefix = "fresco:events"

// Options configures a Queue.
type Options struct {
	// Lease is how long a Put or a claim holds an event (default
	// DefaultLease; at least a second).
	Lease time.Duration
	// Prefix starts the queue's keys (default DefaultPrefix): hosts that
	// share a queue use the same one.
	Prefix string
	// Owner names this host in the queue (default: its hostname, pid and
	// a random suffix, new at every Open).
	Owner string
}

// Queue is a functions.SharedQueue on a Redis server.
type Queue struct {
	c     *redis.Client
	addr  string
	lease time.Duration
	owner string
	keys  []string // data, lease, owner
	bad   string
}

// renewChunk bounds the ids of one Renew or Release script call.
const renewChunk = 1000

// Open connects to the Redis server rawURL names (redis://HOST:PORT/DB,
// or rediss:// for TLS) and checks that it answers.
func Open(ctx context.Context, rawURL string, opts Options) (*Queue, error) {
	if opts.Lease == 0 {
		opts.Lease = DefaultLease
	}
	if opts.Lease < time.Second {
		return nil, fmt.Errorf("Event queue: a lease of %v is too short (at least 1s)", opts.Lease)
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Owner == "" {
		opts.Owner = defaultOwner()
	}
	c, addr, err := redisclient.New(rawURL)
	if err != nil {
		return nil, fmt.Errorf("Event queue %q: %w", rawURL, err)
	}
	q := &Queue{
		c: c, addr: addr, lease: opts.Lease, owner: opts.Owner,
		keys: []string{opts.Prefix + ":data", opts.Prefix + ":lease", opts.Prefix + ":owner"},
		bad:  opts.Prefix + ":bad",
	}
	if err := q.c.Ping(ctx).Err(); err != nil {
		q.c.Close()
		return nil, fmt.Errorf("Event queue on Redis at %s: %w", addr, err)
	}
	return q, nil
}

func defaultOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Addr is the server's address, for logs.
func (q *Queue) Addr() string { return q.addr }

// Owner is the name this host holds events under.
func (q *Queue) Owner() string { return q.owner }

// Persistence says how the server keeps what it is given ("appendonly
// yes, appendfsync always"; "none" when it keeps nothing on disk), and
// whether it keeps every write across its own restart (an append-only
// file), as far as CONFIG GET tells (managed servers may refuse it: the
// error says so).
func (q *Queue) Persistence(ctx context.Context) (desc string, everyWrite bool, err error) {
	cfg, err := q.c.ConfigGet(ctx, "append*").Result()
	if err != nil {
		return "", false, err
	}
	if cfg["appendonly"] == "yes" {
		return "appendonly yes, appendfsync " + cfg["appendfsync"], true, nil
	}
	save, _ := q.c.ConfigGet(ctx, "save").Result()
	if s := strings.TrimSpace(save["save"]); s != "" {
		return "snapshots only (save " + s + "): a server crash loses what came since the last", false, nil
	}
	return "none", false, nil
}

// now is the server's time in milliseconds, inside a script.
const now = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// KEYS: data, lease, owner. ARGV: id, event, owner, lease ms.
var putScript = redis.NewScript(now + `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
return 1`)

// ARGV: owner, lease ms, ids...; returns the ids not held by owner.
var renewScript = redis.NewScript(now + `
local lost = {}
for i = 3, #ARGV do
	local id = ARGV[i]
	if redis.call('HGET', KEYS[3], id) == ARGV[1] and redis.call('HEXISTS', KEYS[1], id) == 1 then
		redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
	else
		lost[#lost + 1] = id
	end
end
return lost`)

// ARGV: owner, lease ms, max; returns id, event, id, event...
var claimScript = redis.NewScript(now + `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
	local v = redis.call('HGET', KEYS[1], id)
	if v then
		redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
		redis.call('HSET', KEYS[3], id, ARGV[1])
		out[#out + 1] = id
		out[#out + 1] = v
	else
		redis.call('ZREM', KEYS[2], id)
		redis.call('HDEL', KEYS[3], id)
	end
end
return out`)

// ARGV: owner, ids...: the leases owner holds end now.
var releaseScript = redis.NewScript(`
for i = 2, #ARGV do
	if redis.call('HGET', KEYS[3], ARGV[i]) == ARGV[1] then
		redis.call('ZADD', KEYS[2], 0, ARGV[i])
		redis.call('HDEL', KEYS[3], ARGV[i])
	end
end
return 1`)

// Put implements functions.Queue: the event is on the server, held by this
// host, when it returns.
func (q *Queue) Put(ctx context.Context, e functions.QueuedEvent) error {
	if e.ID == "" {
		return errors.New("queue event: no id")
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("queue event %s: %w", e.ID, err)
	}
	if err := putScript.Run(ctx, q.c, q.keys, e.ID, b, q.owner, q.lease.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("queue event %s on Redis at %s: %w", e.ID, q.addr, err)
	}
	return nil
}

// Delete implements functions.Queue.
func (q *Queue) Delete(ctx context.Context, id string) error {
	_, err := q.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, q.keys[0], id)
		p.ZRem(ctx, q.keys[1], id)
		p.HDel(ctx, q.keys[2], id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete queued event %s on Redis at %s: %w", id, q.addr, err)
	}
	return nil
}

// Pending implements functions.Queue: every event, whoever holds it,
// oldest first. An entry that does not decode is skipped and reported.
func (q *Queue) Pending(ctx context.Context) ([]functions.QueuedEvent, error) {
	all, err := q.c.HGetAll(ctx, q.keys[0]).Result()
	if err != nil {
		return nil, fmt.Errorf("read the Event queue on Redis at %s: %w", q.addr, err)
	}
	events := make([]functions.QueuedEvent, 0, len(all))
	var bad []error
	for id, v := range all {
		e, err := decode(id, v)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		events = append(events, e)
	}
	functions.SortEvents(events)
	return events, errors.Join(bad...)
}

func decode(id, v string) (functions.QueuedEvent, error) {
	var e functions.QueuedEvent
	if err := json.Unmarshal([]byte(v), &e); err != nil {
		return e, fmt.Errorf("event %s: %w", id, err)
	}
	if e.ID != id {
		return e, fmt.Errorf("event %s: the entry holds event %q", id, e.ID)
	}
	return e, nil
}

// Lease implements functions.SharedQueue.
func (q *Queue) Lease() time.Duration { return q.lease }

// Renew implements functions.SharedQueue.
func (q *Queue) Renew(ctx context.Context, ids []string) ([]string, error) {
	var lost []string
	for chunk := range chunks(ids) {
		args := append([]any{q.owner, q.lease.Milliseconds()}, chunk...)
		got, err := renewScript.Run(ctx, q.c, q.keys, args...).StringSlice()
		if err != nil {
			return lost, fmt.Errorf("renew leases on Redis at %s: %w", q.addr, err)
		}
		lost = append(lost, got...)
	}
	return lost, nil
}

// Claim implements functions.SharedQueue.
func (q *Queue) Claim(ctx context.Context, max int) ([]functions.QueuedEvent, error) {
	got, err := claimScript.Run(ctx, q.c, q.keys, q.owner, q.lease.Milliseconds(), max).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim lapsed events on Redis at %s: %w", q.addr, err)
	}
	events := make([]functions.QueuedEvent, 0, len(got)/2)
	var bad []error
	for i := 0; i+1 < len(got); i += 2 {
		e, err := decode(got[i], got[i+1])
		if err != nil {
			bad = append(bad, fmt.Errorf("%w (moved to %s)", err, q.bad))
			q.quarantine(ctx, got[i], got[i+1])
			continue
		}
		events = append(events, e)
	}
	functions.SortEvents(events)
	return events, errors.Join(bad...)
}

// quarantine moves an entry that does not decode out of the queue, to the
// bad hash, where an operator finds it.
func (q *Queue) quarantine(ctx context.Context, id, v string) {
	q.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, q.bad, id, v)
		p.HDel(ctx, q.keys[0], id)
		p.ZRem(ctx, q.keys[1], id)
		p.HDel(ctx, q.keys[2], id)
		return nil
	})
}

// Release implements functions.SharedQueue.
func (q *Queue) Release(ctx context.Context, ids []string) error {
	for chunk := range chunks(ids) {
		if err := releaseScript.Run(ctx, q.c, q.keys, append([]any{q.owner}, chunk...)...).Err(); err != nil {
			return fmt.Errorf("release leases on Redis at %s: %w", q.addr, err)
		}
	}
	return nil
}

// chunks yields ids as script arguments, renewChunk at a time.
func chunks(ids []string) func(yield func([]any) bool) {
	return func(yield func([]any) bool) {
		for len(ids) > 0 {
			n := min(len(ids), renewChunk)
			args := make([]any, n)
			for i, id := range ids[:n] {
				args[i] = id
			}
			if !yield(args) {
				return
			}
			ids = ids[n:]
		}
	}
}

// Close implements functions.Queue.
func (q *Queue) Close() error { return q.c.Close() }

var _ functions.SharedQueue = (*Queue)(nil)
