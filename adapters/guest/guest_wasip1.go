//go:build wasip1

package guest

import (
	"encoding/binary"
	"unsafe"
)

//go:wasmimport fresco invocation_event_size
func eventSize() int32

//go:wasmimport fresco invocation_event_read
func eventRead(buf unsafe.Pointer, n int32) int32

//go:wasmimport fresco invocation_context_all
//go:noescape
func contextAll(buf unsafe.Pointer, capacity int32) int32

//go:wasmimport fresco invocation_response
func response(buf unsafe.Pointer, n int32) int32

//go:wasmimport fresco invocation_error
func invocationError(typ unsafe.Pointer, typLen int32, body unsafe.Pointer, bodyLen int32) int32

//go:wasmimport fresco init_error
func initError(typ unsafe.Pointer, typLen int32, body unsafe.Pointer, bodyLen int32) int32

//go:wasmimport fresco invocation_stream_start
func streamStart(typ unsafe.Pointer, typLen int32) int32

//go:wasmimport fresco invocation_stream_write
func streamWrite(buf unsafe.Pointer, n int32) int32

// StreamStart starts the invocation's response as a stream of the given
// content type ("" is application/octet-stream); optional before the first
// StreamWrite, which starts an application/octet-stream otherwise.
func StreamStart(contentType string) error {
	b := []byte(contentType)
	return errnoError(streamStart(ptr(b), int32(len(b))))
}

// StreamWrite sends p as the next bytes of the invocation's response, to
// the caller at once when it reads a stream (InvokeWithResponseStream, a
// Function URL in RESPONSE_STREAM mode), buffered otherwise. What the
// handler then returns (its response, possibly empty, or an error) ends the
// stream.
func StreamWrite(p []byte) error {
	return errnoError(streamWrite(ptr(p), int32(len(p))))
}

// main.main, which -buildmode=c-shared links but never runs: fresco_init
// runs it, so that the usual `func main() { lambda.Start(h) }` registers the
// handler during the init phase.
//
//go:linkname mainMain main.main
func mainMain()

var (
	handler    Handler
	registered = make(chan struct{})
	// unread: the handler reads the event itself (ServeUnread).
	unread bool
)

// ServeUnread is Serve for a handler that reads the event itself, through
// adapters/buffers.Event, if at all: its Invocation has no Payload, so an
// event the handler only passes through never enters guest memory.
func ServeUnread(h Handler) {
	unread = true
	Serve(h)
}

// Serve registers h as the module's handler and never returns: the
// goroutine running main parks here, and fresco_handle calls h.
func Serve(h Handler) {
	if handler != nil {
		panic("guest.Serve called twice")
	}
	handler = h
	close(registered)
	select {}
}

// InitError reports an init failure: the invocation fails with it and the
// handler is not called.
func InitError(errType string, body []byte) {
	initError(ptr([]byte(errType)), int32(len(errType)), ptr(body), int32(len(body)))
}

//go:wasmexport fresco_init
func frescoInit() {
	returned := make(chan struct{})
	go func() {
		mainMain()
		close(returned)
	}()
	select {
	case <-registered:
	case <-returned:
		const typ = "Runtime.NoHandler"
		InitError(typ, []byte(`{"errorType":"`+typ+`","errorMessage":"main returned without calling lambda.Start (or guest.Serve)"}`))
	}
}

// reseed, when set (snapshot_wasip1.go), gives the runtime's random
// generators a fresh key at the start of every invocation: the context
// record's entropy (ok), or none if the host sent no record.
var reseed func(key [32]byte, ok bool)

// warmers run before a snapshot is taken (see OnSnapshot).
var warmers []func()

// OnSnapshot registers f to run once, after init, before fresco takes the
// function's snapshot: the place to warm caches (reflection, JSON codecs of
// the handler's types) that every invocation would otherwise fill again.
// f must not depend on an invocation, and must not call the handler.
func OnSnapshot(f func()) { warmers = append(warmers, f) }

//go:wasmexport fresco_handle
func frescoHandle() {
	inv := &Invocation{}
	var key [32]byte
	ok := readContext(inv, &key)
	if reseed != nil {
		reseed(key, ok)
	}
	if n := eventSize(); n > 0 && !unread {
		inv.Payload = make([]byte, n)
		eventRead(unsafe.Pointer(&inv.Payload[0]), n)
	}
	out, errType, errBody := handler(inv)
	if errBody != nil {
		invocationError(ptr([]byte(errType)), int32(len(errType)), ptr(errBody), int32(len(errBody)))
		return
	}
	response(ptr(out), int32(len(out)))
}

// The context record of invocation_context_all (docs/abi.md).
const (
	recordEntropy  = 0  // [32]byte
	recordDeadline = 32 // i64 milliseconds
	recordLengths  = 40 // 5 × u32: trace id, request id, ARN, client context, Cognito identity
	recordValues   = 60

	// traceEnvPrefix goes over the end of the header, in front of the
	// trace id, to make Invocation.TraceEnv.
	traceEnvPrefix = "_X_AMZN_TRACE_ID="
)

// readContext fills inv's context values with one host call and copies
// the record's entropy to key; false if the host gave no record. The
// values, and TraceEnv, share one string allocation.
func readContext(inv *Invocation, key *[32]byte) bool {
	// Every record but one with a large client context or Cognito
	// identity fits the stack buffer; the host says how long the record
	// is, so a longer one takes a second call.
	var small [512]byte
	rec := small[:]
	n := contextAll(unsafe.Pointer(&rec[0]), int32(len(rec)))
	for int(n) > len(rec) {
		rec = make([]byte, n)
		n = contextAll(unsafe.Pointer(&rec[0]), n)
	}
	if n < recordValues {
		return false
	}
	rec = rec[:n]
	var lens [5]int
	end := recordValues
	for i := range lens {
		lens[i] = int(binary.LittleEndian.Uint32(rec[recordLengths+4*i:]))
		end += lens[i]
	}
	if end > len(rec) || end < recordValues {
		return false
	}
	copy(key[:], rec[recordEntropy:])
	inv.DeadlineMs = int64(binary.LittleEndian.Uint64(rec[recordDeadline:]))
	// The header is read: its last bytes become the name in front of the
	// trace id, which comes first.
	start := recordValues - len(traceEnvPrefix)
	copy(rec[start:], traceEnvPrefix)
	values := string(rec[start:end])
	inv.TraceEnv = values[:len(traceEnvPrefix)+lens[0]]
	values = values[len(traceEnvPrefix):]
	var v [5]string
	for i, n := range lens {
		v[i], values = values[:n], values[n:]
	}
	inv.TraceID, inv.RequestID, inv.InvokedFunctionARN = v[0], v[1], v[2]
	inv.ClientContext, inv.CognitoIdentity = v[3], v[4]
	return true
}

// ptr is the address of b's first byte, or nil for an empty slice (the host
// accepts any pointer with length 0 that lies within memory).
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}
