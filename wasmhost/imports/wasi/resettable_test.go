package wasi

import "testing"

func TestResettable(t *testing.T) {
	for name, want := range map[string]bool{
		"fd_write": true, "fd_read": true, "clock_time_get": true, "random_get": true,
		"poll_oneoff": true, "proc_exit": true, "fd_fdstat_set_flags": true,
		"fd_close": false, "fd_renumber": false, "path_open": false, "fd_seek": false,
		"sock_accept": false, "": false,
	} {
		if got := Resettable(name); got != want {
			t.Errorf("Resettable(%q) = %v, want %v", name, got, want)
		}
	}
}
