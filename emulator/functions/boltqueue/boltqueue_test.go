package boltqueue

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/functions/queuetest"
	"github.com/frescolabs/fresco/internal/invoke"
)

func TestQueue(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) functions.Queue {
		q, err := Open(filepath.Join(t.TempDir(), "events.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		return q
	})
}

// What was put survives a close and a reopen; a second opener is refused
// while the first holds the file.
func TestReopenAndLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state", "events.db")
	q, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	q.Put(ctx, functions.QueuedEvent{ID: "x", Function: "F", Request: invoke.Request{RequestID: "x", Payload: []byte(`{}`)}})
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Errorf("second Open = %v, want ErrLocked", err)
	}
	q.Close()
	q, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	got, err := q.Pending(ctx)
	if err != nil || len(got) != 1 || got[0].ID != "x" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}
