package fresco

import (
	"context"

	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
)

// The calls of a streamed response (ABI version 2): invocation_stream_start
// names the stream's content type, invocation_stream_write sends bytes as
// the guest makes them, and the invocation's post (invocation_response, or
// invocation_error for an error mid-stream) ends the stream.
//
// The bytes go from guest memory straight to the invocation's
// ResponseStream, with no copy held by the host; with no stream (a plain
// Invoke), they are buffered into the response, within invoke.MaxResponse.
// Past invoke.MaxStreamedResponse the write answers TOO_LARGE and the
// invocation ends with Function.ResponseSizeTooLarge.

// maxContentType bounds the content type a guest may give its stream.
const maxContentType = 256

// streamStart is invocation_stream_start(type, type_len) -> errno.
func streamStart(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".invocation_stream_start"
	inv := abi.From(ctx)
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if !inv.InInvoke() {
		stack[0] = abi.I32(errnoNotInInvocation)
		return
	}
	if n > maxContentType {
		abi.Fault(inv, call, "content type length %d exceeds %d", n, maxContentType)
	}
	typ := string(abi.Read(inv, mod, call, ptr, n))
	if inv.Posted || inv.Streaming {
		stack[0] = abi.I32(errnoAlreadySent)
		return
	}
	stack[0] = abi.I32(begin(inv, typ))
}

// begin starts inv's stream with content type typ.
func begin(inv *abi.Invocation, typ string) int32 {
	if typ == "" {
		typ = invoke.StreamContentTypeDefault
	}
	inv.Streaming, inv.StreamType = true, typ
	if s := inv.Request.Stream; s != nil {
		if err := s.Begin(typ); err != nil {
			inv.StreamErr = err
			return errnoStreamClosed
		}
	}
	return errnoOK
}

// streamWrite is invocation_stream_write(buf, len) -> errno.
func streamWrite(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".invocation_stream_write"
	inv := abi.From(ctx)
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if !inv.InInvoke() {
		stack[0] = abi.I32(errnoNotInInvocation)
		return
	}
	mem := abi.CheckRange(inv, mod, call, ptr, n)
	if inv.Posted {
		stack[0] = abi.I32(errnoAlreadySent)
		return
	}
	if !inv.Streaming {
		if errno := begin(inv, ""); errno != errnoOK {
			stack[0] = abi.I32(errno)
			return
		}
	}
	b, _ := mem.Read(ptr, n) // a view: checked above
	stack[0] = abi.I32(send(inv, b, true))
}

// send adds b to inv's stream (flushing it when flush is set) and returns
// the errno of the call. Past the limit the invocation ends as too large.
func send(inv *abi.Invocation, b []byte, flush bool) int32 {
	if inv.StreamErr != nil {
		return errnoStreamClosed
	}
	s := inv.Request.Stream
	limit := int64(invoke.MaxStreamedResponse)
	if s == nil {
		limit = invoke.MaxResponse
	}
	if total := inv.Streamed + int64(len(b)); total > limit {
		inv.MarkPosted()
		inv.TooLarge = total
		return errnoTooLarge
	}
	if len(b) == 0 {
		return errnoOK
	}
	if s == nil {
		inv.Response = append(inv.Response, b...)
		inv.Streamed += int64(len(b))
		return errnoOK
	}
	n, err := s.Write(b)
	inv.Streamed += int64(n)
	if err == nil && flush {
		err = s.Flush()
	}
	if err != nil {
		inv.StreamErr = err
		return errnoStreamClosed
	}
	return errnoOK
}
