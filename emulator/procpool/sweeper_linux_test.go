package procpool

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// kill9Env, in the test binary's environment, makes it a stand-in for
// fresco (see init): it runs a pool of testdata/escape with its state in
// the variable's directory, invokes it once, writes "<bootstrap pid>
// <cgroup>" to ready there, and waits to be killed. kill9NoCgroupEnv
// has it leave cgroups alone.
const (
	kill9Env         = "PROCPOOL_TEST_KILL9_STATE"
	kill9NoCgroupEnv = "PROCPOOL_TEST_KILL9_NO_CGROUP"
)

func init() {
	state, ok := os.LookupEnv(kill9Env)
	if !ok {
		return
	}
	if os.Getenv(kill9NoCgroupEnv) != "" {
		useCgroup = false
	}
	if err := kill9Helper(state); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	select {} // until killed
}

func kill9Helper(state string) error {
	dir, err := filepath.Abs(filepath.Join("testdata", "escape"))
	if err != nil {
		return err
	}
	pl := New(Config{
		ID: "Escape", Name: "Escape", Runtime: "provided.al2023", Handler: "escape.handler",
		MemoryMB: 128, Timeout: 30 * time.Second, Env: map[string]string{"STATE_DIR": state},
		Region: "us-east-1", ARN: testARN, Bootstrap: filepath.Join(dir, "bootstrap"), Dir: dir,
		MaxProcesses: 1, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	res := pl.Invoke(context.Background(), &invoke.Request{
		RequestID: invoke.NewRequestID(), Payload: []byte(`{}`), InvokedFunctionARN: testARN,
	})
	if res.Kind != invoke.Success {
		return fmt.Errorf("invoke: %v %s: %s", res.Kind, res.ErrorType, res.Payload)
	}
	var answer struct{ Pid int }
	if err := json.Unmarshal(res.Payload, &answer); err != nil {
		return fmt.Errorf("answer %s: %w", res.Payload, err)
	}
	cgroup := "-"
	if s := theSweeper; s != nil && s.cgroup != nil { // started by the invocation
		cgroup = s.dir
	}
	ready := fmt.Sprintf("%d %s\n", answer.Pid, cgroup)
	tmp := filepath.Join(state, "ready.tmp")
	if err := os.WriteFile(tmp, []byte(ready), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(state, "ready"))
}

// TestKill9SweepsFamilies: fresco (here the test binary, started again
// as a separate process) runs a bootstrap with two sleeps in sessions of
// their own, one its child and one orphaned to fresco, and is killed with
// SIGKILL; the bootstrap and both sleeps are gone within seconds, swept
// by the cgroup where one can be made, and by their environment where
// not.
func TestKill9SweepsFamilies(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("the bootstrap needs curl")
	}
	for _, tc := range []struct {
		name   string
		cgroup bool
	}{{"cgroup", true}, {"environment", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			state := t.TempDir()
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			fresco := exec.Command(exe)
			fresco.Env = append(os.Environ(), kill9Env+"="+state)
			if !tc.cgroup {
				fresco.Env = append(fresco.Env, kill9NoCgroupEnv+"=1")
			}
			logs := &syncBuffer{}
			fresco.Stdout, fresco.Stderr = logs, logs
			if err := fresco.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { fresco.Wait(); close(exited) }()
			defer func() { fresco.Process.Kill(); <-exited }()

			var ready []byte
			deadline := time.Now().Add(30 * time.Second)
			for ready == nil {
				ready, _ = os.ReadFile(filepath.Join(state, "ready"))
				select {
				case <-exited:
					t.Fatalf("the stand-in for fresco exited:\n%s", logs.String())
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("the stand-in for fresco never got its answer:\n%s", logs.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			f := strings.Fields(string(ready))
			bootstrap, _ := strconv.Atoi(f[0])
			cgroup := f[1]
			pids := append(grandchildren(t, state), bootstrap)
			if st, _ := statOf(pids[1]); st.ppid != fresco.Process.Pid {
				t.Errorf("the setsid -f orphan's parent is %d, want the stand-in for fresco (%d)", st.ppid, fresco.Process.Pid)
			}
			if tc.cgroup {
				if cgroup == "-" {
					t.Skipf("no cgroup could be made here:\n%s", logs.String())
				}
				for _, pid := range pids {
					if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup"); !strings.Contains(string(b), filepath.Base(cgroup)+"\n") {
						t.Errorf("process %d is not in %s: %s", pid, cgroup, b)
					}
				}
			} else if cgroup != "-" {
				t.Fatalf("a cgroup (%s) was made, but cgroups were to be left alone", cgroup)
			}

			sweepers := 0
			for _, pid := range childrenOf(fresco.Process.Pid) {
				if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); string(comm) == sweeperName+"\n" {
					sweepers++
				}
			}
			if sweepers != 1 {
				t.Errorf("the stand-in for fresco has %d children named %s, want 1", sweepers, sweeperName)
			}

			fresco.Process.Signal(syscall.SIGKILL)
			<-exited
			wantDead(t, 5*time.Second, pids...)
			if tc.cgroup {
				deadline := time.Now().Add(5 * time.Second)
				for {
					if _, err := os.Stat(cgroup); os.IsNotExist(err) {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the cgroup %s is still there", cgroup)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

// wantDead fails unless every pid has died (gone, or a zombie: after a
// kill -9 of fresco its orphans' parent is init, or whichever subreaper is
// above it, such as this test binary) within max. A survivor is killed.
func wantDead(t *testing.T, max time.Duration, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(max)
	for _, pid := range pids {
		for {
			st, ok := statOf(pid)
			if !ok || st.state == 'Z' || st.state == 'X' {
				break
			}
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("process %d is still running (state %c, parent %d)", pid, st.state, st.ppid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
