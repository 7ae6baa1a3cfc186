//go:build !linux

package wasmhost

func adviseHugeCode() {}
