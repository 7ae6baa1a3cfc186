//go:build !linux

package wasmhost

func userfaultfdExists() bool { return false }
