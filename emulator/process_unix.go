//go:build unix

package emulator

import (
	"errors"
	"os/exec"
	"syscall"
)

// setProcessGroup makes the process the leader of a new process group, so
// that killProcessGroup also reaches what it started (a shell bootstrap's
// curl).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills the process group that setProcessGroup made for
// cmd. A group that no longer exists is not an error.
func killProcessGroup(cmd *exec.Cmd) error {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
