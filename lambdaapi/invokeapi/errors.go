package invokeapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// errorBody is the JSON body of a service error. Lambda's models spell the
// message member "message" for some errors and "Message" for others; the SDKs
// (botocore, smithy-go) accept either, so one spelling is used throughout.
type errorBody struct {
	Type    string `json:"Type"`
	Message string `json:"message"`
}

// writeError is the one place where an error becomes an HTTP answer. An
// *invoke.ServiceError (wrapped or not) is rendered as itself; anything else
// is logged and rendered as a 500 ServiceException, without its text.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se *invoke.ServiceError
	if !errors.As(err, &se) {
		s.logger.ErrorContext(r.Context(), "unexpected error", edge.KeyRequestID, edge.RequestID(r), edge.KeyError, err)
		se = invoke.ServiceFailure(msgInternal)
	}
	writeServiceError(w, edge.RequestID(r), se)
}

// writeServiceError renders se, with id as x-amzn-RequestId when it is not
// empty.
func writeServiceError(w http.ResponseWriter, id string, se *invoke.ServiceError) {
	status, typ := se.Status, se.Type
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	if typ == "" {
		typ = "ServiceException"
	}
	body := errorBody{Type: "User", Message: se.Message}
	if status >= 500 {
		body.Type = "Service"
	}
	b, _ := json.Marshal(body) // cannot fail: two strings

	h := w.Header()
	if id != "" {
		h.Set(edge.HeaderRequestID, id)
	}
	h.Set(edge.HeaderErrorType, typ)
	edge.WriteJSON(w, status, b)
}

// unknownOperation is the answer to a path or method that no operation of
// this API serves; AWS names it UnknownOperationException.
func unknownOperation(status int, r *http.Request) *invoke.ServiceError {
	return &invoke.ServiceError{
		Status:  status,
		Type:    "UnknownOperationException",
		Message: "Unknown operation " + r.Method + " " + r.URL.EscapedPath(),
	}
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, unknownOperation(http.StatusNotFound, r))
}

func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	s.writeError(w, r, unknownOperation(http.StatusMethodNotAllowed, r))
}

// Refuse is the Invoke API's [edge.Refuse]: its answer, with a fresh
// x-amzn-RequestId, to a request the edge refuses before the handler runs.
// A refused Host or Origin (403) is AccessDeniedException, the error every
// AWS service gives a caller it does not authorise; a request over a limit
// (413) is RequestTooLargeException; anything else is a malformed request,
// 400 InvalidRequestContentException.
func Refuse(w http.ResponseWriter, status int, message string) {
	se := &invoke.ServiceError{Status: status, Message: message}
	switch status {
	case http.StatusForbidden:
		se.Type = errorTypeAccessDenied
	case http.StatusRequestEntityTooLarge:
		se.Type = errorTypeTooLarge
	default:
		se.Status, se.Type = http.StatusBadRequest, errorTypeInvalidContent
	}
	writeServiceError(w, invoke.NewRequestID(), se)
}

// Deny is the Invoke API's answer to a request that SigV4 refuses: 403
// with AWS's error type (InvalidSignatureException,
// UnrecognizedClientException, MissingAuthenticationTokenException,
// IncompleteSignatureException).
func Deny(w http.ResponseWriter, r *http.Request, e *edge.AuthError) {
	id := edge.RequestID(r)
	if id == "" {
		id = invoke.NewRequestID()
	}
	writeServiceError(w, id, &invoke.ServiceError{Status: http.StatusForbidden, Type: e.Type, Message: e.Message})
}
