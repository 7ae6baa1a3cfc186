package wasi

// Resettable reports whether the WASI function name changes no state of the
// calling instance's WASI context: an instance whose guest called only
// these (and fresco's ABI) can be reset to its image. A call to any other
// (fd_close, fd_renumber, fd_fdstat_set_flags, path_open, fd_seek, ...)
// taints the invocation, and its instance is discarded rather than reset.
func Resettable(name string) bool { return stateless[name] }

var stateless = map[string]bool{
	"args_get": true, "args_sizes_get": true, "environ_get": true, "environ_sizes_get": true,
	"clock_res_get": true, "clock_time_get": true, "random_get": true, "sched_yield": true,
	"poll_oneoff": true, "proc_exit": true,
	// Only the standard descriptors exist (no preopens, no sockets): stdout
	// and stderr write to the invocation's log, stdin is empty.
	"fd_write": true, "fd_read": true, "fd_fdstat_get": true, "fd_filestat_get": true,
	"fd_prestat_get": true, "fd_prestat_dir_name": true,
	// fresco's standard descriptors are never *os.File (stdin is wazero's
	// no-op reader, stdout and stderr are io.Writers), and for those
	// wazero's fd_fdstat_set_flags changes nothing: they are neither
	// pollable nor regular files, so NONBLOCK and APPEND have nowhere to
	// go. Go's runtime calls it on them during init.
	"fd_fdstat_set_flags": true, "fd_fdstat_set_rights": true,
}
