package wasmhost

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/invoke"
)

// abiModule is the import module of the guest ABI (docs/abi.md).
const abiModule = "fresco"

// errno values of the ABI.
const (
	errnoOK              = 0
	errnoAlreadySent     = 1
	errnoTooLarge        = 2
	errnoNotInInvocation = 3
)

// maxContextName bounds the name a guest may pass to invocation_context.
const maxContextName = 256

type phase int

const (
	phaseInit phase = iota
	phaseInvoke
)

// invocation is the per-invocation state the host functions act on. It
// reaches them through the call's context, so one set of host functions
// serves every concurrent instance.
type invocation struct {
	req   *invoke.Request
	phase phase
	// deadline is the handler's, once in the invoke phase.
	deadline time.Time

	// What the guest posted. posted is set once.
	posted    bool
	response  []byte
	errType   string
	errBody   []byte
	initError bool
	// tooLarge is the size of a response refused for its size.
	tooLarge int64
	// fault is an ABI violation; the invocation ends with it.
	fault error
	// tainted names the first WASI function the guest called that changes
	// WASI state of its instance (see wasiListeners).
	tainted string
}

// startInvoke moves the invocation to its invoke phase: the context values
// (the deadline among them) become visible to the guest.
func (inv *invocation) startInvoke(deadline time.Time) {
	inv.deadline = deadline
	inv.phase = phaseInvoke
}

type invocationKey struct{}

func invocationFrom(ctx context.Context) *invocation {
	inv, _ := ctx.Value(invocationKey{}).(*invocation)
	return inv
}

// abiFault is the panic value of a host function that found the guest
// breaking the ABI. wazero recovers it and ends the call with an error;
// the invocation records it first, so classification does not depend on
// how wazero wraps it.
type abiFault struct{ msg string }

func (f *abiFault) Error() string { return f.msg }

func fault(inv *invocation, call string, format string, args ...any) {
	f := &abiFault{msg: abiModule + "." + call + ": " + fmt.Sprintf(format, args...)}
	if inv != nil && inv.fault == nil {
		inv.fault = f
	}
	panic(f)
}

// read returns a copy of guest memory [ptr, ptr+n), or faults.
func read(inv *invocation, mod api.Module, call string, ptr, n uint32) []byte {
	mem := mod.Memory()
	if mem == nil {
		fault(inv, call, "the module exports no memory")
	}
	b, ok := mem.Read(ptr, n)
	if !ok {
		fault(inv, call, "buffer [%#x, +%d) is outside guest memory (%d bytes)", ptr, n, mem.Size())
	}
	return append([]byte(nil), b...)
}

// checkRange faults unless [ptr, ptr+n) lies within guest memory.
func checkRange(inv *invocation, mod api.Module, call string, ptr, n uint32) api.Memory {
	mem := mod.Memory()
	if mem == nil {
		fault(inv, call, "the module exports no memory")
	}
	if uint64(ptr)+uint64(n) > uint64(mem.Size()) {
		fault(inv, call, "buffer [%#x, +%d) is outside guest memory (%d bytes)", ptr, n, mem.Size())
	}
	return mem
}

// i32 converts a host result to the stack's representation of an i32.
func i32(v int32) uint64 { return uint64(uint32(v)) }

// instantiateABI adds the "fresco" import module to r.
func instantiateABI(ctx context.Context, r wazero.Runtime) error {
	i32t := api.ValueTypeI32
	b := r.NewHostModuleBuilder(abiModule)
	def := func(name string, params, results []api.ValueType, fn api.GoModuleFunc) {
		b.NewFunctionBuilder().WithGoModuleFunction(fn, params, results).WithName(name).Export(name)
	}
	none := []api.ValueType{}
	one := []api.ValueType{i32t}

	def("invocation_event_size", none, one, func(ctx context.Context, mod api.Module, stack []uint64) {
		inv := invocationFrom(ctx)
		if inv == nil || inv.phase != phaseInvoke {
			stack[0] = i32(-errnoNotInInvocation)
			return
		}
		stack[0] = i32(int32(len(inv.req.Payload)))
	})
	def("invocation_event_read", []api.ValueType{i32t, i32t}, one, func(ctx context.Context, mod api.Module, stack []uint64) {
		inv := invocationFrom(ctx)
		ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
		if inv == nil || inv.phase != phaseInvoke {
			stack[0] = i32(-errnoNotInInvocation)
			return
		}
		mem := checkRange(inv, mod, "invocation_event_read", ptr, n)
		p := inv.req.Payload
		if uint32(len(p)) < n {
			n = uint32(len(p))
		}
		mem.Write(ptr, p[:n])
		stack[0] = i32(int32(n))
	})
	def("invocation_context", []api.ValueType{i32t, i32t, i32t, i32t}, one, func(ctx context.Context, mod api.Module, stack []uint64) {
		inv := invocationFrom(ctx)
		namePtr, nameLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
		buf, capacity := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
		if inv == nil || inv.phase != phaseInvoke {
			stack[0] = i32(-errnoNotInInvocation)
			return
		}
		if nameLen > maxContextName {
			fault(inv, "invocation_context", "name length %d exceeds %d", nameLen, maxContextName)
		}
		name := read(inv, mod, "invocation_context", namePtr, nameLen)
		var mem api.Memory
		if capacity > 0 {
			mem = checkRange(inv, mod, "invocation_context", buf, capacity)
		}
		v, ok := contextValue(inv.req, inv.deadline, string(name))
		if !ok {
			stack[0] = i32(-1)
			return
		}
		if capacity > 0 {
			n := min(uint32(len(v)), capacity)
			mem.WriteString(buf, v[:n])
		}
		stack[0] = i32(int32(len(v)))
	})
	def("invocation_response", []api.ValueType{i32t, i32t}, one, func(ctx context.Context, mod api.Module, stack []uint64) {
		inv := invocationFrom(ctx)
		ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
		if inv == nil || inv.phase != phaseInvoke {
			stack[0] = i32(errnoNotInInvocation)
			return
		}
		checkRange(inv, mod, "invocation_response", ptr, n)
		switch {
		case inv.posted:
			stack[0] = i32(errnoAlreadySent)
		case n > invoke.MaxResponse:
			inv.posted = true
			inv.tooLarge = int64(n)
			stack[0] = i32(errnoTooLarge)
		default:
			inv.posted = true
			inv.response = read(inv, mod, "invocation_response", ptr, n)
			stack[0] = i32(errnoOK)
		}
	})
	postError := func(call string, initErr bool) api.GoModuleFunc {
		return func(ctx context.Context, mod api.Module, stack []uint64) {
			inv := invocationFrom(ctx)
			typePtr, typeLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
			bodyPtr, bodyLen := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
			if inv == nil || (!initErr && inv.phase != phaseInvoke) {
				stack[0] = i32(errnoNotInInvocation)
				return
			}
			if typeLen > 1024 {
				fault(inv, call, "error type length %d exceeds 1024", typeLen)
			}
			typ := read(inv, mod, call, typePtr, typeLen)
			checkRange(inv, mod, call, bodyPtr, bodyLen)
			if inv.posted {
				stack[0] = i32(errnoAlreadySent)
				return
			}
			if bodyLen > invoke.MaxResponse {
				inv.posted = true
				inv.tooLarge = int64(bodyLen)
				stack[0] = i32(errnoTooLarge)
				return
			}
			inv.posted = true
			inv.initError = initErr
			inv.errType, inv.errBody = errorDocument(string(typ), read(inv, mod, call, bodyPtr, bodyLen), initErr)
			stack[0] = i32(errnoOK)
		}
	}
	four := []api.ValueType{i32t, i32t, i32t, i32t}
	def("invocation_error", four, one, postError("invocation_error", false))
	def("init_error", four, one, postError("init_error", true))

	_, err := b.Instantiate(ctx)
	return err
}

// errorDocument normalises an error a guest posted into Lambda's
// {"errorMessage","errorType"} document and returns its type. A body that is
// a JSON object is kept as posted (stackTrace and other fields included),
// with errorType taken from the body when it is a non-empty string, else
// from the type the guest passed, and errorMessage made a string.
func errorDocument(typ string, body []byte, initErr bool) (string, []byte) {
	typ = strings.ToValidUTF8(typ, "\uFFFD") // as JSON will carry it
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) == nil && doc != nil {
		var s string
		if json.Unmarshal(doc["errorType"], &s) == nil && s != "" {
			typ = s
		}
		if typ == "" {
			typ = defaultErrorType(initErr)
		}
		doc["errorType"], _ = json.Marshal(typ)
		if msg, ok := doc["errorMessage"]; !ok {
			doc["errorMessage"] = json.RawMessage(`""`)
		} else if json.Unmarshal(msg, &s) != nil {
			doc["errorMessage"], _ = json.Marshal(string(msg))
		}
		if out, err := json.Marshal(doc); err == nil {
			return typ, out
		}
	}
	if typ == "" {
		typ = defaultErrorType(initErr)
	}
	out, _ := json.Marshal(invoke.ErrorPayload{ErrorMessage: string(body), ErrorType: typ})
	return typ, out
}

func defaultErrorType(initErr bool) string {
	if initErr {
		return invoke.ErrInit
	}
	return invoke.FunctionErrorUnhandled
}

// contextValue is the invocation's context value of the given Runtime API
// header name, as the ABI names them.
func contextValue(req *invoke.Request, deadline time.Time, name string) (string, bool) {
	switch name {
	case invoke.HeaderRuntimeRequestID:
		return req.RequestID, true
	case invoke.HeaderRuntimeDeadline:
		return strconv.FormatInt(deadline.UnixMilli(), 10), true
	case invoke.HeaderRuntimeFunctionARN:
		return req.InvokedFunctionARN, true
	case invoke.HeaderRuntimeTraceID:
		return req.TraceID, true
	case invoke.HeaderRuntimeClientContext:
		return string(req.ClientContext), len(req.ClientContext) > 0
	case invoke.HeaderRuntimeCognitoIdentity:
		return string(req.CognitoIdentity), len(req.CognitoIdentity) > 0
	}
	return "", false
}
