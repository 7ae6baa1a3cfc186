package emulator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestMain stops the shared servers after the tests, then fails the run if
// a runtime process, or anything in its process group, outlived them.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := stopSharedServers(); err != nil {
		fmt.Fprintf(os.Stderr, "stop shared servers: %v\n", err)
		code = 1
	}
	if processStateDir != "" {
		os.RemoveAll(processStateDir)
	}
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	if leaks := leakedProcesses(startedPIDs(serverLog.String(), processLog.String())); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "runtime processes outlived the emulator:\n%s\n", strings.Join(leaks, "\n"))
		code = 1
	}
	os.Exit(code)
}

var startedRE = regexp.MustCompile(`msg="runtime process started" function=\S+ pid=(\d+)`)

// startedPIDs are the runtime processes the logs say were started.
func startedPIDs(logs ...string) map[int]bool {
	pids := map[int]bool{}
	for _, l := range logs {
		for _, m := range startedRE.FindAllStringSubmatch(l, -1) {
			pid, _ := strconv.Atoi(m[1])
			pids[pid] = true
		}
	}
	return pids
}

// leakedProcesses lists the live (not zombie) processes that are one of
// pids or in the process group of one: the runtime processes and what they
// started (a shell bootstrap's curl). Only Linux is checked, through /proc.
func leakedProcesses(pids map[int]bool) []string {
	if runtime.GOOS != "linux" || len(pids) == 0 {
		return nil
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var leaks []string
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		pid, _ := strconv.Atoi(strings.Fields(s)[0])
		pgrp, _ := strconv.Atoi(f[2])
		if pids[pid] || pids[pgrp] {
			leaks = append(leaks, strings.TrimSpace(s[:i+1]))
		}
	}
	return leaks
}

// TestLeakCheckSeesProcesses: the leak check finds a live process by pid
// and by process group, so that its silence after the run means something.
func TestLeakCheckSeesProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the leak check reads /proc")
	}
	self := os.Getpid()
	if leaks := leakedProcesses(map[int]bool{self: true}); len(leaks) == 0 {
		t.Fatalf("the check does not see this process (%d)", self)
	}
	if got := startedPIDs(`time=x level=INFO msg="runtime process started" function=F pid=42 bootstrap=/b`); !got[42] {
		t.Fatalf("startedPIDs = %v", got)
	}
}
