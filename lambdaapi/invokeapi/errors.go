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
	if id := edge.RequestID(r); id != "" {
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
