package server

import (
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/internal/invoke"
)

// TestErrorTypeLabel: the label of a failure is bounded: the sandbox's and
// runtime's types as they are, a function's own as Unhandled.
func TestErrorTypeLabel(t *testing.T) {
	for _, c := range []struct {
		res  *invoke.Result
		want string
	}{
		{invoke.ErrorResult(invoke.Timeout, invoke.ErrTimeout, "t"), "Sandbox.Timedout"},
		{invoke.ErrorResult(invoke.Crash, invoke.ErrExit, "x"), "Runtime.ExitError"},
		{invoke.ErrorResult(invoke.ResponseTooLarge, invoke.ErrResponseTooLarge, "x"), "Function.ResponseSizeTooLarge"},
		{invoke.ErrorResult(invoke.FunctionError, "ValidationError", "x"), "Unhandled"},
		// A guest that names its own error like the runtime's is still its own.
		{invoke.ErrorResult(invoke.FunctionError, "Runtime.Anything", "x"), "Unhandled"},
		{invoke.ErrorResult(invoke.Crash, "whatever", "x"), "Unhandled"},
	} {
		if got := errorType(c.res); got != c.want {
			t.Errorf("%v %q: %q, want %q", c.res.Kind, c.res.ErrorType, got, c.want)
		}
	}
}

// BenchmarkObserve is what the metrics add to an invocation: one
// Observer call at the Invoker.
func BenchmarkObserve(b *testing.B) {
	m := newMetrics()
	o := functions.Observation{Function: "Hello", Version: "$LATEST", Type: functions.RequestResponse,
		Result: &invoke.Result{Duration: 80 * time.Microsecond, RestoreDuration: 30 * time.Microsecond}}
	b.ReportAllocs()
	for b.Loop() {
		m.observe(o)
	}
}
