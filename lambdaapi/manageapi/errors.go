package manageapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// errorBody is a service error's JSON body, as the Invoke API writes it.
type errorBody struct {
	Type    string `json:"Type"`
	Message string `json:"message"`
}

// writeError is the one place where an error becomes this API's HTTP
// answer: an *invoke.ServiceError as itself, anything else logged and
// answered 500 ServiceException without its text.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se *invoke.ServiceError
	if !errors.As(err, &se) {
		s.logger.ErrorContext(r.Context(), "unexpected error", edge.KeyRequestID, edge.RequestID(r), edge.KeyError, err)
		se = invoke.ServiceFailure("An internal error occurred.")
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
	b, _ := json.Marshal(body)
	if id := edge.RequestID(r); id != "" {
		w.Header().Set(edge.HeaderRequestID, id)
	}
	w.Header().Set(edge.HeaderErrorType, typ)
	edge.WriteJSON(w, status, b)
}

// Refuse is the control plane's [edge.Refuse] for a body over MaxRequest
// that SigV4 refuses before the handler runs: Lambda's
// RequestEntityTooLargeException. Other refusals are the Invoke API's
// (the caller passes its Refuse as other).
func Refuse(other edge.Refuse) edge.Refuse {
	return func(w http.ResponseWriter, status int, message string) {
		if status != http.StatusRequestEntityTooLarge {
			other(w, status, message)
			return
		}
		b, _ := json.Marshal(errorBody{Type: "User", Message: message})
		w.Header().Set(edge.HeaderRequestID, invoke.NewRequestID())
		w.Header().Set(edge.HeaderErrorType, ErrEntityTooLarge)
		edge.WriteJSON(w, status, b)
	}
}
