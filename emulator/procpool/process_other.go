//go:build !unix

package procpool

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup does nothing where process groups are not available.
func setProcessGroup(cmd *exec.Cmd) {}

// killProcessGroup kills the process only: its children, if any, survive
// on systems without process groups.
func killProcessGroup(cmd *exec.Cmd) error {
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// signalProcessGroup cannot signal here (no SIGTERM to send): a process
// is killed without grace.
func signalProcessGroup(*exec.Cmd, syscall.Signal) error { return errors.ErrUnsupported }
