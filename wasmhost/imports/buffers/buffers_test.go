package buffers

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
)

// memoryModule exports one page of memory: (module (memory (export "memory") 1)).
var memoryModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x01,
	0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
}

func setup(t *testing.T, payload string) (context.Context, *abi.Invocation, api.Module) {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	mod, err := r.Instantiate(ctx, memoryModule)
	if err != nil {
		t.Fatal(err)
	}
	inv := abi.New(&invoke.Request{RequestID: "r", Payload: []byte(payload)})
	inv.Memory = &abi.HostMemory{Limit: 65536 + 100, Memory: mod.Memory()}
	inv.StartInvoke(time.Now().Add(time.Second))
	return abi.With(ctx, inv), inv, mod
}

func callFn(ctx context.Context, mod api.Module, fn api.GoModuleFunc, args ...uint64) int32 {
	stack := make([]uint64, max(len(args), 1))
	copy(stack, args)
	fn(ctx, mod, stack)
	return int32(uint32(stack[0]))
}

func TestBufferCalls(t *testing.T) {
	ctx, inv, mod := setup(t, "the event")
	ev := callFn(ctx, mod, event)
	if ev != 1 || callFn(ctx, mod, size, uint64(ev)) != 9 {
		t.Fatalf("event handle %d", ev)
	}
	// Read from an offset, and at the end.
	if n := callFn(ctx, mod, read, uint64(ev), 4, 100, 50); n != 5 {
		t.Fatalf("read %d", n)
	}
	if b, _ := mod.Memory().Read(100, 5); string(b) != "event" {
		t.Fatalf("read %q", b)
	}
	if n := callFn(ctx, mod, read, uint64(ev), 9, 100, 50); n != 0 {
		t.Fatalf("read at the end: %d", n)
	}
	// A copy of guest memory counts against the memory: 100 bytes fit
	// beside the page, 101 do not.
	if h := callFn(ctx, mod, create, 0, 101); h != -ErrnoNoMemory {
		t.Fatalf("create past the memory: %d", h)
	}
	h := callFn(ctx, mod, create, 100, 5)
	if h != 2 || inv.Memory.Used() != 5 {
		t.Fatalf("create: %d, used %d", h, inv.Memory.Used())
	}
	if e := callFn(ctx, mod, respond, uint64(h)); e != ErrnoOK || string(inv.Response) != "event" {
		t.Fatalf("respond: %d %q", e, inv.Response)
	}
	if e := callFn(ctx, mod, respond, uint64(ev)); e != ErrnoAlreadySent {
		t.Fatalf("second respond: %d", e)
	}
	if e := callFn(ctx, mod, release, uint64(h)); e != ErrnoOK || inv.Memory.Used() != 0 {
		t.Fatalf("release: %d, used %d", e, inv.Memory.Used())
	}
	for _, bad := range []uint64{0, uint64(h), 99, api.EncodeI32(-1)} {
		if e := callFn(ctx, mod, release, bad); e != ErrnoBadHandle {
			t.Errorf("release %d: %d", bad, e)
		}
		if e := callFn(ctx, mod, size, bad); e != -ErrnoBadHandle {
			t.Errorf("size %d: %d", bad, e)
		}
	}
}

func TestBufferCallsCheckMemory(t *testing.T) {
	for name, c := range map[string]struct {
		fn   api.GoModuleFunc
		args []uint64
	}{
		"read past the end":    {read, []uint64{1, 0, 65536 - 2, 10}},
		"read wrapping":        {read, []uint64{1, 0, 0xfffffff0, 0x20}},
		"create past the end":  {create, []uint64{65530, 10}},
		"create huge and past": {create, []uint64{0, 0xffffffff}},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, inv, mod := setup(t, "event")
			callFn(ctx, mod, event)
			func() {
				defer func() {
					var f *abi.FaultError
					if err, _ := recover().(error); !errors.As(err, &f) {
						t.Fatalf("recovered %v, want an *abi.FaultError", err)
					}
				}()
				callFn(ctx, mod, c.fn, c.args...)
			}()
			if inv.Fault == nil {
				t.Fatal("the fault is not recorded")
			}
		})
	}
}

func TestBufferCallsOutsideAnInvocation(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	mod, _ := r.Instantiate(ctx, memoryModule)
	inv := abi.New(&invoke.Request{RequestID: "r"}) // init
	ictx := abi.With(ctx, inv)
	if h := callFn(ictx, mod, event); h != -ErrnoNotInInvocation {
		t.Errorf("event during init: %d", h)
	}
	if h := callFn(ictx, mod, create, 0, 1); h != -ErrnoNotInInvocation {
		t.Errorf("create during init: %d", h)
	}
	if e := callFn(ctx, mod, respond, 1); e != ErrnoNotInInvocation {
		t.Errorf("respond with no invocation: %d", e)
	}
}
