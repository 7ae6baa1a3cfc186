package runtimeapi

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

// The wire contract of the Lambda Runtime API (version 2018-06-01), as AWS
// documents it and as aws-lambda-go's runtime client speaks it. The
// invocation headers of next are invoke.HeaderRuntime*.
const (
	runtimeNextRoute     = "/2018-06-01/runtime/invocation/next"
	runtimeResponseRoute = "/2018-06-01/runtime/invocation/{id}/response"
	runtimeErrorRoute    = "/2018-06-01/runtime/invocation/{id}/error"
	runtimeInitRoute     = "/2018-06-01/runtime/init/error"

	// headerRuntimeErrorType names a function error's type, as a header of
	// an error post or, from clients that stream their answer, as a trailer.
	headerRuntimeErrorType = "Lambda-Runtime-Function-Error-Type"
	// trailerRuntimeErrorBody is the base64 of the error document that
	// aws-lambda-go sends as a trailer when reading a streamed response fails.
	trailerRuntimeErrorBody = "Lambda-Runtime-Function-Error-Body"

	// Error types of the Runtime API's own answers.
	runtimeErrInvalidRequestID = "InvalidRequestID"
	runtimeErrUnknownOperation = "UnknownOperation"
	runtimeErrInternal         = "ServiceException"

	// msgInternal is the message of a 500.
	msgInternal = "An internal error occurred."
)

// Runtime is one function's queue of invocations as its runtime processes
// see it. The process pool's queue (emulator/procpool) implements it.
type Runtime interface {
	// Next blocks until an invocation is assigned to the caller or ctx is
	// done. An invocation is assigned to exactly one caller; if ctx is done
	// when it would be assigned, it stays queued for another caller.
	Next(ctx context.Context) (*invoke.Request, error)
	// Respond, Fail and InitFail finish an invocation (or the runtime's
	// init). Respond and Fail return an *invoke.ServiceError for an unknown
	// or finished request id (400 InvalidRequestID); Respond returns one
	// (413 Function.ResponseSizeTooLarge) for a payload over
	// invoke.MaxResponse, after failing the invocation with that error.
	Respond(requestID string, payload []byte) error
	Fail(requestID string, errType string, body []byte) error
	InitFail(errType string, body []byte) error
}

// InvalidRequestID is the Runtime API's answer to a post for a request id
// that is not an invocation in progress: a Runtime returns it from
// Respond and Fail.
func InvalidRequestID(id string) *invoke.ServiceError {
	return &invoke.ServiceError{
		Status:  http.StatusBadRequest,
		Type:    runtimeErrInvalidRequestID,
		Message: "Invalid request ID: " + strconv.Quote(id),
	}
}

// ResponseTooLarge is the Runtime API's answer to a response over
// invoke.MaxResponse (a Runtime's Respond returns it); size is -1 when
// unknown.
func ResponseTooLarge(size int64) *invoke.ServiceError {
	msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", invoke.MaxResponse)
	if size >= 0 {
		msg = fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", size, invoke.MaxResponse)
	}
	return &invoke.ServiceError{Status: http.StatusRequestEntityTooLarge, Type: invoke.ErrResponseTooLarge, Message: msg}
}

// NewHandler returns the HTTP handler of the Lambda Runtime API for
// one function, whose invocations rt holds. Runtime processes find it through
// AWS_LAMBDA_RUNTIME_API. Requests are logged through logger (nil discards
// the logs).
//
// GET /2018-06-01/runtime/invocation/next blocks until an invocation is
// assigned, then answers 200 with the payload and the Lambda-Runtime-*
// headers (Client-Context and Cognito-Identity only when the invocation has
// them). POST .../invocation/{id}/response, .../invocation/{id}/error and
// /2018-06-01/runtime/init/error answer 202 {"status":"OK"}. Errors are
// {"errorMessage","errorType"} documents: 400 InvalidRequestID for an id that
// is not in progress, 413 Function.ResponseSizeTooLarge for a response over
// invoke.MaxResponse (the invocation fails with that error), 404 and 405
// UnknownOperation for anything else.
func NewHandler(rt Runtime, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &runtimeServer{rt: rt, logger: logger}
	r := chi.NewRouter()
	r.Use(edge.AccessLog{Logger: logger, Message: "request", Keys: []string{edge.KeyFunction, edge.KeyRequestID}}.Middleware)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, runtimeUnknown(http.StatusNotFound, r))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, runtimeUnknown(http.StatusMethodNotAllowed, r))
	})
	r.Get(runtimeNextRoute, s.next)
	r.Post(runtimeResponseRoute, s.response)
	r.Post(runtimeErrorRoute, s.error)
	r.Post(runtimeInitRoute, s.initError)
	return r
}

type runtimeServer struct {
	rt     Runtime
	logger *slog.Logger
}

func runtimeUnknown(status int, r *http.Request) *invoke.ServiceError {
	return &invoke.ServiceError{
		Status:  status,
		Type:    runtimeErrUnknownOperation,
		Message: "Unknown operation " + r.Method + " " + r.URL.EscapedPath(),
	}
}

// next serves GET .../invocation/next.
func (s *runtimeServer) next(w http.ResponseWriter, r *http.Request) {
	req, err := s.rt.Next(r.Context())
	if err != nil {
		if r.Context().Err() != nil {
			return // the runtime hung up; nobody reads an answer
		}
		s.writeError(w, r, fmt.Errorf("wait for next invocation: %w", err))
		return
	}
	h := w.Header()
	h.Set(invoke.HeaderRuntimeRequestID, req.RequestID)
	h.Set(invoke.HeaderRuntimeDeadline, strconv.FormatInt(req.Deadline.UnixMilli(), 10))
	h.Set(invoke.HeaderRuntimeFunctionARN, req.InvokedFunctionARN)
	h.Set(invoke.HeaderRuntimeTraceID, req.TraceID)
	if v := headerJSON(req.ClientContext); v != "" {
		h.Set(invoke.HeaderRuntimeClientContext, v)
	}
	if v := headerJSON(req.CognitoIdentity); v != "" {
		h.Set(invoke.HeaderRuntimeCognitoIdentity, v)
	}
	edge.WriteJSON(w, http.StatusOK, req.Payload) // a failure here is the runtime's to notice
}

// headerJSON is a JSON document on one line, fit for a header value.
func headerJSON(doc []byte) string {
	if len(doc) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err == nil {
		return b.String()
	}
	// Not JSON (the Invoke API validates it, so only a misbehaving caller):
	// pass it with line breaks flattened, as net/http would.
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(string(doc))
}

// response serves POST .../invocation/{id}/response.
func (s *runtimeServer) response(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if s.streamResponse(w, r, id) {
		return
	}
	body, size, err := readRuntimeBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// aws-lambda-go reports a failure to produce a streamed response as
	// trailers of the response post.
	if errType := r.Trailer.Get(headerRuntimeErrorType); errType != "" {
		doc, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerRuntimeErrorBody))
		s.finish(w, r, s.rt.Fail(id, errType, doc))
		return
	}
	if size < 0 || size > invoke.MaxResponse {
		// Respond fails the invocation; the body is cut at the limit + 1,
		// which is all it needs to know.
		err := s.rt.Respond(id, body)
		var se *invoke.ServiceError
		if errors.As(err, &se) && se.Type == invoke.ErrResponseTooLarge {
			err = ResponseTooLarge(size)
		}
		s.finish(w, r, err)
		return
	}
	s.finish(w, r, s.rt.Respond(id, body))
}

// error serves POST .../invocation/{id}/error.
func (s *runtimeServer) error(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	body, _, err := readRuntimeBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.finish(w, r, s.rt.Fail(id, errorType(r, body), body))
}

// initError serves POST /2018-06-01/runtime/init/error.
func (s *runtimeServer) initError(w http.ResponseWriter, r *http.Request) {
	body, _, err := readRuntimeBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.finish(w, r, s.rt.InitFail(errorType(r, body), body))
}

// errorType is the type of a posted error: the header (or trailer), else the
// document's errorType, else Unhandled.
func errorType(r *http.Request, body []byte) string {
	if v := r.Header.Get(headerRuntimeErrorType); v != "" {
		return v
	}
	if v := r.Trailer.Get(headerRuntimeErrorType); v != "" {
		return v
	}
	var doc invoke.ErrorPayload
	if json.Unmarshal(body, &doc) == nil && doc.ErrorType != "" {
		return doc.ErrorType
	}
	return invoke.FunctionErrorUnhandled
}

// readRuntimeBody reads at most invoke.MaxResponse+1 bytes of the body, and
// reports its size (edge.ReadPrefix's). A body over the limit is no error
// here: its first bytes go to Respond, which fails the invocation.
func readRuntimeBody(r *http.Request) ([]byte, int64, error) {
	body, size, err := edge.ReadPrefix(r, invoke.MaxResponse)
	if err != nil && !errors.Is(err, edge.ErrTooLarge) {
		return nil, 0, &invoke.ServiceError{Status: http.StatusBadRequest, Type: "InvalidRequest",
			Message: fmt.Sprintf("Could not read request body: %v", err)}
	}
	return body, size, nil
}

// finish answers a post: 202 {"status":"OK"} when err is nil.
func (s *runtimeServer) finish(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	edge.WriteJSON(w, http.StatusAccepted, []byte(`{"status":"OK"}`))
}

// writeError is the one place where an error of the Runtime API becomes an
// HTTP answer: an *invoke.ServiceError is rendered as its status and an
// {"errorMessage","errorType"} document; anything else is logged and
// rendered as a 500.
func (s *runtimeServer) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se *invoke.ServiceError
	if !errors.As(err, &se) {
		s.logger.ErrorContext(r.Context(), "runtime API error", edge.KeyPath, r.URL.EscapedPath(), edge.KeyError, err)
		se = &invoke.ServiceError{Status: http.StatusInternalServerError, Type: runtimeErrInternal, Message: msgInternal}
	}
	status := se.Status
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	b, _ := json.Marshal(invoke.ErrorPayload{ErrorMessage: se.Message, ErrorType: se.Type})
	edge.WriteJSON(w, status, b)
}
