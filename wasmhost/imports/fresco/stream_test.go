package fresco

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
)

// fakeStream records what the host sends it.
type fakeStream struct {
	typ     string
	got     []byte
	flushes int
	fail    error
}

func (s *fakeStream) Begin(t string) error { s.typ = t; return s.fail }
func (s *fakeStream) Write(p []byte) (int, error) {
	if s.fail != nil {
		return 0, s.fail
	}
	s.got = append(s.got, p...)
	return len(p), nil
}
func (s *fakeStream) Flush() error { s.flushes++; return s.fail }

func call(fn api.GoModuleFunc, inv *abi.Invocation, mod api.Module, args ...uint32) int32 {
	stack := make([]uint64, max(len(args), 1))
	for i, a := range args {
		stack[i] = api.EncodeU32(a)
	}
	fn(abi.With(context.Background(), inv), mod, stack)
	return int32(uint32(stack[0]))
}

func TestStreamWrite(t *testing.T) {
	mod := newMemoryModule(t)
	mod.Memory().WriteString(0, "text/plainhello")
	s := &fakeStream{}
	inv := abi.New(&invoke.Request{RequestID: "r", Stream: s})
	inv.StartInvoke(time.Now())
	if e := call(streamStart, inv, mod, 0, 10); e != errnoOK || s.typ != "text/plain" {
		t.Fatalf("start: %d, type %q", e, s.typ)
	}
	if e := call(streamStart, inv, mod, 0, 10); e != errnoAlreadySent {
		t.Fatalf("second start: %d", e)
	}
	if e := call(streamWrite, inv, mod, 10, 5); e != errnoOK || string(s.got) != "hello" || s.flushes != 1 {
		t.Fatalf("write: %d, %q, %d flushes", e, s.got, s.flushes)
	}
	if e := call(response, inv, mod, 10, 5); e != errnoOK || string(s.got) != "hellohello" || !inv.Posted || inv.Response != nil {
		t.Fatalf("final post: %d, %q", e, s.got)
	}
	if e := call(streamWrite, inv, mod, 10, 5); e != errnoAlreadySent {
		t.Fatalf("write after the post: %d", e)
	}
}

func TestStreamWriteWithoutAStreamBuffers(t *testing.T) {
	mod := newMemoryModule(t)
	mod.Memory().WriteString(0, "abc")
	inv := abi.New(&invoke.Request{RequestID: "r"})
	inv.StartInvoke(time.Now())
	call(streamWrite, inv, mod, 0, 3)
	call(response, inv, mod, 0, 3)
	if string(inv.Response) != "abcabc" || inv.StreamType != invoke.StreamContentTypeDefault {
		t.Fatalf("buffered %q, type %q", inv.Response, inv.StreamType)
	}
}

func TestStreamWriteLimitsAndFailures(t *testing.T) {
	mod := newMemoryModule(t)
	// Past the limit: TOO_LARGE, the invocation ends, nothing more is sent.
	s := &fakeStream{}
	inv := abi.New(&invoke.Request{RequestID: "r", Stream: s})
	inv.StartInvoke(time.Now())
	inv.Streaming, inv.Streamed = true, invoke.MaxStreamedResponse-10
	if e := call(streamWrite, inv, mod, 0, 11); e != errnoTooLarge || inv.TooLarge != invoke.MaxStreamedResponse+1 || !inv.Posted || len(s.got) != 0 {
		t.Fatalf("over the limit: %d, TooLarge %d", e, inv.TooLarge)
	}
	// A caller gone: STREAM_CLOSED, and it stays closed.
	s = &fakeStream{fail: errors.New("broken pipe")}
	inv = abi.New(&invoke.Request{RequestID: "r", Stream: s})
	inv.StartInvoke(time.Now())
	if e := call(streamWrite, inv, mod, 0, 1); e != errnoStreamClosed {
		t.Fatalf("failed stream: %d", e)
	}
	if e := call(streamWrite, inv, mod, 0, 1); e != errnoStreamClosed {
		t.Fatalf("failed stream, again: %d", e)
	}
	// During init: NOT_IN_INVOCATION.
	if e := call(streamWrite, abi.New(&invoke.Request{}), mod, 0, 1); e != errnoNotInInvocation {
		t.Fatalf("during init: %d", e)
	}
	// A range outside memory is a fault for the invocation, not a crash.
	for _, tc := range []struct {
		fn     api.GoModuleFunc
		ptr, n uint32
	}{
		{streamWrite, 65530, 64}, {streamWrite, 0xfffffff0, 32}, {streamStart, 65530, 64}, {streamStart, 0, 1000},
	} {
		inv := abi.New(&invoke.Request{RequestID: "r", Stream: &fakeStream{}})
		inv.StartInvoke(time.Now())
		func() {
			defer func() {
				var f *abi.FaultError
				if err, _ := recover().(error); !errors.As(err, &f) {
					t.Fatalf("recovered %v, want a fault", err)
				}
			}()
			call(tc.fn, inv, mod, tc.ptr, tc.n)
		}()
	}
}
