package invokeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// Backend is what the API needs from the core: invoke.Backend, named here
// for the API's users.
type Backend = invoke.Backend

// Function is one resolved function (and version or alias): invoke.Handle.
type Function = invoke.Handle

// NewHandler returns the HTTP handler of the Invoke API, backed by b. Each
// request is logged through logger (nil discards the logs).
func NewHandler(b Backend, logger *slog.Logger) http.Handler {
	return NewAuthenticatedHandler(b, logger, nil)
}

// NewAuthenticatedHandler is NewHandler with auth (an [edge.SigV4]
// middleware, whose Deny is [Deny]) run on every request inside the
// request id, the access log and the panic guard, before any operation;
// nil authenticates nothing.
func NewAuthenticatedHandler(b Backend, logger *slog.Logger, auth func(http.Handler) http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &server{backend: b, logger: logger}
	r := chi.NewRouter()
	r.Use(s.middlewares()...)
	if auth != nil {
		r.Use(auth)
	}
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)
	r.Post(invokeRoute, s.invoke)
	r.Post(streamRoute, s.invokeStream)
	return r
}

type server struct {
	backend Backend
	logger  *slog.Logger
}

// middlewares are the Invoke API's edge, outermost first: a request id for
// every request (the invocation's id), one log line per request, and
// panics answered as 500 ServiceException.
func (s *server) middlewares() []func(http.Handler) http.Handler {
	return []func(http.Handler) http.Handler{
		edge.WithRequestID(edge.HeaderRequestID),
		edge.AccessLog{Logger: s.logger, Message: "request", Keys: []string{edge.KeyFunction, edge.KeyRequestID}}.Middleware,
		edge.Recoverer(s.logger, "panic in handler", func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, invoke.ServiceFailure(msgInternal))
		}),
	}
}

// invoke serves the Invoke operation.
func (s *server) invoke(w http.ResponseWriter, r *http.Request) {
	if err := s.serveInvoke(w, r); err != nil {
		// A body refused as too large is read to its end after the answer.
		edge.AnswerUnread(w, r, func() { s.writeError(w, r, err) })
	}
}

// serveInvoke validates in the order the service does: the name and
// qualifier, the headers, the body's size, the function's existence, then the
// body's content. It writes the answer itself only on success.
func (s *server) serveInvoke(w http.ResponseWriter, r *http.Request) error {
	in, err := parseInvocation(r)
	if err != nil {
		return err
	}
	fn, err := s.backend.Lookup(in.ref.Name, in.qualifier)
	if err != nil {
		return fmt.Errorf("look up function %q: %w", in.ref.String(), err)
	}
	if len(in.payload) == 0 {
		in.payload = []byte("{}") // Lambda hands functions an empty payload as {}
	} else if !json.Valid(in.payload) {
		var v json.RawMessage
		detail := "invalid JSON"
		if err := json.Unmarshal(in.payload, &v); err != nil {
			detail = err.Error()
		}
		return invoke.InvalidRequestContent("%s%s", msgInvalidJSON, detail)
	}
	if in.typ == DryRun {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}

	arn := fn.ARN()
	if in.qualifier != "" {
		arn += ":" + in.qualifier
	}
	req := &invoke.Request{
		RequestID:          edge.RequestID(r),
		Payload:            in.payload,
		InvokedFunctionARN: arn,
		TraceID:            traceID(r.Header.Get(edge.HeaderTraceID)),
	}
	if req.RequestID == "" { // only when the handler is used without its middlewares
		req.RequestID = invoke.NewRequestID()
	}
	if in.typ == Event {
		// Lambda passes the client context to synchronous invocations only.
		if err := fn.InvokeAsync(req); err != nil {
			return fmt.Errorf("queue invocation of %s: %w", arn, err)
		}
		w.Header().Set(edge.HeaderContentLength, "0")
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	req.ClientContext = in.clientContext
	// The invocation runs to its own deadline even if the caller hangs up,
	// as in Lambda: its effects and its log are the same either way.
	res, err := fn.Invoke(context.WithoutCancel(r.Context()), req)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", arn, err)
	}
	if res == nil {
		return errors.New("backend returned no result")
	}
	writeResult(w, fn.Version(), res, in.tail)
	return nil
}

// invocation is what an Invoke request asks for, parsed and checked but
// for the payload's content, which is checked once the function exists.
type invocation struct {
	ref           functionRef
	qualifier     string
	typ           InvocationType
	tail          bool
	clientContext []byte
	payload       []byte
}

// parseInvocation reads the name and qualifier, the headers and the body,
// in the service's order.
func parseInvocation(r *http.Request) (*invocation, error) {
	// chi matched the route on the escaped path when there is one, or on the
	// decoded one; either way EscapedPath holds the label still encoded, and
	// parseFunctionName decodes it exactly once.
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, invokePrefix) || !strings.HasSuffix(path, invokeSuffix) ||
		len(path) < len(invokePrefix)+len(invokeSuffix) {
		return nil, unknownOperation(http.StatusNotFound, r)
	}
	var in invocation
	var err error
	if in.ref, err = parseFunctionName(path[len(invokePrefix) : len(path)-len(invokeSuffix)]); err != nil {
		return nil, err
	}
	if st := edge.StateOf(r); st != nil {
		st.SetString(edge.KeyFunction, in.ref.Name)
	}
	if in.qualifier, err = resolveQualifier(in.ref.Qualifier, r.URL.Query().Get(queryQualifier)); err != nil {
		return nil, err
	}
	if in.typ, err = parseInvocationType(r.Header.Get(headerInvocationType)); err != nil {
		return nil, err
	}
	if in.tail, err = parseLogType(r.Header.Get(headerLogType)); err != nil {
		return nil, err
	}
	if in.clientContext, err = parseClientContext(r.Header.Get(headerClientContext)); err != nil {
		return nil, err
	}
	if in.payload, err = readPayload(r, in.typ); err != nil {
		return nil, err
	}
	return &in, nil
}

// writeResult writes a synchronous invocation's answer: 200 with the
// function's response, or its error document and X-Amz-Function-Error.
func writeResult(w http.ResponseWriter, version string, res *invoke.Result, tail bool) {
	body := res.Payload
	h := w.Header()
	h.Set(headerExecutedVersion, version)
	if res.Kind != invoke.Success {
		h.Set(headerFunctionError, invoke.FunctionErrorUnhandled)
		if len(body) == 0 {
			body, _ = json.Marshal(invoke.ErrorPayload{ErrorMessage: res.Kind.String(), ErrorType: res.ErrorType})
		}
	}
	if tail {
		h.Set(headerLogResult, base64.StdEncoding.EncodeToString(logTail(res.Log)))
	}
	edge.WriteJSON(w, http.StatusOK, body)
}

// InvocationType is the X-Amz-Invocation-Type of an invocation.
type InvocationType int

const (
	// RequestResponse runs the function and answers with its response.
	RequestResponse InvocationType = iota
	// Event queues the invocation and answers 202 at once.
	Event
	// DryRun checks the request and the function, and runs nothing.
	DryRun
)

// String is the header's value.
func (t InvocationType) String() string {
	switch t {
	case RequestResponse:
		return invocationRequestResponse
	case Event:
		return invocationEvent
	case DryRun:
		return invocationDryRun
	}
	return "InvocationType(" + strconv.Itoa(int(t)) + ")"
}

// maxPayload is the largest payload of an invocation of this type.
func (t InvocationType) maxPayload() int64 {
	if t == Event {
		return invoke.MaxAsyncRequest
	}
	return invoke.MaxSyncRequest
}

func parseInvocationType(v string) (InvocationType, error) {
	switch v {
	case "", invocationRequestResponse:
		return RequestResponse, nil
	case invocationEvent:
		return Event, nil
	case invocationDryRun:
		return DryRun, nil
	}
	return 0, invoke.InvalidParameter("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [%s, %s, %s]",
		v, invocationEvent, invocationRequestResponse, invocationDryRun)
}

// parseLogType reports whether the caller asked for the log's tail.
func parseLogType(v string) (bool, error) {
	switch v {
	case "", logTypeNone:
		return false, nil
	case logTypeTail:
		return true, nil
	}
	return false, invoke.InvalidParameter("1 validation error detected: Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [%s, %s]",
		v, logTypeNone, logTypeTail)
}

// parseClientContext decodes X-Amz-Client-Context: base64 (padded or not) of
// a JSON object, at most maxClientContext bytes of base64.
func parseClientContext(v string) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	if len(v) > maxClientContext {
		return nil, invoke.InvalidRequestContent("%s", msgClientContextTooLarge)
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(v)
	}
	if err != nil {
		return nil, invoke.InvalidRequestContent("%s", msgInvalidClientContext)
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(b) {
		return nil, invoke.InvalidRequestContent("%s", msgInvalidClientContext)
	}
	return b, nil
}

// readPayload reads the body, at most the limit of the invocation type
// (edge.ReadLimited: an oversized body is drained before the 413, and with
// Expect: 100-continue and a declared oversize, nothing is read at all).
func readPayload(r *http.Request, t InvocationType) ([]byte, error) {
	limit := t.maxPayload()
	body, size, err := edge.ReadLimited(r, limit)
	switch {
	case errors.Is(err, edge.ErrTooLarge):
		return nil, tooLarge(t, limit, size)
	case err != nil:
		return nil, invoke.InvalidRequestContent("Could not read request body: %v", err)
	}
	return body, nil
}

// tooLarge is the 413 for a body over limit; size is -1 when unknown.
func tooLarge(t InvocationType, limit, size int64) *invoke.ServiceError {
	if t != Event {
		return invoke.RequestTooLarge(msgTooLargeSync, limit)
	}
	if size < 0 {
		return invoke.RequestTooLarge(msgTooLargeEventUnknown, limit)
	}
	return invoke.RequestTooLarge(msgTooLargeEvent, size, limit)
}

// logTail is the last maxLogTail bytes of log.
func logTail(log []byte) []byte {
	if len(log) > maxLogTail {
		return log[len(log)-maxLogTail:]
	}
	return log
}
