package lambdart

import (
	"context"
	"encoding/json"
	"reflect"
)

// StandIn returns, for a handler function, a function of the same type
// that returns zero values, and the JSON of a zero value of its event type
// ({} when it takes none): what a warm runs before the snapshot, through
// the handler's own decoding and encoding, so that reflect's call frame of
// the type and encoding/json's codecs of its input and output are in the
// image. The handler is never called. ok is false when handler is not a
// function.
func StandIn(handler any) (standIn any, event []byte, ok bool) {
	t := reflect.TypeOf(handler)
	if t == nil || t.Kind() != reflect.Func {
		return nil, nil, false
	}
	zeros := reflect.MakeFunc(t, func([]reflect.Value) []reflect.Value {
		out := make([]reflect.Value, t.NumOut())
		for i := range out {
			out[i] = reflect.Zero(t.Out(i))
		}
		return out
	})
	// The JSON of the event type's zero value decodes cleanly whatever the
	// type.
	event = []byte("{}")
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	for i := 0; i < t.NumIn(); i++ {
		if in := t.In(i); !in.Implements(ctxType) {
			if b, ok := zeroJSON(in); ok {
				event = b
			}
		}
	}
	return zeros.Interface(), event, true
}

// zeroJSON is the JSON of t's zero value; false if it has none, or if a
// MarshalJSON of the handler's types panics on a zero value (the warm
// must not fail the function's init).
func zeroJSON(t reflect.Type) (b []byte, ok bool) {
	defer func() {
		if recover() != nil {
			b, ok = nil, false
		}
	}()
	b, err := json.Marshal(reflect.New(t).Elem().Interface())
	return b, err == nil
}
