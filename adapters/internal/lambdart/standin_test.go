package lambdart

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

type standInEvent struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

type panicky struct{}

func (*panicky) MarshalJSON() ([]byte, error) { panic("not on a zero value") }

type withPanicky struct {
	P *panicky `json:"p"`
	V panickyV `json:"v"`
}

type panickyV struct{}

func (panickyV) MarshalJSON() ([]byte, error) { panic("not on a zero value") }

// StandIn gives a function of the handler's type that returns zero values
// (the handler is never called) and the zero event of its input.
func TestStandIn(t *testing.T) {
	called := false
	handler := func(ctx context.Context, e standInEvent) (*standInEvent, error) {
		called = true
		return &e, errors.New("the handler ran")
	}
	fn, event, ok := StandIn(handler)
	if !ok || string(event) != `{"name":"","count":0}` {
		t.Fatalf("StandIn = %v, %s", ok, event)
	}
	out := reflect.ValueOf(fn).Call([]reflect.Value{reflect.ValueOf(context.Background()), reflect.ValueOf(standInEvent{Name: "x"})})
	if called || !out[0].IsNil() || !out[1].IsNil() {
		t.Errorf("the stand-in called the handler or returned non-zero values: %v %v", called, out)
	}
	if reflect.TypeOf(fn) != reflect.TypeOf(handler) {
		t.Errorf("stand-in of type %T", fn)
	}
	// No event: {}; a zero value whose MarshalJSON panics: {}, no panic.
	if _, event, ok := StandIn(func() error { return nil }); !ok || string(event) != "{}" {
		t.Errorf("no input: %v %s", ok, event)
	}
	if _, event, ok := StandIn(func(withPanicky) error { return nil }); !ok || string(event) != "{}" {
		t.Errorf("panicking MarshalJSON: %v %s", ok, event)
	}
	if _, _, ok := StandIn(struct{}{}); ok {
		t.Error("StandIn of a non-function")
	}
}
