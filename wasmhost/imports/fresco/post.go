package fresco

import (
	"context"

	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
)

// The calls that post the invocation's result: the response, a function
// error, an init error. The first post stands; later ones answer
// ALREADY_SENT. A post larger than invoke.MaxResponse is refused without
// being copied (TOO_LARGE) and ends the invocation as too large.

// maxErrorType bounds the error type a guest may post.
const maxErrorType = 1024

// response is invocation_response(buf, len) -> errno.
func response(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".invocation_response"
	inv := abi.From(ctx)
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if !inv.InInvoke() {
		stack[0] = abi.I32(errnoNotInInvocation)
		return
	}
	abi.CheckRange(inv, mod, call, ptr, n)
	switch {
	case inv.Posted:
		stack[0] = abi.I32(errnoAlreadySent)
	case n > invoke.MaxResponse && !inv.Streaming:
		inv.MarkPosted()
		inv.TooLarge = int64(n)
		stack[0] = abi.I32(errnoTooLarge)
	case inv.Streaming:
		// The post ends the stream: its bytes are the stream's last.
		b, _ := mod.Memory().Read(ptr, n) // a view: checked above
		errno := send(inv, b, false)
		if errno == errnoStreamClosed {
			errno = errnoOK // the answer stands; the caller has gone
		}
		inv.MarkPosted()
		stack[0] = abi.I32(errno)
	default:
		inv.MarkPosted()
		inv.Response = abi.Read(inv, mod, call, ptr, n)
		stack[0] = abi.I32(errnoOK)
	}
}

// postError is invocation_error or init_error (initErr), both (type,
// type_len, body, body_len) -> errno. init_error may be called in either
// phase.
func postError(name string, initErr bool) api.GoModuleFunc {
	call := ModuleName + "." + name
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		inv := abi.From(ctx)
		typePtr, typeLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
		bodyPtr, bodyLen := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
		if inv == nil || (!initErr && inv.Phase != abi.PhaseInvoke) {
			stack[0] = abi.I32(errnoNotInInvocation)
			return
		}
		if typeLen > maxErrorType {
			abi.Fault(inv, call, "error type length %d exceeds %d", typeLen, maxErrorType)
		}
		typ := abi.Read(inv, mod, call, typePtr, typeLen)
		abi.CheckRange(inv, mod, call, bodyPtr, bodyLen)
		stack[0] = abi.I32(postErrorDocument(inv, mod, call, initErr, string(typ), bodyPtr, bodyLen))
	}
}

// postErrorDocument records the error the guest posts, and returns the
// errno of the call.
func postErrorDocument(inv *abi.Invocation, mod api.Module, call string, initErr bool, typ string, bodyPtr, bodyLen uint32) int32 {
	if inv.Posted {
		return errnoAlreadySent
	}
	inv.MarkPosted()
	if bodyLen > invoke.MaxResponse {
		inv.TooLarge = int64(bodyLen)
		return errnoTooLarge
	}
	inv.InitError = initErr
	inv.ErrType, inv.ErrBody = ErrorDocument(typ, abi.Read(inv, mod, call, bodyPtr, bodyLen), initErr)
	return errnoOK
}
