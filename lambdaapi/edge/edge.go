package edge

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Header names and media types more than one surface uses. Go
// canonicalises header names on the wire (x-amzn-RequestId goes out as
// X-Amzn-Requestid); HTTP header names are case-insensitive and every AWS
// client reads them so.
const (
	HeaderContentType   = "Content-Type"
	HeaderContentLength = "Content-Length"
	ContentTypeJSON     = "application/json"
	// HeaderRequestID is the request id of AWS's answers (the Invoke API's,
	// a REST API's).
	HeaderRequestID = "X-Amzn-RequestId"
	// HeaderErrorType names the error of an AWS answer.
	HeaderErrorType = "X-Amzn-ErrorType"
	// HeaderTraceID is the X-Ray trace header.
	HeaderTraceID = "X-Amzn-Trace-Id"
)

// MaxTraceHeader bounds an incoming X-Amzn-Trace-Id that is honoured;
// X-Ray's own header is well under this.
const MaxTraceHeader = 1024

// Log keys, constant so that logs can be queried.
const (
	KeyMethod    = "method"
	KeyPath      = "path"
	KeyStatus    = "status"
	KeyDuration  = "duration"
	KeyFunction  = "function"
	KeyRequestID = "request_id"
	KeyPanic     = "panic"
	KeyStack     = "stack"
	KeyError     = "error"
)

// State is what the edge middlewares and the handler share about one
// request: its id and the attributes of its access-log line. Only the
// request's own goroutine touches it.
type State struct {
	// ID is the request's id ("" when no middleware or handler gave it one).
	ID    string
	attrs []slog.Attr
	// unread is set when ReadLimited refused the body after reading began.
	unread bool
}

// Set sets the access-log attribute key to value: in place when it is
// already set, else after those set so far.
func (st *State) Set(key string, value slog.Value) {
	for i := range st.attrs {
		if st.attrs[i].Key == key {
			st.attrs[i].Value = value
			return
		}
	}
	st.attrs = append(st.attrs, slog.Attr{Key: key, Value: value})
}

// SetString is Set for a string value.
func (st *State) SetString(key, value string) { st.Set(key, slog.StringValue(value)) }

type stateKey struct{}

// StateOf is the request's State; nil when no middleware of this package
// serves it.
func StateOf(r *http.Request) *State {
	st, _ := r.Context().Value(stateKey{}).(*State)
	return st
}

// WithState returns r with a State in its context, and the State: the one r
// already has, or a new one.
func WithState(r *http.Request) (*http.Request, *State) {
	if st := StateOf(r); st != nil {
		return r, st
	}
	st := &State{}
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, st)), st
}

// RequestID is the request's id, "" when it has none.
func RequestID(r *http.Request) string {
	if st := StateOf(r); st != nil {
		return st.ID
	}
	return ""
}

// WithRequestID returns a middleware that gives every request a fresh
// request id, sets it on the response at once as header (so that every
// answer carries it, errors and panics included), and keeps it in the
// request's State (and as its request_id log attribute) for the handler,
// which uses it as the invocation's id.
func WithRequestID(header string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, st := WithState(r)
			st.ID = invoke.NewRequestID()
			st.SetString(KeyRequestID, st.ID)
			w.Header().Set(header, st.ID)
			next.ServeHTTP(w, r)
		})
	}
}

// AccessLog logs one line per request when it is answered: the method, the
// escaped path, the status (200 for an empty answer, as net/http sends),
// the duration, then Keys and whatever attributes the handler set in the
// request's State. Answers of 500 and above are logged at error level.
type AccessLog struct {
	Logger *slog.Logger
	// Message is the line's message ("request").
	Message string
	// Keys are logged on every line, in this order, as "" when the handler
	// set none; other attributes follow in the order they were set.
	Keys []string
	// Now is the clock of the durations; nil is time.Now.
	Now func() time.Time
}

// Middleware returns the access-log middleware.
func (a AccessLog) Middleware(next http.Handler) http.Handler {
	now := a.Now
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, st := WithState(r)
		start := now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK // what net/http sends for an empty answer
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			attrs := make([]slog.Attr, 0, 4+len(a.Keys)+len(st.attrs))
			attrs = append(attrs,
				slog.String(KeyMethod, r.Method),
				slog.String(KeyPath, r.URL.EscapedPath()),
				slog.Int(KeyStatus, status),
				slog.Duration(KeyDuration, now().Sub(start)),
			)
			for _, k := range a.Keys {
				v, _ := st.get(k)
				attrs = append(attrs, slog.Attr{Key: k, Value: v})
			}
			for _, at := range st.attrs {
				if !slices.Contains(a.Keys, at.Key) {
					attrs = append(attrs, at)
				}
			}
			a.Logger.LogAttrs(r.Context(), level, a.Message, attrs...)
		}()
		next.ServeHTTP(ww, r)
	})
}

// get is the attribute key, the empty string when it is not set.
func (st *State) get(key string) (slog.Value, bool) {
	for _, a := range st.attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return slog.StringValue(""), false
}
