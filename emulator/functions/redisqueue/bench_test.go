package redisqueue

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/functions/boltqueue"
	"github.com/frescolabs/fresco/internal/redistest"
)

// BenchmarkEventLife is what the queue costs one Event invocation: its
// Put before the 202 and its Delete after it ran, with a 1 KB payload, on
// a Redis server on loopback against bbolt's fsynced file (the baseline,
// in the same run).
func BenchmarkEventLife(b *testing.B) {
	ctx := context.Background()
	payload := make([]byte, 1024)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	run := func(b *testing.B, q functions.Queue) {
		e := event("", time.Now())
		e.Request.Payload = payload
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			e.ID = fmt.Sprintf("ev-%d", i)
			if err := q.Put(ctx, e); err != nil {
				b.Fatal(err)
			}
			if err := q.Delete(ctx, e.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("bolt", func(b *testing.B) {
		q, err := boltqueue.Open(filepath.Join(b.TempDir(), "events.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		run(b, q)
	})
	b.Run("redis", func(b *testing.B) {
		q, err := Open(ctx, redistest.Start(b), Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		run(b, q)
	})
}

// BenchmarkRenew is one host's renewal of the leases of 1,000 held events
// (what its lease loop sends every third of a lease), and a Claim that
// finds nothing lapsed (the other half of each tick).
func BenchmarkRenew(b *testing.B) {
	ctx := context.Background()
	q, err := Open(ctx, redistest.Start(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("ev-%04d", i)
		if err := q.Put(ctx, event(ids[i], time.Now())); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("renew-1000", func(b *testing.B) {
		for b.Loop() {
			if lost, err := q.Renew(ctx, ids); err != nil || len(lost) != 0 {
				b.Fatal(lost, err)
			}
		}
	})
	b.Run("claim-none", func(b *testing.B) {
		for b.Loop() {
			if got, err := q.Claim(ctx, claimBatchForBench); err != nil || len(got) != 0 {
				b.Fatal(len(got), err)
			}
		}
	})
}

// claimBatchForBench is the dispatcher's batch.
const claimBatchForBench = 256
