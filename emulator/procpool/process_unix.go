//go:build unix

package procpool

import (
	"errors"
	"os/exec"
	"syscall"
)

// setProcessGroup makes the process the leader of a new process group, so
// that killProcessGroup also reaches what it started (a shell bootstrap's
// curl), and, where the system can, has it killed if fresco dies without
// stopping it (kill -9): a group of its own no longer gets fresco's
// signals.
func setProcessGroup(cmd *exec.Cmd) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(attr)
	cmd.SysProcAttr = attr
}

// killProcessGroup kills the process group that setProcessGroup made for
// cmd. A group that no longer exists is not an error.
func killProcessGroup(cmd *exec.Cmd) error {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// signalProcessGroup sends sig to the process group that setProcessGroup
// made for cmd.
func signalProcessGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
