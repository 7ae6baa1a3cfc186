//go:build !linux

package procpool

import (
	"os"
	"syscall"
)

// pipeUnread is -1: not known here, so output is not waited for after an
// answer.
func pipeUnread(r *os.File) int { return -1 }

// peakMemory is 0: not measured here.
func (p *process) peakMemory() uint64 { return 0 }

// dieWithParent does nothing: only Linux kills a child when its parent dies.
func dieWithParent(*syscall.SysProcAttr) {}
