package procpool

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// loopbackPair is an accepted loopback connection whose client end this
// process holds.
func loopbackPair(tb testing.TB) net.Conn {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { server.Close() })
	return server
}

// stranger is the family of a sleep this process starts: it holds none of
// this process's sockets.
func stranger(tb testing.TB) *family {
	tb.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return newFamily(cmd.Process.Pid, "127.0.0.1:1")
}

// TestCheckPeer: a connection is accepted from the family that holds its
// other end, refused from another.
func TestCheckPeer(t *testing.T) {
	c := loopbackPair(t)
	if err := checkPeer(c, newFamily(os.Getpid(), "127.0.0.1:1")); err != nil {
		t.Errorf("own connection refused: %v", err)
	}
	if err := checkPeer(c, stranger(t)); err == nil {
		t.Error("a connection held by another process was accepted")
	}
}

// BenchmarkCheckPeer measures the check made once per Runtime API
// connection: accepted (the root holds the socket) and refused (the whole
// family and fresco's children are searched). SockDiag is the kernel
// lookup alone; ProcNetTCP, for comparison, reading the table that the
// other way would scan (its cost grows with every socket of the machine).
func BenchmarkCheckPeer(b *testing.B) {
	c := loopbackPair(b)
	b.Run("accepted", func(b *testing.B) {
		fam := newFamily(os.Getpid(), "127.0.0.1:1")
		for b.Loop() {
			if err := checkPeer(c, fam); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("refused", func(b *testing.B) {
		fam := stranger(b)
		for b.Loop() {
			if err := checkPeer(c, fam); err == nil {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("SockDiag", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := peerSocket(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ProcNetTCP", func(b *testing.B) {
		for b.Loop() {
			if _, err := os.ReadFile("/proc/net/tcp"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
