//go:build !linux

package procpool

import (
	"log/slog"
	"os/exec"
)

// sweeper does nothing here: a kill -9 of fresco leaves what a runtime
// process started (its process group killed on a normal stop) running.
type sweeper struct{}

func sweeperFor(*slog.Logger) *sweeper { return nil }

func (*sweeper) watch(string)         {}
func (*sweeper) forget(string)        {}
func (*sweeper) place(*exec.Cmd) bool { return false }
func (*sweeper) cgroupFailed(error)   {}
