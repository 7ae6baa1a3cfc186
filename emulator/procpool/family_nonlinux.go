//go:build !linux

package procpool

import "syscall"

// becomeSubreaper does nothing: only Linux has child subreapers.
func becomeSubreaper() error { return nil }

// family is empty here: a runtime process's descendants are reached only
// through its process group (where there are groups).
type family struct{}

func newFamily(int, string) *family { return &family{} }

func (*family) members() []int              { return nil }
func (*family) signal(syscall.Signal) []int { return nil }
func (*family) kill([]int)                  {}
