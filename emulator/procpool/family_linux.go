package procpool

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// becomeSubreaper makes fresco a child subreaper, once: a process that a
// runtime's descendant orphans (a bootstrap's `setsid -f` daemon, or the
// children of a process being killed) is reparented to fresco rather than
// to init, so that fresco can still find it and kill it.
var becomeSubreaper = sync.OnceValue(func() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
})

// haveChildrenFiles tells whether /proc/<pid>/task/<tid>/children exists
// (CONFIG_PROC_CHILDREN); without it children are found from every
// process's stat.
var haveChildrenFiles = sync.OnceValue(func() bool {
	_, err := os.Stat("/proc/self/task/" + strconv.Itoa(unix.Gettid()) + "/children")
	return err == nil
})

// childrenOf lists the live children of pid.
func childrenOf(pid int) []int {
	if !haveChildrenFiles() {
		return childrenFromStat(pid)
	}
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var kids []int
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(field); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

// childrenFromStat lists the children of pid from every process's parent
// in /proc/*/stat: the slow way, where children files do not exist.
func childrenFromStat(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []int
	for _, path := range stats {
		st, ok := readStat(path)
		if ok && st.ppid == pid {
			n, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			kids = append(kids, n)
		}
	}
	return kids
}

// procStat is what fresco reads of /proc/<pid>/stat.
type procStat struct {
	state      byte
	ppid, pgrp int
	start      uint64 // clock ticks after boot: with the pid, unique
}

// readStat reads a process's stat file.
func readStat(path string) (procStat, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, false
	}
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice threads
	// itrealvalue starttime ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, false
	}
	st := procStat{state: f[0][0]}
	var e1, e2, e3 error
	st.ppid, e1 = strconv.Atoi(string(f[1]))
	st.pgrp, e2 = strconv.Atoi(string(f[2]))
	st.start, e3 = strconv.ParseUint(string(f[19]), 10, 64)
	return st, e1 == nil && e2 == nil && e3 == nil
}

func statOf(pid int) (procStat, bool) { return readStat("/proc/" + strconv.Itoa(pid) + "/stat") }

// family is what belongs to one runtime process: the process, its
// descendants, and the orphans of its descendants that were reparented to
// fresco (found by the Runtime API address in their environment, which
// only a descendant of the process inherited), with their descendants.
type family struct {
	root      int
	rootStart uint64 // the root's start time, so that a reused pid is not taken for it
	marker    []byte // "AWS_LAMBDA_RUNTIME_API=host:port\x00" as in environ
}

// newFamily is the family of root, a process fresco started (and has not
// reaped) with apiAddr as its Runtime API.
func newFamily(root int, apiAddr string) *family {
	st, _ := statOf(root)
	return &family{root: root, rootStart: st.start, marker: apiMarker(apiAddr)}
}

// walk calls visit on every live member, the root first, then its
// descendants, then the adopted orphans and theirs, breadth first, until
// visit returns false. A process is visited once.
func (f *family) walk(visit func(pid int, st procStat) bool) {
	seen := map[int]bool{}
	var queue []int
	add := func(pids ...int) {
		for _, p := range pids {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	drain := func() bool {
		for len(queue) > 0 {
			pid := queue[0]
			queue = queue[1:]
			st, ok := statOf(pid)
			if !ok || st.state == 'Z' || st.state == 'X' {
				continue // gone, or dead: its children were reparented
			}
			if pid == f.root && st.start != f.rootStart {
				continue // reaped, and the pid reused
			}
			if !visit(pid, st) {
				return false
			}
			add(childrenOf(pid)...)
		}
		return true
	}
	add(f.root)
	if !drain() {
		return
	}
	// Orphans: fresco's children that are not the root, carrying the
	// root's Runtime API address. Other runtime processes are fresco's
	// children too; their environment names another address.
	for _, pid := range childrenOf(os.Getpid()) {
		if !seen[pid] && f.adopted(pid) {
			add(pid)
		}
	}
	drain()
}

// adopted tells whether pid, a child of fresco, inherited the family's
// environment.
func (f *family) adopted(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	return carries(b, f.marker)
}

// members lists the family's live processes.
func (f *family) members() []int {
	var pids []int
	f.walk(func(pid int, _ procStat) bool { pids = append(pids, pid); return true })
	return pids
}

// signal sends sig to every live member outside the root's process group,
// which the caller signals as a whole (so that a member gets the signal
// once). It returns the pids signalled.
func (f *family) signal(sig syscall.Signal) []int {
	var sent []int
	f.walk(func(pid int, st procStat) bool {
		if st.pgrp != f.root && syscall.Kill(pid, sig) == nil {
			sent = append(sent, pid)
		}
		return true
	})
	return sent
}

// kill kills every member outside the root's process group (which the
// caller kills) until none is left: a member that forks while it is
// killed leaves an orphan, which the subreaper gets and the next round
// finds. Then it reaps what ends as fresco's zombie children among the
// killed and before (the members the caller listed before killing the
// group: a group member whose parent died first is reparented to fresco).
// It gives up after a second.
func (f *family) kill(before []int) {
	dead := map[int]bool{}
	for _, pid := range before {
		if pid != f.root {
			dead[pid] = true
		}
	}
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		fresh := 0
		for _, pid := range f.signal(syscall.SIGKILL) {
			if !dead[pid] {
				fresh++
			}
			dead[pid] = true
		}
		if fresh == 0 {
			break
		}
	}
	for reapAdopted(dead); len(dead) > 0 && time.Now().Before(deadline); reapAdopted(dead) {
		time.Sleep(time.Millisecond)
	}
}

// reapAdopted waits for the processes of killed that are zombies whose
// parent is fresco (orphans it adopted: nothing else would reap them),
// and forgets those that are gone (their own parent reaped them).
func reapAdopted(killed map[int]bool) {
	self := os.Getpid()
	for pid := range killed {
		st, ok := statOf(pid)
		switch {
		case !ok:
			delete(killed, pid)
		case st.state == 'Z' && st.ppid == self:
			var ws unix.WaitStatus
			unix.Wait4(pid, &ws, unix.WNOHANG, nil)
			delete(killed, pid)
		}
		// Otherwise still dying, or a zombie whose parent is dying: it is
		// reparented to fresco once that parent has gone.
	}
}
