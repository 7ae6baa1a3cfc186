package wasmhost

import "golang.org/x/sys/unix"

// userfaultfdExists reports whether the userfaultfd system call is
// implemented (any answer but ENOSYS: a descriptor, or EPERM where
// vm.unprivileged_userfaultfd forbids it).
func userfaultfdExists() bool {
	fd, _, e := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|unix.O_NONBLOCK, 0, 0)
	if e == 0 {
		unix.Close(int(fd))
	}
	return e != unix.ENOSYS
}
