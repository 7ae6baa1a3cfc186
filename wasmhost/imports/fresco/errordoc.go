package fresco

import (
	"encoding/json"
	"strings"

	"github.com/frescolabs/fresco/internal/invoke"
)

// ErrorDocument normalises an error a guest posted into Lambda's
// {"errorMessage","errorType"} document and returns its type. A body that is
// a JSON object is kept as posted (stackTrace and other fields included),
// with errorType taken from the body when it is a non-empty string, else
// from the type the guest passed, and errorMessage made a string. initErr
// chooses the default type: invoke.ErrInit for an init error, else
// invoke.FunctionErrorUnhandled.
func ErrorDocument(typ string, body []byte, initErr bool) (string, []byte) {
	typ = strings.ToValidUTF8(typ, "\uFFFD") // as JSON will carry it
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) == nil && doc != nil {
		var s string
		if json.Unmarshal(doc["errorType"], &s) == nil && s != "" {
			typ = s
		}
		if typ == "" {
			typ = defaultErrorType(initErr)
		}
		doc["errorType"], _ = json.Marshal(typ)
		if msg, ok := doc["errorMessage"]; !ok {
			doc["errorMessage"] = json.RawMessage(`""`)
		} else if json.Unmarshal(msg, &s) != nil {
			doc["errorMessage"], _ = json.Marshal(string(msg))
		}
		if out, err := json.Marshal(doc); err == nil {
			return typ, out
		}
	}
	if typ == "" {
		typ = defaultErrorType(initErr)
	}
	out, _ := json.Marshal(invoke.ErrorPayload{ErrorMessage: string(body), ErrorType: typ})
	return typ, out
}

func defaultErrorType(initErr bool) string {
	if initErr {
		return invoke.ErrInit
	}
	return invoke.FunctionErrorUnhandled
}
