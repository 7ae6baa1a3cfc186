package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"reflect"
	"runtime"
	"strings"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// call runs the handler, turning a returned error or a panic into the error
// document aws-lambda-go would send.
func call(ctx context.Context, h Handler, payload []byte) (out []byte, ierr *messages.InvokeResponse_Error) {
	defer func() {
		if v := recover(); v != nil {
			ierr = panicResponse(v)
		}
	}()
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		return nil, errorResponse(err)
	}
	return out, nil
}

// typeName is the errorType aws-lambda-go reports for a value: its Go type
// name, the pointed-to type's for a pointer.
func typeName(v interface{}) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}

func errorResponse(err error) *messages.InvokeResponse_Error {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return &ive
	}
	return &messages.InvokeResponse_Error{Message: err.Error(), Type: typeName(err)}
}

func panicResponse(v interface{}) *messages.InvokeResponse_Error {
	if ive, ok := v.(messages.InvokeResponse_Error); ok {
		return &ive
	}
	return &messages.InvokeResponse_Error{
		Message:    fmt.Sprintf("%v", v),
		Type:       typeName(v),
		StackTrace: stack(),
		ShouldExit: true,
	}
}

// stack is the panicking goroutine's stack above the recover, as
// aws-lambda-go reports it: path, line, function label.
func stack() []*messages.InvokeResponse_Error_StackFrame {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(4, pcs) // skip Callers, stack, panicResponse, the deferred func
	frames := runtime.CallersFrames(pcs[:n])
	var out []*messages.InvokeResponse_Error_StackFrame
	for {
		f, more := frames.Next()
		if f.Function != "" && !strings.HasPrefix(f.Function, "runtime.") {
			label := f.Function
			if i := strings.LastIndex(label, "/"); i >= 0 {
				label = label[i+1:]
			}
			if i := strings.Index(label, "."); i >= 0 {
				label = label[i+1:]
			}
			out = append(out, &messages.InvokeResponse_Error_StackFrame{Path: f.File, Line: int32(f.Line), Label: label})
		}
		if !more {
			break
		}
	}
	return out
}

// failure renders an error document and logs it, as aws-lambda-go's runtime
// loop does before reporting a failure.
func failure(e *messages.InvokeResponse_Error) ([]byte, string, []byte) {
	body, err := json.Marshal(e)
	if err != nil {
		e = &messages.InvokeResponse_Error{Type: "Runtime.SerializationError", Message: err.Error()}
		body, _ = json.Marshal(e)
	}
	log.Printf("%s", body)
	return nil, e.Type, body
}

func decodeJSON(s string, v interface{}, what string) error {
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("failed to unmarshal %s json: %v", what, err)
	}
	return nil
}
