package buffers

import (
	"context"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
)

// ModuleName is the import module of the buffer calls (docs/abi.md).
const ModuleName = "fresco_buffers"

// Errno values, returned negated by the calls that return a size or a
// handle (docs/abi.md).
const (
	ErrnoOK              = 0
	ErrnoAlreadySent     = 1
	ErrnoTooLarge        = 2
	ErrnoNotInInvocation = 3
	ErrnoBadHandle       = 8
	ErrnoNoMemory        = 9
	ErrnoTooMany         = 10
)

// MaxBuffer bounds one buffer a guest makes: Lambda's synchronous payload.
const MaxBuffer = invoke.MaxSyncRequest

// Module describes the buffers host module. Its calls act only on the
// invocation's table, so none is watched for snapshot resets.
func Module() abi.Module {
	return abi.Module{Name: ModuleName, Instantiate: Instantiate}
}

var (
	i32 = api.ValueTypeI32
)

// Instantiate adds the module to r.
func Instantiate(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(ModuleName)
	for _, f := range []struct {
		name            string
		params, results []api.ValueType
		fn              api.GoModuleFunc
	}{
		{"buffer_event", nil, []api.ValueType{i32}, event},
		{"buffer_create", []api.ValueType{i32, i32}, []api.ValueType{i32}, create},
		{"buffer_size", []api.ValueType{i32}, []api.ValueType{i32}, size},
		{"buffer_read", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, read},
		{"buffer_release", []api.ValueType{i32}, []api.ValueType{i32}, release},
		{"buffer_respond", []api.ValueType{i32}, []api.ValueType{i32}, respond},
	} {
		b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).WithName(f.name).Export(f.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// neg is -errno as an i32 result.
func neg(errno int32) uint64 { return abi.I32(-errno) }

// Put adds b to inv's table and returns the call's result: its handle, or
// -TOO_MANY (b is released).
func Put(inv *abi.Invocation, b abi.Buffer) uint64 {
	h := inv.Buffers.Put(b)
	if h == 0 {
		b.Release()
		return neg(ErrnoTooMany)
	}
	return abi.I32(h)
}

// event is buffer_event() -> handle: the event, which the host holds
// anyway, so it counts nothing against the memory.
func event(ctx context.Context, _ api.Module, stack []uint64) {
	inv := abi.From(ctx)
	if !inv.InInvoke() {
		stack[0] = neg(ErrnoNotInInvocation)
		return
	}
	stack[0] = Put(inv, abi.HeldBytes(inv.Request.Payload))
}

// create is buffer_create(buf, len) -> handle: a copy of guest memory.
func create(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".buffer_create"
	inv := abi.From(ctx)
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if !inv.InInvoke() {
		stack[0] = neg(ErrnoNotInInvocation)
		return
	}
	mem := abi.CheckRange(inv, mod, call, ptr, n)
	if n > MaxBuffer {
		stack[0] = neg(ErrnoTooLarge)
		return
	}
	view, _ := mem.Read(ptr, n)
	b := abi.NewBytes(inv.Memory, view)
	if b == nil {
		stack[0] = neg(ErrnoNoMemory)
		return
	}
	stack[0] = Put(inv, b)
}

// lookup returns the buffer of the handle on the stack at i, or sets the
// result to the errno and returns nil.
func lookup(inv *abi.Invocation, stack []uint64, i int) abi.Buffer {
	if !inv.InInvoke() {
		stack[0] = neg(ErrnoNotInInvocation)
		return nil
	}
	b := inv.Buffers.Get(int32(api.DecodeU32(stack[i])))
	if b == nil {
		stack[0] = neg(ErrnoBadHandle)
	}
	return b
}

// size is buffer_size(handle) -> size.
func size(ctx context.Context, _ api.Module, stack []uint64) {
	if b := lookup(abi.From(ctx), stack, 0); b != nil {
		stack[0] = abi.I32(int32(b.Size()))
	}
}

// read is buffer_read(handle, offset, buf, len) -> n: copies up to len
// bytes of the buffer from offset into guest memory; 0 at its end.
func read(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".buffer_read"
	inv := abi.From(ctx)
	off, ptr, n := api.DecodeU32(stack[1]), api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	b := lookup(inv, stack, 0)
	if b == nil {
		return
	}
	mem := abi.CheckRange(inv, mod, call, ptr, n)
	data := b.Bytes()
	if uint64(off) >= uint64(len(data)) {
		stack[0] = abi.I32(0)
		return
	}
	data = data[off:]
	if uint32(len(data)) > n {
		data = data[:n]
	}
	mem.Write(ptr, data)
	stack[0] = abi.I32(int32(len(data)))
}

// release is buffer_release(handle) -> errno.
func release(ctx context.Context, _ api.Module, stack []uint64) {
	inv := abi.From(ctx)
	if !inv.InInvoke() {
		stack[0] = abi.I32(ErrnoNotInInvocation)
		return
	}
	if !inv.Buffers.Delete(int32(api.DecodeU32(stack[0]))) {
		stack[0] = abi.I32(ErrnoBadHandle)
		return
	}
	stack[0] = abi.I32(ErrnoOK)
}

// respond is buffer_respond(handle) -> errno: posts the buffer as the
// invocation's response, as invocation_response would, without a copy.
// The handle stays valid.
func respond(ctx context.Context, _ api.Module, stack []uint64) {
	inv := abi.From(ctx)
	if !inv.InInvoke() {
		stack[0] = abi.I32(ErrnoNotInInvocation)
		return
	}
	b := inv.Buffers.Get(int32(api.DecodeU32(stack[0])))
	switch {
	case b == nil:
		stack[0] = abi.I32(ErrnoBadHandle)
	case inv.Posted:
		stack[0] = abi.I32(ErrnoAlreadySent)
	case b.Size() > invoke.MaxResponse:
		inv.MarkPosted()
		inv.TooLarge = int64(b.Size())
		stack[0] = abi.I32(ErrnoTooLarge)
	default:
		inv.MarkPosted()
		// The buffer's bytes never change: the response shares them.
		inv.Response = b.Bytes()
		if inv.Response == nil {
			inv.Response = []byte{}
		}
		stack[0] = abi.I32(ErrnoOK)
	}
}
