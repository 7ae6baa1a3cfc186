//go:build wasip1

package guest

import (
	"strconv"
	"unsafe"
)

//go:wasmimport fresco invocation_event_size
func eventSize() int32

//go:wasmimport fresco invocation_event_read
func eventRead(buf unsafe.Pointer, n int32) int32

//go:wasmimport fresco invocation_context
func contextGet(name unsafe.Pointer, nameLen int32, buf unsafe.Pointer, capacity int32) int32

//go:wasmimport fresco invocation_response
func response(buf unsafe.Pointer, n int32) int32

//go:wasmimport fresco invocation_error
func invocationError(typ unsafe.Pointer, typLen int32, body unsafe.Pointer, bodyLen int32) int32

//go:wasmimport fresco init_error
func initError(typ unsafe.Pointer, typLen int32, body unsafe.Pointer, bodyLen int32) int32

// main.main, which -buildmode=c-shared links but never runs: fresco_init
// runs it, so that the usual `func main() { lambda.Start(h) }` registers the
// handler during the init phase.
//
//go:linkname mainMain main.main
func mainMain()

var (
	handler    Handler
	registered = make(chan struct{})
)

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

// beforeHandle runs first in every invocation (snapshot_wasip1.go sets it).
var beforeHandle = func() {}

// warmers run before a snapshot is taken (see OnSnapshot).
var warmers []func()

// OnSnapshot registers f to run once, after init, before fresco takes the
// function's snapshot: the place to warm caches (reflection, JSON codecs of
// the handler's types) that every invocation would otherwise fill again.
// f must not depend on an invocation, and must not call the handler.
func OnSnapshot(f func()) { warmers = append(warmers, f) }

//go:wasmexport fresco_handle
func frescoHandle() {
	beforeHandle()
	inv := &Invocation{
		RequestID:          contextValue(HeaderRequestID),
		InvokedFunctionARN: contextValue(HeaderFunctionARN),
		TraceID:            contextValue(HeaderTraceID),
		ClientContext:      contextValue(HeaderClientContext),
		CognitoIdentity:    contextValue(HeaderCognitoIdentity),
	}
	inv.DeadlineMs, _ = strconv.ParseInt(contextValue(HeaderDeadlineMs), 10, 64)
	if n := eventSize(); n > 0 {
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

func contextValue(name string) string {
	// One call in the common case: every value but a client context or a
	// Cognito identity fits the stack buffer; the host says how long a
	// value is, so a longer one takes a second call.
	var small [256]byte
	// (No unsafe.StringData: this file is also compiled inside
	// aws-lambda-go's module, whose go.mod may predate Go 1.20.)
	b := []byte(name)
	namePtr, nameLen := ptr(b), int32(len(b))
	n := contextGet(namePtr, nameLen, unsafe.Pointer(&small[0]), int32(len(small)))
	switch {
	case n <= 0:
		return ""
	case int(n) <= len(small):
		return string(small[:n])
	}
	buf := make([]byte, n)
	contextGet(namePtr, nameLen, unsafe.Pointer(&buf[0]), n)
	return string(buf)
}

// ptr is the address of b's first byte, or nil for an empty slice (the host
// accepts any pointer with length 0 that lies within memory).
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}
