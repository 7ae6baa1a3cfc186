package fresco

import (
	"crypto/rand"
	"encoding/binary"
	"strconv"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
)

// contextValue is the invocation's context value of the given Runtime API
// header name, as the ABI names them (docs/abi.md), and whether it is
// present.
func contextValue(inv *abi.Invocation, name string) (string, bool) {
	req := inv.Request
	switch name {
	case invoke.HeaderRuntimeRequestID:
		return req.RequestID, true
	case invoke.HeaderRuntimeDeadline:
		return strconv.FormatInt(inv.Deadline.UnixMilli(), 10), true
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

// The record invocation_context_all writes (docs/abi.md): a fixed header,
// then the values' bytes back to back. All integers are little-endian.
const (
	recordEntropy  = 0  // [32]byte, fresh for every call
	recordDeadline = 32 // i64, milliseconds since the Unix epoch
	recordLengths  = 40 // 5 × u32: trace id, request id, ARN, client context, Cognito identity
	recordValues   = 60 // the values, in that order

	entropySize = 32
)

// recordSize is the size of inv's context record.
func recordSize(req *invoke.Request) int {
	return recordValues + len(req.TraceID) + len(req.RequestID) + len(req.InvokedFunctionARN) +
		len(req.ClientContext) + len(req.CognitoIdentity)
}

// putRecord writes inv's context record into b, which is recordSize long.
func putRecord(b []byte, inv *abi.Invocation) {
	req := inv.Request
	// crypto/rand.Read never fails (the process crashes if the kernel's
	// source does).
	rand.Read(b[recordEntropy : recordEntropy+entropySize])
	binary.LittleEndian.PutUint64(b[recordDeadline:], uint64(inv.Deadline.UnixMilli()))
	off := recordValues
	for i, v := range [...]string{req.TraceID, req.RequestID, req.InvokedFunctionARN} {
		binary.LittleEndian.PutUint32(b[recordLengths+4*i:], uint32(len(v)))
		off += copy(b[off:], v)
	}
	for i, v := range [...][]byte{req.ClientContext, req.CognitoIdentity} {
		binary.LittleEndian.PutUint32(b[recordLengths+4*(3+i):], uint32(len(v)))
		off += copy(b[off:], v)
	}
}
