package lambdart

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// implementations are the two deadline contexts: every scenario below must
// behave the same under both.
var implementations = []struct {
	name string
	with func(context.Context, time.Time) (context.Context, context.CancelFunc)
}{
	{"context.WithDeadline", context.WithDeadline},
	{"WithDeadline", WithDeadline},
}

type keyType struct{}

// closed reports whether ch is closed, waiting up to wait for it.
func closed(ch <-chan struct{}, wait time.Duration) bool {
	select {
	case <-ch:
		return true
	default:
	}
	select {
	case <-ch:
		return true
	case <-time.After(wait):
		return false
	}
}

func TestDeadlineContextBehavesAsWithDeadline(t *testing.T) {
	t.Parallel()
	const soon = 30 * time.Millisecond
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			t.Run("deadline and values", func(t *testing.T) {
				t.Parallel()
				d := time.Now().Add(time.Hour)
				base := context.WithValue(context.Background(), keyType{}, "from options")
				ctx, cancel := impl.with(base, d)
				defer cancel()
				if got, ok := ctx.Deadline(); !ok || !got.Equal(d) {
					t.Errorf("Deadline() = %v, %v; want %v, true", got, ok, d)
				}
				if err := ctx.Err(); err != nil {
					t.Errorf("Err() = %v before the deadline", err)
				}
				lc := &lambdacontext.LambdaContext{AwsRequestID: "r"}
				//lint:ignore SA1029 aws-lambda-go's own key.
				full := context.WithValue(lambdacontext.NewContext(ctx, lc), "x-amzn-trace-id", "Root=1") //nolint:staticcheck
				if got, _ := lambdacontext.FromContext(full); got != lc {
					t.Errorf("lambdacontext.FromContext = %v", got)
				}
				if got := full.Value("x-amzn-trace-id"); got != "Root=1" {
					t.Errorf("trace id %v", got)
				}
				if got := full.Value(keyType{}); got != "from options" {
					t.Errorf("base context value %v", got)
				}
				if got := ctx.Value("absent"); got != nil {
					t.Errorf("absent value %v", got)
				}
			})
			t.Run("select on Done", func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				ctx, cancel := impl.with(context.Background(), start.Add(soon))
				defer cancel()
				select {
				case <-ctx.Done():
				case <-time.After(10 * time.Second):
					t.Fatal("Done not closed at the deadline")
				}
				if el := time.Since(start); el < soon-time.Millisecond {
					t.Errorf("Done closed after %v, before the deadline (%v)", el, soon)
				}
				if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Err() = %v", err)
				}
				if err := context.Cause(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Cause() = %v", err)
				}
				cancel()
				if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Err() after cancel = %v, want it to stay DeadlineExceeded", err)
				}
			})
			t.Run("Err past the deadline, Done after", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := impl.with(context.Background(), time.Now().Add(soon))
				defer cancel()
				// Poll Err the way a handler checking for time would; under
				// context.WithDeadline it turns when the timer fires.
				for ctx.Err() == nil {
					time.Sleep(time.Millisecond)
				}
				if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Err() = %v", err)
				}
				if !closed(ctx.Done(), 0) {
					t.Error("Err reports the deadline but Done is not closed")
				}
			})
			t.Run("deadline already passed", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := impl.with(context.Background(), time.Now().Add(-time.Second))
				defer cancel()
				if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Err() = %v", err)
				}
				if !closed(ctx.Done(), 0) {
					t.Error("Done not closed")
				}
			})
			t.Run("cancel", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := impl.with(context.Background(), time.Now().Add(soon))
				done := ctx.Done()
				cancel()
				if !closed(done, time.Second) {
					t.Fatal("Done not closed by cancel")
				}
				if err := ctx.Err(); !errors.Is(err, context.Canceled) {
					t.Errorf("Err() = %v", err)
				}
				time.Sleep(2 * soon)
				if err := ctx.Err(); !errors.Is(err, context.Canceled) {
					t.Errorf("Err() past the deadline after cancel = %v, want Canceled", err)
				}
				cancel() // a second cancel is harmless
			})
			t.Run("cancel before anyone asked", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := impl.with(context.Background(), time.Now().Add(time.Hour))
				cancel()
				if err := ctx.Err(); !errors.Is(err, context.Canceled) {
					t.Errorf("Err() = %v", err)
				}
				if !closed(ctx.Done(), 0) {
					t.Error("Done not closed")
				}
			})
			t.Run("derived contexts follow it", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := impl.with(context.Background(), time.Now().Add(soon))
				defer cancel()
				child, cancelChild := context.WithCancel(ctx)
				defer cancelChild()
				timeout, cancelTimeout := context.WithTimeout(ctx, time.Hour)
				defer cancelTimeout()
				if d, _ := timeout.Deadline(); d.After(time.Now().Add(time.Minute)) {
					t.Errorf("WithTimeout(ctx, 1h) has deadline %v, not ctx's", d)
				}
				ran := make(chan struct{})
				context.AfterFunc(ctx, func() { close(ran) })
				stopped := false
				stop := context.AfterFunc(ctx, func() { stopped = true })
				if !stop() {
					t.Error("stop before the deadline returned false")
				}
				for _, c := range []context.Context{child, timeout} {
					if !closed(c.Done(), 10*time.Second) {
						t.Fatal("a derived context did not end at the deadline")
					}
					if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("derived Err() = %v", err)
					}
				}
				if !closed(ran, 10*time.Second) {
					t.Fatal("AfterFunc did not run at the deadline")
				}
				if stop() {
					t.Error("a second stop returned true")
				}
				if stopped {
					t.Error("a stopped AfterFunc ran")
				}
			})
			t.Run("AfterFunc on an ended context", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := impl.with(context.Background(), time.Now().Add(time.Hour))
				cancel()
				ran := make(chan struct{})
				stop := context.AfterFunc(ctx, func() { close(ran) })
				if !closed(ran, 10*time.Second) {
					t.Fatal("AfterFunc did not run")
				}
				if stop() {
					t.Error("stop after it ran returned true")
				}
			})
		})
	}
}

func TestDeadlineContextStartsNoTimerUntilWaitedOn(t *testing.T) {
	t.Parallel()
	ctx, cancel := WithDeadline(context.Background(), time.Now().Add(time.Hour))
	defer cancel()
	c, ok := ctx.(*deadlineContext)
	if !ok {
		t.Fatalf("WithDeadline(Background) is a %T", ctx)
	}
	ctx.Deadline()
	ctx.Err()
	ctx.Value(keyType{})
	_ = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{})
	if c.timer != nil || c.done != nil {
		t.Fatal("a timer or a channel before anyone waited")
	}
	ctx.Done()
	if c.timer == nil {
		t.Fatal("no timer once Done was asked for")
	}
	cancel()
	if c.timer.Stop() {
		t.Error("cancel left the timer running")
	}
}

func TestDeadlineContextFallsBackForADoneParent(t *testing.T) {
	t.Parallel()
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, cancel := WithDeadline(parent, time.Now().Add(time.Hour))
	defer cancel()
	if _, ok := ctx.(*deadlineContext); ok {
		t.Fatal("a cancellable parent got the timer-less context")
	}
	cancelParent()
	if !closed(ctx.Done(), 10*time.Second) || !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("the parent's cancel did not reach it: %v", ctx.Err())
	}

	early := time.Now().Add(time.Minute)
	parent, cancelParent = context.WithDeadline(context.Background(), early)
	defer cancelParent()
	ctx, cancel = WithDeadline(parent, early.Add(time.Hour))
	defer cancel()
	if d, _ := ctx.Deadline(); !d.Equal(early) {
		t.Fatalf("Deadline() = %v, want the parent's %v", d, early)
	}
}

// TestDeadlineContextHammer races every method against the deadline, the
// cancel and each other (run with -race).
func TestDeadlineContextHammer(t *testing.T) {
	t.Parallel()
	for i := 0; i < 200; i++ {
		ctx, cancel := WithDeadline(context.Background(), time.Now().Add(time.Duration(i%7)*100*time.Microsecond))
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch g {
				case 0:
					<-ctx.Done()
				case 1:
					for ctx.Err() == nil {
						time.Sleep(50 * time.Microsecond)
					}
				case 2:
					ran := make(chan struct{})
					context.AfterFunc(ctx, func() { close(ran) })
					<-ran
				case 3:
					child, cancelChild := context.WithCancel(ctx)
					<-child.Done()
					cancelChild()
				}
			}()
		}
		if i%2 == 0 {
			cancel()
		}
		wg.Wait()
		cancel()
		if err := ctx.Err(); !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err() = %v", err)
		}
	}
}

func TestDeadlineContextString(t *testing.T) {
	t.Parallel()
	ctx, cancel := WithDeadline(context.Background(), time.Now().Add(time.Hour))
	defer cancel()
	if s := ctx.(interface{ String() string }).String(); len(s) < len("context.Background.WithDeadline(") || s[:len("context.Background.WithDeadline(")] != "context.Background.WithDeadline(" {
		t.Errorf("String() = %q", s)
	}
}
