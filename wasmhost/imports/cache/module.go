package cache

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/wasmhost/imports/buffers"
)

// ModuleName is the import module of the cache calls (docs/abi.md).
const ModuleName = "fresco_cache"

// Errno values of the cache calls, beside the buffers' (docs/abi.md).
const (
	errnoOK              = buffers.ErrnoOK
	errnoTooLarge        = buffers.ErrnoTooLarge
	errnoNotInInvocation = buffers.ErrnoNotInInvocation
	errnoBadHandle       = buffers.ErrnoBadHandle
	errnoNoMemory        = buffers.ErrnoNoMemory
	errnoUnavailable     = 11 // the store failed (Redis down, ...)
	errnoTimeout         = 12 // the invocation's deadline came first
	errnoInvalid         = 13 // an empty or too long key, a TTL out of range
)

// Module describes the cache host module for one function: its keys are
// namespaced by function, and the store is c, the host's. Its calls act
// on the store and the invocation's buffers only, so none is watched for
// snapshot resets.
func Module(c Cache, function string) abi.Module {
	m := &module{c: c, ns: function}
	return abi.Module{Name: ModuleName, Instantiate: m.instantiate}
}

type module struct {
	c  Cache
	ns string
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func (m *module) instantiate(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(ModuleName)
	for _, f := range []struct {
		name            string
		params, results []api.ValueType
		fn              api.GoModuleFunc
	}{
		{"cache_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, m.get},
		{"cache_set", []api.ValueType{i32, i32, i32, i32, i64}, []api.ValueType{i32}, m.set},
		{"cache_set_buffer", []api.ValueType{i32, i32, i32, i64}, []api.ValueType{i32}, m.setBuffer},
		{"cache_delete", []api.ValueType{i32, i32}, []api.ValueType{i32}, m.delete},
	} {
		b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).WithName(f.name).Export(f.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// key reads the guest's key at stack[0:2] and namespaces it; errno is
// non-zero when the key is refused.
func (m *module) key(inv *abi.Invocation, mod api.Module, call string, stack []uint64) (string, int32) {
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	abi.CheckRange(inv, mod, call, ptr, n)
	if n == 0 || n > MaxKey {
		return "", errnoInvalid
	}
	view, _ := mod.Memory().Read(ptr, n)
	return Key(m.ns, string(view)), errnoOK
}

// ttl converts a TTL in milliseconds; false when out of 1 ms..MaxTTL.
func ttl(ms uint64) (time.Duration, bool) {
	v := int64(ms)
	if v <= 0 || v > MaxTTL.Milliseconds() {
		return 0, false
	}
	return time.Duration(v) * time.Millisecond, true
}

// bounded is ctx ending at the invocation's deadline.
func bounded(ctx context.Context, inv *abi.Invocation) (context.Context, context.CancelFunc) {
	return context.WithDeadline(ctx, inv.Deadline)
}

// storeErrno maps a store's error to the call's errno. A call that ran
// into the invocation's deadline also has the guest stopped at its next
// check, so the invocation times out as it would have without the call,
// rather than answering after its deadline.
func storeErrno(ctx context.Context, inv *abi.Invocation, err error) int32 {
	switch {
	case err == nil:
		return errnoOK
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		if inv.Stop != nil {
			inv.Stop.Check(ctx)
		}
		return errnoTimeout
	}
	return errnoUnavailable
}

// get is cache_get(key, key_len) -> handle: a buffer holding the value, 0
// on a miss, or -errno.
func (m *module) get(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".cache_get"
	inv := abi.From(ctx)
	if !inv.InInvoke() {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	key, errno := m.key(inv, mod, call, stack)
	if errno != errnoOK {
		stack[0] = abi.I32(-errno)
		return
	}
	cctx, cancel := bounded(ctx, inv)
	v, ok, err := m.c.Get(cctx, key)
	cancel()
	switch {
	case err != nil:
		stack[0] = abi.I32(-storeErrno(ctx, inv, err))
	case !ok:
		stack[0] = abi.I32(0)
	case len(v) > MaxValue:
		// Another writer of the Redis server put it there: this guest
		// could not have stored it, and does not get it.
		stack[0] = abi.I32(-errnoTooLarge)
	default:
		b := abi.AdoptBytes(inv.Memory, v)
		if b == nil {
			stack[0] = abi.I32(-errnoNoMemory)
			return
		}
		stack[0] = buffers.Put(inv, b)
	}
}

// set is cache_set(key, key_len, val, val_len, ttl_ms) -> errno.
func (m *module) set(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".cache_set"
	inv := abi.From(ctx)
	if !inv.InInvoke() {
		stack[0] = abi.I32(errnoNotInInvocation)
		return
	}
	ptr, n := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	mem := abi.CheckRange(inv, mod, call, ptr, n)
	key, errno := m.key(inv, mod, call, stack)
	d, ok := ttl(stack[4])
	switch {
	case errno != errnoOK:
	case !ok:
		errno = errnoInvalid
	case n > MaxValue:
		errno = errnoTooLarge
	default:
		view, _ := mem.Read(ptr, n)
		errno = m.store(ctx, inv, key, bytes.Clone(view), d)
	}
	stack[0] = abi.I32(errno)
}

// setBuffer is cache_set_buffer(key, key_len, handle, ttl_ms) -> errno:
// the value is a host-side buffer, which never enters guest memory.
func (m *module) setBuffer(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".cache_set_buffer"
	inv := abi.From(ctx)
	if !inv.InInvoke() {
		stack[0] = abi.I32(errnoNotInInvocation)
		return
	}
	key, errno := m.key(inv, mod, call, stack)
	b := inv.Buffers.Get(int32(api.DecodeU32(stack[2])))
	d, ok := ttl(stack[3])
	switch {
	case errno != errnoOK:
	case b == nil:
		errno = errnoBadHandle
	case !ok:
		errno = errnoInvalid
	case b.Size() > MaxValue:
		errno = errnoTooLarge
	default:
		// The store keeps its own copy: the buffer's bytes may be the
		// request's, which outlive no invocation of the host's.
		errno = m.store(ctx, inv, key, bytes.Clone(b.Bytes()), d)
	}
	stack[0] = abi.I32(errno)
}

func (m *module) store(ctx context.Context, inv *abi.Invocation, key string, v []byte, d time.Duration) int32 {
	if v == nil {
		v = []byte{}
	}
	cctx, cancel := bounded(ctx, inv)
	defer cancel()
	return storeErrno(ctx, inv, m.c.Set(cctx, key, v, d))
}

// delete is cache_delete(key, key_len) -> errno.
func (m *module) delete(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".cache_delete"
	inv := abi.From(ctx)
	if !inv.InInvoke() {
		stack[0] = abi.I32(errnoNotInInvocation)
		return
	}
	key, errno := m.key(inv, mod, call, stack)
	if errno == errnoOK {
		cctx, cancel := bounded(ctx, inv)
		errno = storeErrno(ctx, inv, m.c.Delete(cctx, key))
		cancel()
	}
	stack[0] = abi.I32(errno)
}
