package queuetest

import (
	"context"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/internal/invoke"
)

// Run runs the suite; open returns a new, empty queue.
func Run(t *testing.T, open func(t *testing.T) functions.Queue) {
	ctx := context.Background()
	t.Run("put, replace, delete", func(t *testing.T) {
		q := open(t)
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		payload := []byte(`{"n":1}`)
		for i, id := range []string{"b", "a", "c"} {
			e := functions.QueuedEvent{ID: id, Function: "F", Qualifier: "live", Enqueued: t0.Add(time.Duration(i) * time.Second),
				Request: invoke.Request{RequestID: id, Payload: payload, InvokedFunctionARN: "arn:x:" + id, TraceID: "Root=1"}}
			if err := q.Put(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		payload[6] = '9' // the caller's buffer changes; the queued event does not
		retry := functions.QueuedEvent{ID: "a", Function: "F", Qualifier: "live", Attempts: 1, Enqueued: t0.Add(time.Second),
			NotBefore: t0.Add(time.Minute), Request: invoke.Request{RequestID: "a", Payload: []byte(`{"n":1}`)}}
		if err := q.Put(ctx, retry); err != nil {
			t.Fatal(err)
		}
		if err := q.Delete(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if err := q.Delete(ctx, "nope"); err != nil {
			t.Errorf("Delete of an unknown id: %v", err)
		}
		got, err := q.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != "b" || got[1].ID != "a" {
			t.Fatalf("Pending = %+v, want b then a (oldest first), c deleted", got)
		}
		b, a := got[0], got[1]
		if string(b.Request.Payload) != `{"n":1}` || b.Request.InvokedFunctionARN != "arn:x:b" || b.Request.TraceID != "Root=1" ||
			b.Qualifier != "live" || !b.Enqueued.Equal(t0) {
			t.Errorf("b came back as %+v", b)
		}
		if a.Attempts != 1 || !a.NotBefore.Equal(t0.Add(time.Minute)) {
			t.Errorf("the replaced a came back as %+v", a)
		}
		if err := q.Put(ctx, functions.QueuedEvent{}); err == nil {
			t.Error("an event without an id was accepted")
		}
	})
}
