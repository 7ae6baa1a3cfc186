package procpool

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// pipeUnread is how many bytes the pipe r holds unread, or -1 when the
// kernel does not say.
func pipeUnread(r *os.File) int {
	rc, err := r.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	rc.Control(func(fd uintptr) {
		// TIOCINQ is Linux's FIONREAD.
		if v, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ); err == nil {
			n = v
		}
	})
	return n
}

// peakMemory is the peak resident set of process p, in bytes, or 0 when
// unknown: VmHWM while it runs, the rusage of its exit once it has exited.
func (p *process) peakMemory() uint64 {
	if p.hasExited() {
		if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			return uint64(ru.Maxrss) << 10 // kB on Linux
		}
		return 0
	}
	return vmHWM(p.pid)
}

// vmHWM is the peak resident set of process pid, in bytes, or 0 when
// unknown.
func vmHWM(pid int) uint64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest) // "1234", "kB"
		if len(f) == 2 && string(f[1]) == "kB" {
			if kb, err := strconv.ParseUint(string(f[0]), 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// dieWithParent has the kernel kill the process when fresco dies. (The
// signal follows the thread that started the process; Go ends threads only
// when a goroutine locked to one exits, which fresco's never do.)
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
