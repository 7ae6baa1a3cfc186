package edge

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover, deferred by a handler, turns a panic into the answer render
// writes (the response's headers cleared first), and logs it through logger
// as message with the request id, the panic and the stack. When the answer
// has already begun, it aborts the response instead, so that the client
// cannot mistake a truncated answer for a whole one; http.ErrAbortHandler
// passes through. It tells whether the answer has begun from a writer that
// reports its status (as [AccessLog] wraps it); id is the request id to log.
//
// It must be deferred directly (defer edge.Recover(...)), as recover only
// works there.
func Recover(w http.ResponseWriter, r *http.Request, logger *slog.Logger, message, id string, render func(http.ResponseWriter, *http.Request)) {
	rec := recover()
	if rec == nil {
		return
	}
	if rec == http.ErrAbortHandler {
		panic(rec)
	}
	logger.ErrorContext(r.Context(), message,
		KeyRequestID, id, KeyPanic, fmt.Sprint(rec), KeyStack, string(debug.Stack()))
	if ww, ok := w.(interface{ Status() int }); ok && ww.Status() != 0 {
		panic(http.ErrAbortHandler)
	}
	clear(w.Header())
	render(w, r)
}

// Recoverer is [Recover] as a middleware, for a handler whose panics all get
// the same answer; the request id logged is the State's.
func Recoverer(logger *slog.Logger, message string, render func(http.ResponseWriter, *http.Request)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer Recover(w, r, logger, message, RequestID(r), render)
			next.ServeHTTP(w, r)
		})
	}
}
