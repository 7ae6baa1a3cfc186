package invokeapi

import (
	"strings"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// traceID returns the X-Ray trace header for an invocation: the caller's
// X-Amzn-Trace-Id when it has a Root, else a new, unsampled one.
func traceID(incoming string) string {
	incoming = strings.TrimSpace(incoming)
	if incoming != "" && len(incoming) <= edge.MaxTraceHeader && strings.Contains(incoming, "Root=") {
		return incoming
	}
	return invoke.NewTraceID()
}
