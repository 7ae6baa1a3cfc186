package procpool

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sweeperEnv, in a process's environment, makes it fresco's sweeper: the
// package's init runs the sweeper and exits, before main (or a test
// binary's TestMain) runs. Its value is the cgroup directory the sweeper
// kills, or empty for none.
const sweeperEnv = "FRESCO_PROCPOOL_SWEEPER"

// sweeperName is the sweeper's argv[0] and its name (comm).
const sweeperName = "fresco-sweeper"

// sweepTimeout bounds a sweep: the cgroup's emptying, then the rounds of
// the environment scan.
const sweepTimeout = 5 * time.Second

func init() {
	if dir, ok := os.LookupEnv(sweeperEnv); ok {
		os.Exit(runSweeper(os.Stdin, dir))
	}
}

// useCgroup is false to leave cgroups alone (the tests' way to exercise
// the environment scan on a machine where a cgroup can be made).
var useCgroup = true

// A sweeper is the process that kills what is left of every runtime
// process's family once fresco has exited, however it exited (kill -9
// included): a child of fresco, in a process group of its own, that reads
// a pipe only fresco holds the write end of, and sweeps at its EOF. It
// kills the cgroup all runtime processes were started in, where one could
// be made, and then every process whose environment carries the Runtime
// API address of a process fresco had not stopped yet (which only such a
// process's descendants inherited). A nil *sweeper does nothing.
type sweeper struct {
	logger *slog.Logger

	mu       sync.Mutex
	lifeline *os.File // the write end; nil once the sweeper is found gone
	cgroup   *os.File // the cgroup's directory, for CLONE_INTO_CGROUP; nil if none
	dir      string
}

var (
	sweeperOnce sync.Once
	theSweeper  *sweeper
)

// sweeperFor is fresco's sweeper, started at the first call (logging to
// logger), or nil if it cannot be started.
func sweeperFor(logger *slog.Logger) *sweeper {
	sweeperOnce.Do(func() { theSweeper = startSweeper(logger) })
	return theSweeper
}

// startSweeper makes the cgroup, if it can, and starts the sweeper.
func startSweeper(logger *slog.Logger) *sweeper {
	s := &sweeper{logger: logger}
	if useCgroup {
		dir, f, err := makeCgroup()
		if err != nil {
			logger.Info("runtime processes run in fresco's own cgroup: after a kill -9 of fresco, their descendants are found by their environment",
				"error", err.Error())
		} else {
			s.dir, s.cgroup = dir, f
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		s.dropCgroup()
		logger.Warn("cannot start the sweeper: a kill -9 of fresco leaves runtime processes' descendants running", "error", err.Error())
		return nil
	}
	// /proc/self/exe rather than os.Executable: the running image, even
	// after the file was rebuilt or removed.
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{sweeperName}
	cmd.Env = []string{sweeperEnv + "=" + s.dir}
	cmd.Dir = "/"
	cmd.Stdin = r
	// A group of its own: a terminal's ^C goes to fresco, which stops its
	// processes, and not to the sweeper, which would then have nothing to
	// sweep after a kill -9.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		s.dropCgroup()
		logger.Warn("cannot start the sweeper: a kill -9 of fresco leaves runtime processes' descendants running", "error", err.Error())
		return nil
	}
	s.lifeline = w
	go func() {
		// Only while fresco runs: the sweeper exits at the lifeline's EOF.
		err := cmd.Wait()
		logger.Warn("the sweeper exited: a kill -9 of fresco now leaves runtime processes' descendants running", "error", fmt.Sprint(err))
	}()
	return s
}

// watch tells the sweeper about a runtime process's Runtime API address,
// before the process starts, so that its family is swept from then on.
func (s *sweeper) watch(addr string) { s.send("add " + addr + "\n") }

// forget tells the sweeper that the process of addr has been stopped with
// its family, before its address is released (and may be reused).
func (s *sweeper) forget(addr string) { s.send("del " + addr + "\n") }

func (s *sweeper) send(line string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lifeline == nil {
		return
	}
	// Shorter than PIPE_BUF, so written whole.
	if _, err := io.WriteString(s.lifeline, line); err != nil {
		s.logger.Warn("the sweeper is gone: a kill -9 of fresco now leaves runtime processes' descendants running", "error", err.Error())
		s.lifeline.Close()
		s.lifeline = nil
	}
}

// place has cmd started in the cgroup, if there is one, and tells whether
// it will be.
func (s *sweeper) place(cmd *exec.Cmd) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cgroup == nil {
		return false
	}
	cmd.SysProcAttr.UseCgroupFD = true
	cmd.SysProcAttr.CgroupFD = int(s.cgroup.Fd())
	return true
}

// cgroupFailed gives up the cgroup: a process could not be started in it
// (err) but could be without it.
func (s *sweeper) cgroupFailed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cgroup == nil {
		return
	}
	s.logger.Warn("cannot start runtime processes in fresco's cgroup: after a kill -9 of fresco, their descendants are found by their environment",
		"cgroup", s.dir, "error", err.Error())
	// Still the sweeper's to remove: it kills and removes it at exit,
	// and nothing is started in it any more. The directory stays open: a
	// start placed a moment ago may still use its descriptor.
	s.cgroup = nil
}

// dropCgroup removes a cgroup the sweeper will not have.
func (s *sweeper) dropCgroup() {
	if s.cgroup != nil {
		s.cgroup.Close()
		os.Remove(s.dir)
		s.cgroup, s.dir = nil, ""
	}
}

// makeCgroup makes fresco-<pid>, a child of fresco's own cgroup v2, where
// it may (a writable unified hierarchy: root, or a delegated subtree such
// as a systemd user session's), and that has cgroup.kill (Linux 5.14). It
// returns its path and its directory opened.
func makeCgroup() (string, *os.File, error) {
	parent, err := ownCgroup()
	if err != nil {
		return "", nil, err
	}
	sweepStaleCgroups(parent)
	dir := filepath.Join(parent, "fresco-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("make cgroup: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err != nil {
		os.Remove(dir)
		return "", nil, fmt.Errorf("cgroup without cgroup.kill: %w", err)
	}
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		os.Remove(dir)
		return "", nil, fmt.Errorf("open cgroup: %w", err)
	}
	return dir, f, nil
}

// sweepStaleCgroups removes the fresco-<pid> cgroups under parent that a
// fresco whose sweeper was killed too left behind. rmdir removes only an
// empty cgroup, so one still in use, or not fresco's, stays.
func sweepStaleCgroups(parent string) {
	stale, _ := filepath.Glob(filepath.Join(parent, "fresco-[0-9]*"))
	for _, dir := range stale {
		if pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "fresco-")); err == nil && !exists(pid) {
			os.Remove(dir)
		}
	}
}

// exists tells whether process pid exists, zombie or not.
func exists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// ownCgroup is the directory of fresco's cgroup in the unified (v2)
// hierarchy.
func ownCgroup() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	var path string
	found := false
	for line := range strings.SplitSeq(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			path, found = p, true
		}
	}
	if !found {
		return "", errors.New("no cgroup v2 hierarchy")
	}
	mnt, root, err := cgroup2Mount()
	if err != nil {
		return "", err
	}
	rel, ok := strings.CutPrefix(path, root)
	if !ok {
		return "", fmt.Errorf("cgroup %s is outside the mount of %s", path, root)
	}
	return filepath.Join(mnt, rel), nil
}

// cgroup2Mount is where the cgroup2 file system is mounted, and the
// cgroup that mount shows as its root.
func cgroup2Mount() (mountPoint, root string, err error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", "", err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		// id parent major:minor root mountpoint options [tags] - fstype source superoptions
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if ok && len(f) >= 5 && len(g) >= 1 && g[0] == "cgroup2" {
			return unescapeMount(f[4]), unescapeMount(f[3]), nil
		}
	}
	return "", "", errors.New("no cgroup2 mount")
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// runSweeper is the sweeper's main: it keeps the Runtime API addresses
// that fresco writes to lifeline until its EOF (fresco has exited: its
// end of the pipe is closed however it died), then sweeps. It ignores the
// signals a terminal or a service manager sends to stop fresco: only the
// EOF stops it.
func runSweeper(lifeline io.Reader, cgroupDir string) int {
	// Its name in ps and top, rather than "exe". init runs on the main
	// thread, whose name is the process's.
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&append([]byte(sweeperName), 0)[0])), 0, 0, 0)
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	addrs := map[string]bool{}
	sc := bufio.NewScanner(lifeline)
	for sc.Scan() {
		verb, addr, _ := strings.Cut(sc.Text(), " ")
		switch verb {
		case "add":
			addrs[addr] = true
		case "del":
			delete(addrs, addr)
		}
	}
	deadline := time.Now().Add(sweepTimeout)
	if cgroupDir != "" {
		killCgroup(cgroupDir, deadline)
	}
	var markers [][]byte
	for addr := range addrs {
		markers = append(markers, apiMarker(addr))
	}
	killMarked(markers, deadline)
	return 0
}

// killCgroup kills every process in the cgroup dir at once (cgroup.kill:
// one that forks meanwhile cannot leave a child behind), waits until none
// is left, and removes it.
func killCgroup(dir string, deadline time.Time) {
	if err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0); err != nil {
		return
	}
	for {
		// rmdir succeeds once the cgroup is empty (zombies do not count).
		if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// killMarked kills, round after round until a round finds none, every
// process whose environment carries one of markers: the members of the
// families fresco had not stopped (a member forking while it dies leaves
// a child with the same environment, which the next round finds).
func killMarked(markers [][]byte, deadline time.Time) {
	if len(markers) == 0 {
		return
	}
	self := os.Getpid()
	for time.Now().Before(deadline) {
		killed := 0
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, d := range dirs {
			pid, err := strconv.Atoi(filepath.Base(d))
			if err != nil || pid == self {
				continue
			}
			env, err := os.ReadFile(d + "/environ") // empty for a zombie
			if err != nil {
				continue
			}
			for _, m := range markers {
				if carries(env, m) {
					if syscall.Kill(pid, syscall.SIGKILL) == nil {
						killed++
					}
					break
				}
			}
		}
		if killed == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// apiMarker is how AWS_LAMBDA_RUNTIME_API=addr appears in an environ file.
func apiMarker(addr string) []byte { return []byte("AWS_LAMBDA_RUNTIME_API=" + addr + "\x00") }

// carries tells whether environ (a /proc/<pid>/environ) holds marker, a
// whole NUL-terminated variable.
func carries(environ, marker []byte) bool {
	return bytes.HasPrefix(environ, marker) || bytes.Contains(environ, append([]byte{0}, marker...))
}
