package emulator_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledFrescoTakesItsProcesses: a runtime process runs in a process
// group of its own, out of reach of the signals sent to fresco's; if fresco
// is killed outright (SIGKILL: nothing of it runs to stop them), the kernel
// still kills its runtime processes, even one busy in a handler, which
// would not notice that its Runtime API went away until it answered.
func TestKilledFrescoTakesItsProcesses(t *testing.T) {
	cmd, url, _ := startBinary(t, buildBinary(t), "-t", filepath.Join("emulator", "testdata", "process", "template.yaml"))
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	// NativeSleep sleeps 20 s in its handler (its 1 s timeout would kill
	// it, so fresco is killed before that).
	go func() {
		resp, err := http.Post(url+"/2015-03-31/functions/NativeSleep/invocations", "", strings.NewReader(`{"ms":20000}`))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	var kids []int
	for start := time.Now(); len(kids) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("fresco started no runtime process for NativeSleep")
		}
		for _, pid := range children(t, cmd.Process.Pid) {
			// Not procpool's sweeper, which outlives fresco a moment.
			if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); string(comm) != "fresco-sweeper\n" {
				kids = append(kids, pid)
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // into the handler's sleep
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	killed = true
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range kids {
		for alive(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(-pid, syscall.SIGKILL)
				t.Fatalf("runtime process %d outlived the fresco that started it", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestKill9LeavesNoRuntimeProcess: the fresco binary runs a bootstrap
// whose two sleeps are in sessions of their own (one its child, one
// orphaned to fresco at once) and is killed with SIGKILL; the bootstrap
// and both sleeps die within seconds (procpool's sweeper).
func TestKill9LeavesNoRuntimeProcess(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	var log syncBuffer
	cmd, url := startLogged(t, bin, &log, "--state-dir", t.TempDir(),
		"-t", filepath.Join("emulator", "testdata", "kill9", "template.yaml"),
		"--parameter-overrides", "StateDir="+state)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	resp, err := http.Post(url+"/2015-03-31/functions/Escape/invocations", "", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte(`{"pid":`)) {
		t.Fatalf("%d %s\n%s", resp.StatusCode, body, log.String())
	}
	bootstrap, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(string(body), `{"pid":`), "}"))
	pids := []int{bootstrap}
	for _, name := range []string{"child.pid", "orphan.pid"} {
		b, err := os.ReadFile(filepath.Join(state, name))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("process %d is not running before the kill", pid)
		}
	}

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("process %d outlived fresco's kill -9 by 5 s\n%s", pid, log.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// children lists the child processes of pid.
func children(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
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

// alive reports whether pid is a process that has not exited (a zombie
// waiting for its new parent to reap it counts as gone).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
