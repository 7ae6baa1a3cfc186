package wasi

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
)

func TestResettable(t *testing.T) {
	for name, want := range map[string]bool{
		"fd_write": true, "fd_read": true, "clock_time_get": true, "random_get": true,
		"poll_oneoff": true, "proc_exit": true, "path_unlink_file": true, "path_create_directory": true,
		// Watched: they keep the instance resettable or not by argument.
		"fd_fdstat_set_flags": false, "fd_close": false, "path_open": false, "fd_seek": false,
		"fd_renumber": false, "sock_accept": false, "": false,
	} {
		if got := Resettable(name); got != want {
			t.Errorf("Resettable(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestWatch: calls on the descriptors instantiation made taint the
// invocation, calls on the guest's own do not, and path_open and fd_close
// count its open files.
func TestWatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fd      uint32
		errno   uint64
		tainted bool
		open    int
	}{
		{"fd_seek", 1, 0, true, 0},
		{"fd_seek", 4, 0, true, 0},
		{"fd_seek", FirstFD, 0, false, 0},
		{"fd_readdir", 3, 0, true, 0},
		{"fd_readdir", 7, 0, false, 0},
		{"fd_fdstat_set_flags", 1, 0, false, 0},
		{"fd_fdstat_set_flags", 3, 0, true, 0},
		{"fd_close", 1, 0, true, -1},
		{"fd_close", FirstFD, 0, false, -1},
		{"fd_close", FirstFD, 8, false, 0}, // EBADF: nothing closed
		{"path_open", 3, 0, false, 1},
		{"path_open", 4, 44, false, 0}, // ENOENT: nothing opened
		{"fd_renumber", FirstFD, 0, true, 0},
		{"sock_accept", FirstFD, 0, true, 0},
	} {
		inv := abi.New(&invoke.Request{})
		ctx := abi.With(context.Background(), inv)
		l := Watch(tc.name)
		if l == nil {
			t.Fatalf("%s is not watched", tc.name)
		}
		l.Before(ctx, nil, nil, []uint64{api.EncodeU32(tc.fd), 0, 0, 0, 0, 0, 0, 0, 0}, nil)
		l.After(ctx, nil, nil, []uint64{tc.errno})
		if (inv.Tainted != "") != tc.tainted || inv.OpenFiles != tc.open {
			t.Errorf("%s(%d) errno %d: tainted %q, open files %d; want tainted %v, %d", tc.name, tc.fd, tc.errno, inv.Tainted, inv.OpenFiles, tc.tainted, tc.open)
		}
	}
	for _, name := range []string{"fd_write", "fd_read", "path_rename", "clock_time_get"} {
		if Watch(name) != nil {
			t.Errorf("%s is watched", name)
		}
	}
}
