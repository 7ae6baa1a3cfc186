package fresco

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
)

// memoryModule is a module that exports one page of memory and nothing
// else: (module (memory (export "memory") 1)).
var memoryModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory, min 1 page
	0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // export "memory"
}

func newMemoryModule(t *testing.T) api.Module {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	mod, err := r.Instantiate(ctx, memoryModule)
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

// callContextAll calls invocation_context_all(buf, capacity) as the guest
// would, and returns its result.
func callContextAll(inv *abi.Invocation, mod api.Module, buf, capacity uint32) int32 {
	stack := []uint64{api.EncodeU32(buf), api.EncodeU32(capacity)}
	contextAll(abi.With(context.Background(), inv), mod, stack)
	return int32(uint32(stack[0]))
}

// record is a decoded context record.
type record struct {
	entropy  [32]byte
	deadline int64
	values   [5]string
}

func decodeRecord(t *testing.T, b []byte) record {
	t.Helper()
	var r record
	copy(r.entropy[:], b[recordEntropy:])
	r.deadline = int64(binary.LittleEndian.Uint64(b[recordDeadline:]))
	off := recordValues
	for i := range r.values {
		n := int(binary.LittleEndian.Uint32(b[recordLengths+4*i:]))
		if off+n > len(b) {
			t.Fatalf("value %d: [%d, +%d) past the record's %d bytes", i, off, n, len(b))
		}
		r.values[i] = string(b[off : off+n])
		off += n
	}
	if off != len(b) {
		t.Fatalf("values end at %d, the record at %d", off, len(b))
	}
	return r
}

func TestContextAll(t *testing.T) {
	deadline := time.UnixMilli(1_700_000_123_456)
	for _, tc := range []struct {
		name string
		req  invoke.Request
	}{
		{"all values", invoke.Request{
			RequestID:          "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
			InvokedFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f:live",
			TraceID:            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
			ClientContext:      []byte(`{"custom":{"a":"b"}}`),
			CognitoIdentity:    []byte(`{"cognitoIdentityId":"id"}`),
		}},
		{"absent ones empty", invoke.Request{RequestID: "r", InvokedFunctionARN: "arn", TraceID: "t"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := newMemoryModule(t)
			inv := abi.New(&tc.req)
			inv.StartInvoke(deadline)
			want := recordValues + len(tc.req.RequestID) + len(tc.req.InvokedFunctionARN) + len(tc.req.TraceID) +
				len(tc.req.ClientContext) + len(tc.req.CognitoIdentity)

			// Too small, or asked for the size: nothing is written.
			for _, capacity := range []uint32{0, 1, uint32(want - 1)} {
				if n := callContextAll(inv, mod, 100, capacity); int(n) != want {
					t.Fatalf("cap %d: %d, want %d", capacity, n, want)
				}
				if b, _ := mod.Memory().Read(0, 65536); !bytes.Equal(b, make([]byte, 65536)) {
					t.Fatalf("cap %d: memory written", capacity)
				}
			}

			const at = 1000
			if n := callContextAll(inv, mod, at, 4096); int(n) != want {
				t.Fatalf("%d, want %d", n, want)
			}
			b, _ := mod.Memory().Read(at, uint32(want))
			got := decodeRecord(t, b)
			if got.deadline != deadline.UnixMilli() {
				t.Errorf("deadline %d, want %d", got.deadline, deadline.UnixMilli())
			}
			wantValues := [5]string{tc.req.TraceID, tc.req.RequestID, tc.req.InvokedFunctionARN,
				string(tc.req.ClientContext), string(tc.req.CognitoIdentity)}
			if got.values != wantValues {
				t.Errorf("values %q, want %q", got.values, wantValues)
			}
			if after, _ := mod.Memory().ReadByte(at + uint32(want)); after != 0 {
				t.Errorf("a byte past the record was written")
			}

			// Every call draws fresh entropy.
			callContextAll(inv, mod, at, 4096)
			b, _ = mod.Memory().Read(at, uint32(want))
			again := decodeRecord(t, b)
			if again.entropy == got.entropy || got.entropy == [32]byte{} {
				t.Errorf("entropy %x then %x", got.entropy, again.entropy)
			}
		})
	}
}

func TestContextAllOutsideAnInvocation(t *testing.T) {
	mod := newMemoryModule(t)
	inv := abi.New(&invoke.Request{RequestID: "r"}) // still in init
	if n := callContextAll(inv, mod, 0, 4096); n != -errnoNotInInvocation {
		t.Fatalf("during init: %d, want %d", n, -errnoNotInInvocation)
	}
	if n := callContextAll(nil, mod, 0, 4096); n != -errnoNotInInvocation {
		t.Fatalf("with no invocation: %d, want %d", n, -errnoNotInInvocation)
	}
}

func TestContextAllChecksTheBuffer(t *testing.T) {
	for _, tc := range []struct {
		name          string
		buf, capacity uint32
	}{
		{"past the end", 65536 - 10, 64},
		{"wrapping", 0xfffffff0, 64},
		{"too small but outside", 70000, 1}, // checked even when nothing would be written
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := newMemoryModule(t)
			inv := abi.New(&invoke.Request{RequestID: "r"})
			inv.StartInvoke(time.Now())
			func() {
				defer func() {
					var f *abi.FaultError
					if err, _ := recover().(error); !errors.As(err, &f) {
						t.Fatalf("recovered %v, want an *abi.FaultError", err)
					}
				}()
				callContextAll(inv, mod, tc.buf, tc.capacity)
			}()
			if inv.Fault == nil {
				t.Fatal("the fault is not recorded on the invocation")
			}
		})
	}
}
