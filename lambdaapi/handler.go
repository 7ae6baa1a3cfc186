package lambdaapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Backend is what the API needs from the emulator.
type Backend interface {
	// Lookup resolves a function name (as given by the client after ARN
	// parsing) and a qualifier ("" or "$LATEST" or other). It returns an
	// *invoke.ServiceError (ResourceNotFoundException) for an unknown
	// function or qualifier.
	Lookup(name, qualifier string) (Function, error)
}

// Function is one resolved function (and version or alias).
type Function interface {
	// Name is the FunctionName.
	Name() string
	// ARN is the unqualified function ARN.
	ARN() string
	// Version is the version that runs, e.g. "$LATEST".
	Version() string
	// Invoke runs one invocation synchronously. A non-nil error is an
	// *invoke.ServiceError (e.g. TooManyRequestsException) or an unexpected
	// failure (rendered as ServiceException 500). Result.Log already holds
	// the full log (START ... END ... REPORT lines).
	Invoke(ctx context.Context, req *invoke.Request) (*invoke.Result, error)
	// InvokeAsync queues an Event invocation and returns at once; the
	// backend runs and logs it.
	InvokeAsync(req *invoke.Request) error
}

// NewHandler returns the HTTP handler of the Invoke API, backed by b. Each
// request is logged through logger (nil discards the logs).
func NewHandler(b Backend, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &server{backend: b, logger: logger}
	r := chi.NewRouter()
	r.Use(withRequestID, logRequests(logger), s.recoverPanics)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)
	r.Post(invokeRoute, s.invoke)
	return r
}

type server struct {
	backend Backend
	logger  *slog.Logger
}

// invoke serves the Invoke operation.
func (s *server) invoke(w http.ResponseWriter, r *http.Request) {
	if err := s.serveInvoke(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

// serveInvoke validates in the order the service does: the name and
// qualifier, the headers, the body's size, the function's existence, then the
// body's content. It writes the answer itself only on success.
func (s *server) serveInvoke(w http.ResponseWriter, r *http.Request) error {
	// chi matched the route on the escaped path when there is one, or on the
	// decoded one; either way EscapedPath holds the label still encoded, and
	// parseFunctionName decodes it exactly once.
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, invokePrefix) || !strings.HasSuffix(path, invokeSuffix) ||
		len(path) < len(invokePrefix)+len(invokeSuffix) {
		return unknownOperation(http.StatusNotFound, r)
	}
	ref, err := parseFunctionName(path[len(invokePrefix) : len(path)-len(invokeSuffix)])
	if err != nil {
		return err
	}
	st := stateOf(r)
	if st != nil {
		st.function = ref.Name
	}
	qualifier, err := resolveQualifier(ref.Qualifier, r.URL.Query().Get(queryQualifier))
	if err != nil {
		return err
	}

	invocationType, err := parseInvocationType(r.Header.Get(headerInvocationType))
	if err != nil {
		return err
	}
	tail, err := parseLogType(r.Header.Get(headerLogType))
	if err != nil {
		return err
	}
	clientContext, err := parseClientContext(r.Header.Get(headerClientContext))
	if err != nil {
		return err
	}

	payload, err := readPayload(r, invocationType)
	if err != nil {
		return err
	}

	fn, err := s.backend.Lookup(ref.Name, qualifier)
	if err != nil {
		return fmt.Errorf("look up function %q: %w", ref.String(), err)
	}

	if len(payload) == 0 {
		payload = []byte("{}") // Lambda hands functions an empty payload as {}
	} else if !json.Valid(payload) {
		var v json.RawMessage
		detail := "invalid JSON"
		if err := json.Unmarshal(payload, &v); err != nil {
			detail = err.Error()
		}
		return invoke.InvalidRequestContent("%s%s", msgInvalidJSON, detail)
	}

	if invocationType == invocationDryRun {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}

	arn := fn.ARN()
	if qualifier != "" {
		arn += ":" + qualifier
	}
	req := &invoke.Request{
		RequestID:          requestID(r),
		Payload:            payload,
		InvokedFunctionARN: arn,
		TraceID:            traceID(r.Header.Get(headerTraceID)),
	}
	if req.RequestID == "" { // only when the handler is used without its middlewares
		req.RequestID = invoke.NewRequestID()
	}

	if invocationType == invocationEvent {
		// Lambda passes the client context to synchronous invocations only.
		if err := fn.InvokeAsync(req); err != nil {
			return fmt.Errorf("queue invocation of %s: %w", arn, err)
		}
		w.Header().Set(headerContentLength, "0")
		w.WriteHeader(http.StatusAccepted)
		return nil
	}

	req.ClientContext = clientContext
	// The invocation runs to its own deadline even if the caller hangs up,
	// as in Lambda: its effects and its log are the same either way.
	res, err := fn.Invoke(context.WithoutCancel(r.Context()), req)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", arn, err)
	}
	if res == nil {
		return errors.New("backend returned no result")
	}

	body := res.Payload
	h := w.Header()
	h.Set(headerContentType, contentTypeJSON)
	h.Set(headerExecutedVersion, fn.Version())
	if res.Kind != invoke.Success {
		h.Set(headerFunctionError, functionErrorUnhandled)
		if len(body) == 0 {
			body, _ = json.Marshal(invoke.ErrorPayload{ErrorMessage: res.Kind.String(), ErrorType: res.ErrorType})
		}
	}
	if tail {
		h.Set(headerLogResult, base64.StdEncoding.EncodeToString(logTail(res.Log)))
	}
	h.Set(headerContentLength, strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body) // an error here means the client went away; nothing to tell it
	return nil
}

func parseInvocationType(v string) (string, error) {
	switch v {
	case "", invocationRequestResponse:
		return invocationRequestResponse, nil
	case invocationEvent, invocationDryRun:
		return v, nil
	}
	return "", invoke.InvalidParameter("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [%s, %s, %s]",
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

// readPayload reads the body, at most the limit of the invocation type plus
// one byte. An oversized body is drained (up to maxDrain) before the 413, so
// that clients still writing it read the answer instead of a reset; with
// Expect: 100-continue and a declared oversize, nothing is read at all.
func readPayload(r *http.Request, invocationType string) ([]byte, error) {
	limit := int64(invoke.MaxSyncRequest)
	if invocationType == invocationEvent {
		limit = invoke.MaxAsyncRequest
	}
	if r.ContentLength > limit {
		if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
			io.CopyN(io.Discard, r.Body, maxDrain)
		}
		return nil, tooLarge(invocationType, limit, r.ContentLength)
	}
	if r.ContentLength >= 0 {
		// net/http ends the body at its declared length: read it in one piece.
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, invoke.InvalidRequestContent("Could not read request body: %v", err)
		}
		return buf, nil
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, invoke.InvalidRequestContent("Could not read request body: %v", err)
	}
	if n := int64(len(buf)); n > limit {
		drained, _ := io.CopyN(io.Discard, r.Body, maxDrain)
		size := int64(-1)
		if drained < maxDrain {
			size = n + drained
		}
		return nil, tooLarge(invocationType, limit, size)
	}
	return buf, nil
}

// tooLarge is the 413 for a body over limit; size is -1 when unknown.
func tooLarge(invocationType string, limit, size int64) *invoke.ServiceError {
	if invocationType != invocationEvent {
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
