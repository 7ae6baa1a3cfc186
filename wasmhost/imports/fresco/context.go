package fresco

import (
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
