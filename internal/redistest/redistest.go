// Package redistest starts a real redis-server for tests and the bench: on
// a free loopback port, with its files in a temporary directory, and no
// persistence. .ci/run installs Debian's redis-server.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ErrNotInstalled: there is no redis-server on PATH.
var ErrNotInstalled = errors.New("redis-server is not installed (.ci/run installs it: apt-get install redis-server)")

// Run starts redis-server and returns its URL (redis://127.0.0.1:PORT/0)
// and the function that stops it and removes its directory.
func Run(ctx context.Context) (url string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, ErrNotInstalled
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "fresco-redis-")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no")
	out, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(dir)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-ready:
		return fmt.Sprintf("redis://127.0.0.1:%d/0", port), stop, nil
	case <-time.After(10 * time.Second):
		stop()
		return "", nil, errors.New("redis-server did not start within 10 s")
	}
}

// Start runs redis-server for the test's duration and returns its URL.
// It skips the test only where redis-server is not installed, which
// .ci/run rules out.
func Start(t testing.TB) string {
	t.Helper()
	url, stop, err := Run(context.Background())
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}
