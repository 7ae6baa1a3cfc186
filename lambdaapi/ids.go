package lambdaapi

import (
	"strings"

	"github.com/frescolabs/fresco/internal/invoke"
)

// maxTraceHeader bounds an incoming X-Amzn-Trace-Id that is honoured; X-Ray's
// own header is well under this.
const maxTraceHeader = 1024

// traceID returns the X-Ray trace header for an invocation: the caller's
// X-Amzn-Trace-Id when it has a Root, else a new, unsampled one.
func traceID(incoming string) string {
	incoming = strings.TrimSpace(incoming)
	if incoming != "" && len(incoming) <= maxTraceHeader && strings.Contains(incoming, "Root=") {
		return incoming
	}
	return invoke.NewTraceID()
}
