package emulator_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/server"
)

// fresco is one fresco serving the repository's template.yaml, shared by
// the end-to-end tests of this package.
var (
	fresco    sharedServer
	serverLog = &syncBuffer{}
)

type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

// startServer starts fresco on the repository's template on a free
// loopback port (once) and returns its base URL.
func startServer(t testing.TB) string {
	t.Helper()
	return fresco.start(t, emulator.Options{Template: filepath.Join("..", "template.yaml")}, serverLog)
}

// sharedServer is one fresco started on first use by the tests that share
// it, and stopped by TestMain after all of them.
type sharedServer struct {
	once   sync.Once
	url    string
	err    error
	cancel context.CancelFunc
	served chan error
}

// sharedServers are the servers started so far, for TestMain to stop.
var (
	sharedMu      sync.Mutex
	sharedServers []*sharedServer
)

// start starts the server with opts (logs to log) the first time, and
// returns its base URL.
func (s *sharedServer) start(t testing.TB, opts emulator.Options, log io.Writer) string {
	t.Helper()
	s.once.Do(func() {
		ready := make(chan string, 1)
		out := log
		if testing.Verbose() {
			out = io.MultiWriter(log, os.Stderr)
		}
		opts.Logger = slog.New(slog.NewTextHandler(out, nil))
		opts.FunctionLog = out
		opts.BuildOutput = out
		// Every reset in the end-to-end tests is checked against its
		// snapshot, byte for byte.
		opts.VerifyResets = true
		ctx, cancel := context.WithCancel(context.Background())
		s.cancel = cancel
		s.served = make(chan error, 1)
		sharedMu.Lock()
		sharedServers = append(sharedServers, s)
		sharedMu.Unlock()
		go func() {
			s.served <- server.Serve(ctx, opts, "127.0.0.1:0", 5*time.Second, ready)
		}()
		select {
		case addr := <-ready:
			s.url = "http://" + addr
		case s.err = <-s.served:
			s.served <- s.err
		case <-time.After(15 * time.Minute):
			s.err = context.DeadlineExceeded
		}
	})
	if s.err != nil {
		t.Fatalf("start fresco: %v\n%s", s.err, log)
	}
	return s.url
}

// stopSharedServers shuts every shared server down and waits for them.
func stopSharedServers() error {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	var errs []error
	for _, s := range sharedServers {
		s.cancel()
		select {
		case err := <-s.served:
			errs = append(errs, err)
		case <-time.After(time.Minute):
			errs = append(errs, errors.New("a shared server did not stop within a minute"))
		}
	}
	return errors.Join(errs...)
}
