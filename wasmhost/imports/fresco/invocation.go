package fresco

import (
	"context"

	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
)

// The calls that read the invocation: its event and its context values
// (one by one, or all at once with fresh entropy).
// During init they answer -NOT_IN_INVOCATION.

// maxContextName bounds the name a guest may pass to invocation_context.
const maxContextName = 256

// eventSize is invocation_event_size() -> size.
func eventSize(ctx context.Context, _ api.Module, stack []uint64) {
	inv := abi.From(ctx)
	if !inv.InInvoke() {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	stack[0] = abi.I32(int32(len(inv.Request.Payload)))
}

// eventRead is invocation_event_read(buf, len) -> n.
func eventRead(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".invocation_event_read"
	inv := abi.From(ctx)
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if !inv.InInvoke() {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	mem := abi.CheckRange(inv, mod, call, ptr, n)
	p := inv.Request.Payload
	if uint32(len(p)) < n {
		n = uint32(len(p))
	}
	mem.Write(ptr, p[:n])
	stack[0] = abi.I32(int32(n))
}

// contextLookup is invocation_context(name, name_len, buf, cap) -> len.
func contextLookup(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".invocation_context"
	inv := abi.From(ctx)
	namePtr, nameLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	buf, capacity := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	if !inv.InInvoke() {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	if nameLen > maxContextName {
		abi.Fault(inv, call, "name length %d exceeds %d", nameLen, maxContextName)
	}
	name := abi.Read(inv, mod, call, namePtr, nameLen)
	var mem api.Memory
	if capacity > 0 {
		mem = abi.CheckRange(inv, mod, call, buf, capacity)
	}
	v, ok := contextValue(inv, string(name))
	if !ok {
		stack[0] = abi.I32(-1)
		return
	}
	if capacity > 0 {
		n := min(uint32(len(v)), capacity)
		mem.WriteString(buf, v[:n])
	}
	stack[0] = abi.I32(int32(len(v)))
}

// contextAll is invocation_context_all(buf, cap) -> len: the whole context
// record (context.go) when it fits in cap bytes, nothing otherwise; len is
// the record's size either way.
func contextAll(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".invocation_context_all"
	inv := abi.From(ctx)
	buf, capacity := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if !inv.InInvoke() {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	var mem api.Memory
	if capacity > 0 {
		mem = abi.CheckRange(inv, mod, call, buf, capacity)
	}
	// The request's values are bounded far below 2 GiB (the edge limits
	// them), so n fits the i32 result.
	n := uint32(recordSize(inv.Request))
	if n <= capacity {
		// A view of guest memory: the record is written in place.
		b, _ := mem.Read(buf, n)
		putRecord(b, inv)
	}
	stack[0] = abi.I32(int32(n))
}
