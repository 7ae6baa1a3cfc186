package emulator_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator"
)

// server is one fresco serving the repository's template.yaml, shared by
// the end-to-end tests of this package.
var (
	serverOnce sync.Once
	serverAddr string
	serverErr  error
	serverLog  = &syncBuffer{}
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

// startServer starts fresco on a free loopback port (once) and returns its
// base URL.
func startServer(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() {
		ready := make(chan string, 1)
		errc := make(chan error, 1)
		out := io.MultiWriter(serverLog)
		if testing.Verbose() {
			out = io.MultiWriter(serverLog, os.Stderr)
		}
		opts := emulator.Options{
			Template:    filepath.Join("..", "template.yaml"),
			Logger:      slog.New(slog.NewTextHandler(out, nil)),
			FunctionLog: out,
			BuildOutput: out,
			// Every reset in the end-to-end tests is checked against its
			// snapshot, byte for byte.
			VerifyResets: true,
		}
		go func() {
			errc <- emulator.Serve(context.Background(), opts, "127.0.0.1:0", 5*time.Second, ready)
		}()
		select {
		case addr := <-ready:
			serverAddr = "http://" + addr
		case serverErr = <-errc:
		case <-time.After(15 * time.Minute):
			serverErr = context.DeadlineExceeded
		}
	})
	if serverErr != nil {
		t.Fatalf("start fresco: %v\n%s", serverErr, serverLog.String())
	}
	return serverAddr
}
