package redisqueue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/functions/queuetest"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/internal/redistest"
)

// open opens a queue on url under prefix, closed when the test ends.
func open(t *testing.T, url, prefix, owner string, lease time.Duration) *Queue {
	t.Helper()
	q, err := Open(context.Background(), url, Options{Prefix: prefix, Owner: owner, Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func TestQueue(t *testing.T) {
	url := redistest.Start(t)
	n := 0
	queuetest.Run(t, func(t *testing.T) functions.Queue {
		n++
		return open(t, url, fmt.Sprintf("test%d", n), "", 0)
	})
}

func event(id string, enqueued time.Time) functions.QueuedEvent {
	return functions.QueuedEvent{ID: id, Function: "F", Enqueued: enqueued,
		Request: invoke.Request{RequestID: id, Payload: []byte(`{"id":"` + id + `"}`)}}
}

func ids(events []functions.QueuedEvent) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, e.ID)
	}
	return out
}

// Leases: an event is held by the host that put it while that host renews
// it; once its lease runs out another host claims it, and the first one's
// renewal reports it lost; a released event is claimable at once; an
// entry that does not decode is moved aside and reported once.
func TestLeases(t *testing.T) {
	ctx := context.Background()
	url := redistest.Start(t)
	a := open(t, url, "leases", "a", time.Second)
	b := open(t, url, "leases", "b", time.Second)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, id := range []string{"e2", "e1", "e3"} {
		if err := a.Put(ctx, event(id, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := b.Claim(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("b claimed %v, %v while a's leases run", ids(got), err)
	}
	if lost, err := a.Renew(ctx, []string{"e1", "e2", "e3", "never-put"}); err != nil || !slices.Equal(lost, []string{"never-put"}) {
		t.Fatalf("a's renewal lost %v, %v; want only the id it never put", lost, err)
	}
	// e3 is renewed again after a while, e1 and e2 are not: past the lease,
	// b claims those two, oldest first, and not e3.
	time.Sleep(600 * time.Millisecond)
	a.Renew(ctx, []string{"e3"})
	time.Sleep(600 * time.Millisecond)
	got, err := b.Claim(ctx, 10)
	if err != nil || !slices.Equal(ids(got), []string{"e2", "e1"}) {
		t.Fatalf("b claimed %v, %v; want e2 then e1 (oldest first), not the renewed e3", ids(got), err)
	}
	if string(got[0].Request.Payload) != `{"id":"e2"}` || !got[0].Enqueued.Equal(t0) {
		t.Errorf("the claimed e2 came back as %+v", got[0])
	}
	if again, _ := a.Claim(ctx, 10); len(again) != 0 {
		t.Errorf("a claimed %v, which b holds now", ids(again))
	}
	lost, err := a.Renew(ctx, []string{"e1", "e2", "e3"})
	slices.Sort(lost)
	if err != nil || !slices.Equal(lost, []string{"e1", "e2"}) {
		t.Errorf("a's renewal lost %v, %v; want e1 and e2, which b claimed", lost, err)
	}
	// A Put takes the event back (a retry written by the host running it).
	if err := a.Put(ctx, event("e1", t0)); err != nil {
		t.Fatal(err)
	}
	if lost, _ := b.Renew(ctx, []string{"e1", "e2"}); !slices.Equal(lost, []string{"e1"}) {
		t.Errorf("b's renewal lost %v, want e1 (a put it again)", lost)
	}
	// b releases e2: a claims it at once, the lease not run out.
	if err := b.Release(ctx, []string{"e2", "e3"}); err != nil {
		t.Fatal(err)
	}
	if exp, _ := a.leaseOf(ctx, "e3"); exp <= 0 {
		t.Errorf("b released e3, which a holds (lease %d)", exp)
	}
	if got, err := a.Claim(ctx, 10); err != nil || !slices.Equal(ids(got), []string{"e2"}) {
		t.Errorf("after b's release a claimed %v, %v; want e2", ids(got), err)
	}
	// Deleted: gone from Pending, lost to a renewal, never claimed.
	if err := a.Delete(ctx, "e2"); err != nil {
		t.Fatal(err)
	}
	if lost, _ := a.Renew(ctx, []string{"e2"}); !slices.Equal(lost, []string{"e2"}) {
		t.Errorf("a renewed the deleted e2 (lost %v)", lost)
	}
	if exp, _ := a.leaseOf(ctx, "e2"); exp != -1 {
		t.Errorf("the deleted e2 still has a lease (%d)", exp)
	}
	p, err := b.Pending(ctx)
	if err != nil || !slices.Equal(ids(p), []string{"e1", "e3"}) {
		t.Errorf("Pending = %v, %v; want e1, e3 (every host's)", ids(p), err)
	}
	// An entry that does not decode.
	raw := redis.NewClient(mustParse(t, url))
	defer raw.Close()
	raw.HSet(ctx, "leases:data", "junk", "not json")
	raw.ZAdd(ctx, "leases:lease", redis.Z{Score: 0, Member: "junk"})
	got, err = b.Claim(ctx, 10)
	if err == nil || !strings.Contains(err.Error(), "junk") || len(got) != 0 {
		t.Errorf("claiming an entry that does not decode: %v, %v", ids(got), err)
	}
	if v, _ := raw.HGet(ctx, "leases:bad", "junk").Result(); v != "not json" {
		t.Errorf("the entry was not kept aside: %q", v)
	}
	if got, err := b.Claim(ctx, 10); err != nil || len(got) != 0 {
		t.Errorf("the bad entry was claimed again: %v, %v", ids(got), err)
	}
}

func mustParse(t *testing.T, url string) *redis.Options {
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

// Open says what is wrong with the URL or the server, and refuses a lease
// too short to renew.
func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "http://127.0.0.1:1", Options{}); err == nil {
		t.Error("an http URL was accepted")
	}
	if _, err := Open(ctx, "redis://127.0.0.1:1/0", Options{}); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("no server: %v", err)
	}
	url := redistest.Start(t)
	if _, err := Open(ctx, url, Options{Lease: 100 * time.Millisecond}); err == nil {
		t.Error("a 100 ms lease was accepted")
	}
	q := open(t, url, "p", "", 0)
	if p, everyWrite, err := q.Persistence(ctx); err != nil || p != "none" || everyWrite {
		t.Errorf("Persistence of a server without persistence = %q, %v, %v", p, everyWrite, err)
	}
}

// runner counts the runs of each request id; while hold is open, every
// invocation waits for it.
type runner struct {
	hold     chan struct{}
	finished atomic.Int64
	mu       sync.Mutex
	runs     map[string]int
}

func newRunner() *runner { return &runner{runs: map[string]int{}} }

func (r *runner) Invoke(_ context.Context, req *invoke.Request) *invoke.Result {
	r.mu.Lock()
	r.runs[req.RequestID]++
	hold := r.hold
	r.mu.Unlock()
	if hold != nil {
		<-hold
	}
	r.finished.Add(1)
	return &invoke.Result{Payload: []byte(`null`)}
}

func (r *runner) Close(context.Context) error { return nil }

func (r *runner) count() (ids, runs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.runs {
		runs += n
	}
	return len(r.runs), runs
}

// host is one fresco's Invoker of function F, on the shared queue q.
func host(t *testing.T, q functions.Queue, r functions.Runner) *functions.Invoker {
	t.Helper()
	ctx := context.Background()
	reg := functions.NewRegistry(functions.RegistryConfig{})
	v := functions.Version{Function: "F", Version: functions.LatestVersion, Code: functions.Code{Sha256: "x"}}
	if err := reg.Create(ctx, functions.Function{Name: "F", ReservedConcurrency: 1}, v, r); err != nil {
		t.Fatal(err)
	}
	return functions.NewInvoker(reg, functions.InvokerConfig{Queue: q})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Two hosts share one queue. Host A accepts 50 Events of a function that
// runs one at a time and is stuck in its first; B, idle, claims none of
// them while A holds them (A renews its leases past their length). When A
// drains, the events it had not started are released and B runs each of
// them once, at once, while A's first is still running; that one ends on
// A.
func TestHostsShareTheQueue(t *testing.T) {
	ctx := context.Background()
	url := redistest.Start(t)
	ra, rb := newRunner(), newRunner()
	ra.hold = make(chan struct{})
	a := host(t, open(t, url, "shared", "a", time.Second), ra)
	b := host(t, open(t, url, "shared", "b", time.Second), rb)
	defer b.Close(ctx)
	ha, _ := a.Lookup(ctx, "F", "")
	for i := range 50 {
		if err := ha.InvokeAsync(&invoke.Request{RequestID: fmt.Sprintf("ev-%02d", i), Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "A's first run", func() bool { n, _ := ra.count(); return n == 1 })
	time.Sleep(2500 * time.Millisecond) // 2.5 leases: A renews, B claims nothing
	if n, _ := rb.count(); n != 0 {
		t.Fatalf("B ran %d events that A held and renewed", n)
	}
	a.Drain()
	waitFor(t, "B to run the 49 events A released", func() bool { n, _ := rb.count(); return n == 49 })
	close(ra.hold)
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n, runs := ra.count(); n != 1 || runs != 1 {
		t.Errorf("A ran %d events (%d runs), want its first only", n, runs)
	}
	ra.mu.Lock()
	for id := range ra.runs {
		if rb.runs[id] > 0 {
			t.Errorf("%s ran on both hosts", id)
		}
	}
	ra.mu.Unlock()
	if n, runs := rb.count(); runs != n {
		t.Errorf("B ran %d events %d times", n, runs)
	}
	q := open(t, url, "shared", "c", time.Second)
	waitFor(t, "the queue to empty", func() bool { p, _ := q.Pending(ctx); return len(p) == 0 })
}

// A host that stops renewing (its Redis client is closed under it, as a
// crash leaves things) loses its events to the other host after a lease;
// the other runs every one of them once.
func TestLapsedLeasesAreClaimed(t *testing.T) {
	ctx := context.Background()
	url := redistest.Start(t)
	qa := open(t, url, "lapsed", "a", time.Second)
	for i := range 20 {
		if err := qa.Put(ctx, event(fmt.Sprintf("ev-%02d", i), time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	qa.Close() // host A is gone without a word
	rb := newRunner()
	b := host(t, open(t, url, "lapsed", "b", time.Second), rb)
	defer b.Close(ctx)
	n, err := b.Recover(ctx)
	if err != nil || n != 0 {
		t.Errorf("Recover claimed %d, %v while A's leases still ran", n, err)
	}
	waitFor(t, "B to run A's 20 events", func() bool { n, _ := rb.count(); return n == 20 })
	if n, runs := rb.count(); runs != n {
		t.Errorf("B ran %d events %d times", n, runs)
	}
	waitFor(t, "B to hold nothing", func() bool { return b.QueueStats().Held == 0 })
	if st := b.QueueStats(); st.Claimed != 20 || st.Lost != 0 {
		t.Errorf("B's queue stats %+v, want 20 claimed, none lost", st)
	}
}

// A host whose leases another host claimed while it lived (as a long pause
// would let them lapse) stops holding the events it had not started: its
// next renewal reports them lost, and it runs only the one it was running;
// the other host runs each of the rest once.
func TestClaimedAwayEventsLeaveTheSchedule(t *testing.T) {
	ctx := context.Background()
	url := redistest.Start(t)
	ra, rb := newRunner(), newRunner()
	ra.hold = make(chan struct{})
	a := host(t, open(t, url, "away", "a", time.Second), ra)
	defer a.Close(ctx)
	ha, _ := a.Lookup(ctx, "F", "")
	for i := range 20 {
		if err := ha.InvokeAsync(&invoke.Request{RequestID: fmt.Sprintf("ev-%02d", i), Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "A's first run", func() bool { n, _ := ra.count(); return n == 1 })
	// Every lease of A's ends now, and B claims them all.
	raw := redis.NewClient(mustParse(t, url))
	defer raw.Close()
	members, _ := raw.ZRange(ctx, "away:lease", 0, -1).Result()
	for _, m := range members {
		raw.ZAdd(ctx, "away:lease", redis.Z{Score: 0, Member: m})
	}
	b := host(t, open(t, url, "away", "b", time.Second), rb)
	defer b.Close(ctx)
	if n, err := b.Recover(ctx); err != nil || n != 20 {
		t.Fatalf("B claimed %d, %v; want all 20", n, err)
	}
	// B runs its claims (A's running one too: at least once) while A is
	// stuck; A's renewal, within a third of a lease, loses the rest.
	waitFor(t, "B to run the 20 events", func() bool { n, _ := rb.count(); return n == 20 })
	waitFor(t, "A's renewal to lose them", func() bool { return a.QueueStats().Lost == 20 })
	close(ra.hold)
	// A's first run ends; anything still scheduled on A would start now.
	waitFor(t, "A's first run to end", func() bool { return ra.finished.Load() == 1 })
	time.Sleep(200 * time.Millisecond)
	if n, runs := ra.count(); n != 1 || runs != 1 {
		t.Errorf("A ran %d events (%d runs) after B claimed them; want only the one it was running", n, runs)
	}
	if n, runs := rb.count(); runs != n {
		t.Errorf("B ran %d events %d times", n, runs)
	}
	if st := a.QueueStats(); st.Lost != 20 || st.Held != 0 {
		t.Errorf("A's queue stats %+v, want 20 lost (the one it ran too), none held", st)
	}
	if st := b.QueueStats(); st.Claimed != 20 {
		t.Errorf("B's queue stats %+v, want 20 claimed", st)
	}
}

// leaseOf is the lease expiry of id on the server, in milliseconds (0:
// released; -1: none), for tests.
func (q *Queue) leaseOf(ctx context.Context, id string) (int64, error) {
	s, err := q.c.ZScore(ctx, q.keys[1], id).Result()
	if errors.Is(err, redis.Nil) {
		return -1, nil
	}
	return int64(s), err
}
