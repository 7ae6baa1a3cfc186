package lambdaapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Log keys, constant so that logs can be queried.
const (
	keyMethod    = "method"
	keyPath      = "path"
	keyStatus    = "status"
	keyDuration  = "duration"
	keyFunction  = "function"
	keyRequestID = "request_id"
)

// requestState is what the edge middlewares and the handler share about one
// request. Only the request's own goroutine touches it.
type requestState struct {
	id       string
	function string // set by the handler once the name is parsed
}

type stateKey struct{}

func stateOf(r *http.Request) *requestState {
	st, _ := r.Context().Value(stateKey{}).(*requestState)
	return st
}

func requestID(r *http.Request) string {
	if st := stateOf(r); st != nil {
		return st.id
	}
	return ""
}

// withRequestID gives every request a fresh request id, sets it on the
// response at once (so every answer carries it, errors and panics included),
// and puts it in the context for the handler, which uses it as the
// invocation's id.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &requestState{id: invoke.NewRequestID()}
		w.Header().Set(headerRequestID, st.id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	})
}

// logRequests logs one line per request when it is answered.
func logRequests(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			defer func() {
				st := stateOf(r)
				var id, fn string
				if st != nil {
					id, fn = st.id, st.function
				}
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK // what net/http sends for an empty answer
				}
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelError
				}
				logger.LogAttrs(r.Context(), level, "request",
					slog.String(keyMethod, r.Method),
					slog.String(keyPath, r.URL.EscapedPath()),
					slog.Int(keyStatus, status),
					slog.Duration(keyDuration, time.Since(start)),
					slog.String(keyFunction, fn),
					slog.String(keyRequestID, id),
				)
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// recoverPanics turns a panic in a handler into a 500 ServiceException. When
// the answer has already begun, it aborts the response instead, so the client
// cannot mistake a truncated answer for a whole one.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			s.logger.ErrorContext(r.Context(), "panic in handler",
				keyRequestID, requestID(r), "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			if ww, ok := w.(middleware.WrapResponseWriter); ok && ww.Status() != 0 {
				panic(http.ErrAbortHandler)
			}
			clear(w.Header())
			s.writeError(w, r, invoke.ServiceFailure(msgInternal))
		}()
		next.ServeHTTP(w, r)
	})
}
