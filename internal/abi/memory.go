package abi

import (
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// FaultError is the panic value of a host function that found the guest
// breaking the ABI. wazero recovers it and ends the call with an error;
// the invocation records it first (Invocation.Fault), so classification
// does not depend on how wazero wraps it.
type FaultError struct{ msg string }

func (f *FaultError) Error() string { return f.msg }

// Fault records on inv, and panics with, the ABI violation of call (named
// "module.function") that format describes.
func Fault(inv *Invocation, call string, format string, args ...any) {
	f := &FaultError{msg: call + ": " + fmt.Sprintf(format, args...)}
	if inv != nil && inv.Fault == nil {
		inv.Fault = f
	}
	panic(f)
}

// Read returns a copy of guest memory [ptr, ptr+n), or faults.
func Read(inv *Invocation, mod api.Module, call string, ptr, n uint32) []byte {
	mem := mod.Memory()
	if mem == nil {
		Fault(inv, call, "the module exports no memory")
	}
	b, ok := mem.Read(ptr, n)
	if !ok {
		Fault(inv, call, "buffer [%#x, +%d) is outside guest memory (%d bytes)", ptr, n, mem.Size())
	}
	return append([]byte(nil), b...)
}

// CheckRange faults unless [ptr, ptr+n) lies within guest memory, and
// returns the memory.
func CheckRange(inv *Invocation, mod api.Module, call string, ptr, n uint32) api.Memory {
	mem := mod.Memory()
	if mem == nil {
		Fault(inv, call, "the module exports no memory")
	}
	if uint64(ptr)+uint64(n) > uint64(mem.Size()) {
		Fault(inv, call, "buffer [%#x, +%d) is outside guest memory (%d bytes)", ptr, n, mem.Size())
	}
	return mem
}

// I32 converts a host result to the stack's representation of an i32.
func I32(v int32) uint64 { return uint64(uint32(v)) }
