package boltqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/frescolabs/fresco/emulator/functions"
)

var bucket = []byte("events")

// ErrLocked is what Open returns when another process holds the file.
var ErrLocked = errors.New("the queue file is held by another process")

// Queue is a functions.Queue in a bbolt file.
type Queue struct {
	db *bolt.DB
}

// Open opens (or creates) the queue file at path.
func Open(path string) (*Queue, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open Event queue: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open Event queue %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open Event queue %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("open Event queue %s: %w", path, err)
	}
	return &Queue{db: db}, nil
}

// Put implements functions.Queue: the event is on disk when it returns.
func (q *Queue) Put(_ context.Context, e functions.QueuedEvent) error {
	if e.ID == "" {
		return errors.New("queue event: no id")
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("queue event %s: %w", e.ID, err)
	}
	return q.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(e.ID), b) })
}

// Delete implements functions.Queue.
func (q *Queue) Delete(_ context.Context, id string) error {
	return q.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete([]byte(id)) })
}

// Pending implements functions.Queue. An entry that does not decode (a
// file written by another version) is skipped and reported.
func (q *Queue) Pending(context.Context) ([]functions.QueuedEvent, error) {
	var events []functions.QueuedEvent
	var bad []error
	err := q.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var e functions.QueuedEvent
			if err := json.Unmarshal(v, &e); err != nil {
				bad = append(bad, fmt.Errorf("event %s: %w", k, err))
				return nil
			}
			events = append(events, e)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	functions.SortEvents(events)
	return events, errors.Join(bad...)
}

// Close implements functions.Queue.
func (q *Queue) Close() error { return q.db.Close() }
