// Package redisqueue is a functions.SharedQueue on a Redis server: the
// accepted Event invocations of many fresco hosts in one place, each held
// by one host under a lease that host renews. When a host crashes or is
// killed, its leases run out and the other hosts claim its events and run
// them; a host that shuts down cleanly releases what it still holds.
//
// Three keys hold the queue (Prefix, default "fresco:events", then
// ":data", ":lease", ":owner"): a hash of the events (JSON, as boltqueue
// stores them), a sorted set of their lease expiries and a hash of their
// holders. Every change of a lease is one Lua script, run atomically by
// the server, and lease times are the server's clock (TIME), so the hosts'
// clocks need not agree. An entry that does not decode is moved to
// Prefix:bad and reported, not claimed again.
//
// A 202 is as durable as the server: with appendonly yes and appendfsync
// always, an accepted event survives the server's crash as well; Open's
// Persistence says what the server does. It imports nothing of the project
// but emulator/functions.
package redisqueue
