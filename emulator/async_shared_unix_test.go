//go:build unix

package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/server"
	"github.com/frescolabs/fresco/internal/redistest"
)

// TestSharedQueueSurvivesHostKill: two fresco hosts share one Event queue
// on a real redis-server (--queue), each with its own state directory.
// Event invocations of Sleep are sent to host A only, and A is killed with
// SIGKILL while they arrive; host B, which was sent none, runs every one
// that A accepted and had not finished, once A's leases (2 s) run out, and
// none that A had finished.
func TestSharedQueueSurvivesHostKill(t *testing.T) {
	redisURL := redistest.Start(t)
	bin := buildBinary(t)
	shared := []string{"--queue", redisURL, "--queue-lease", "2s"}
	var logA, logB syncBuffer
	cmdB, _ := startLogged(t, bin, &logB, append([]string{"--state-dir", t.TempDir()}, shared...)...)
	defer func() { cmdB.Process.Kill(); cmdB.Wait() }()
	cmdA, urlA := startLogged(t, bin, &logA, append([]string{"--state-dir", t.TempDir()}, shared...)...)
	defer func() { cmdA.Process.Kill(); cmdA.Wait() }()
	for _, log := range []*syncBuffer{&logA, &logB} {
		if !strings.Contains(log.String(), "Event queue shared on Redis") {
			t.Fatalf("a host did not log its shared queue:\n%s", log.String())
		}
	}

	accepted := eventsUntilKill(t, cmdA, urlA, 300)
	killed := time.Now()
	waitAllRan(t, accepted, "on A", &logA, "on B", &logB)
	onB := ranIn(logB.String())
	for _, id := range succeededIn(logA.String()) {
		if onB[id] > 0 {
			t.Errorf("invocation %s ran on B after it had succeeded on A", id)
		}
	}
	// An event A had queued when it was killed, before its 202 was sent,
	// runs too: at most one per client in flight.
	unanswered := 0
	for id, n := range onB {
		if !accepted[id] {
			unanswered++
		}
		if n > 1 {
			t.Errorf("B ran %s %d times", id, n)
		}
	}
	if unanswered > 8 {
		t.Errorf("B ran %d events whose 202 was never received, more than the 8 clients had in flight", unanswered)
	}
	t.Logf("%d accepted by A before the kill; B ran %d events (%d queued but unanswered at the kill), all within %v of the kill",
		len(accepted), len(onB), unanswered, time.Since(killed).Round(100*time.Millisecond))
	if len(onB) == 0 {
		t.Error("B ran nothing: the kill tested nothing")
	}
	if !strings.Contains(logB.String(), "Event invocations claimed from the shared queue") {
		t.Errorf("B logged no claim:\n%s", logB.String())
	}
}

// TestSharedQueueDownRefusesEvents: with --queue on a Redis server that
// goes away, an Event invocation is refused with a 500 ServiceException
// (never a 202 for an event that is nowhere), and synchronous invocations
// go on. The start-up log says the server keeps nothing on disk.
func TestSharedQueueDownRefusesEvents(t *testing.T) {
	url, stop, err := redistest.Run(context.Background())
	if err != nil {
		t.Skip(err)
	}
	defer stop()
	a, logs := serveOpsWith(t, emulator.Options{
		Template: "../template.yaml", Only: []string{"Hello"}, Queue: url, QueueLease: 2 * time.Second,
	}, server.Config{})
	base := "http://" + a.Invoke
	if !strings.Contains(logs.String(), "does not keep every accepted invocation") {
		t.Errorf("no warning that the server keeps nothing:\n%s", logs.String())
	}
	status, _, body := invokeHTTP(t, base, "Hello", `{"name":"queued"}`, "X-Amz-Invocation-Type", "Event")
	if status != http.StatusAccepted {
		t.Fatalf("Event with the queue up: %d %s", status, body)
	}
	eventually(t, "the Event to run", func() bool { return strings.Contains(logs.String(), "async invocation succeeded") })
	stop()
	_, err = lambdaClient(base).Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("Hello"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"name":"nowhere"}`),
	})
	if !errors.As(err, new(*types.ServiceException)) {
		t.Errorf("Event with the queue down: %v, want a ServiceException", err)
	}
	if status, _, body := invokeHTTP(t, base, "Hello", `{"name":"sync"}`); status != http.StatusOK {
		t.Errorf("RequestResponse with the queue down: %d %s", status, body)
	}
}
