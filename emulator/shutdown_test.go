package emulator_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/server"
)

// TestGracefulShutdown: in-flight invocations, synchronous and Event,
// finish when the server is told to stop; new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	opts := emulator.Options{
		Template:    filepath.Join("..", "template.yaml"),
		Only:        []string{"Sleep"},
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
		FunctionLog: &logs,
	}
	ready := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, opts, "127.0.0.1:0", 30*time.Second, ready) }()
	var url string
	select {
	case addr := <-ready:
		url = "http://" + addr + "/2015-03-31/functions/Sleep/invocations"
	case err := <-served:
		t.Fatal(err)
	}

	// An Event invocation that is still running at shutdown.
	req, _ := http.NewRequest("POST", url, strings.NewReader(`{"ms":700}`))
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("event: %v %v", err, resp)
	}
	resp.Body.Close()

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Post(url, "application/json", strings.NewReader(`{"ms":800}`))
		if err != nil {
			answered <- answer{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- answer{status: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(300 * time.Millisecond) // both invocations are running
	cancel()

	a := <-answered
	if a.err != nil || a.status != 200 || !strings.Contains(a.body, `"slept_ms":8`) {
		t.Fatalf("in-flight invocation: %+v", a)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if !strings.Contains(logs.String(), "async invocation succeeded") {
		t.Errorf("the Event invocation did not finish before shutdown:\n%s", logs.String())
	}
	if _, err := http.Post(url, "application/json", strings.NewReader(`{}`)); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}
