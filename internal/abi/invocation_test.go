package abi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

func TestInvocationThroughContext(t *testing.T) {
	if From(context.Background()) != nil {
		t.Fatal("From of a bare context is not nil")
	}
	var none *Invocation
	if none.InInvoke() {
		t.Error("a nil invocation is in its invoke phase")
	}
	none.Taint("x") // no panic outside an invocation

	inv := New(&invoke.Request{RequestID: "r"})
	if From(With(context.Background(), inv)) != inv {
		t.Fatal("From(With(inv)) is not inv")
	}
	if inv.InInvoke() {
		t.Error("a new invocation is in its invoke phase")
	}
	deadline := time.Now().Add(time.Second)
	inv.StartInvoke(deadline)
	if !inv.InInvoke() || !inv.Deadline.Equal(deadline) {
		t.Errorf("after StartInvoke: phase %v, deadline %v", inv.Phase, inv.Deadline)
	}
	inv.Taint("fd_close")
	inv.Taint("path_open")
	if inv.Tainted != "fd_close" {
		t.Errorf("Tainted = %q, want the first call", inv.Tainted)
	}
}

func TestFaultIsRecordedThenRaised(t *testing.T) {
	inv := New(&invoke.Request{})
	raise := func(call string) (recovered any) {
		defer func() { recovered = recover() }()
		Fault(inv, call, "buffer [%#x, +%d) is outside guest memory", 16, 4)
		return nil
	}
	got := raise("fresco.invocation_response")
	f, ok := got.(*FaultError)
	if !ok || f.Error() != "fresco.invocation_response: buffer [0x10, +4) is outside guest memory" {
		t.Fatalf("panic value %#v", got)
	}
	raise("fresco.init_error")
	if !errors.Is(inv.Fault, f) {
		t.Errorf("Fault = %v, want the first fault %v", inv.Fault, f)
	}
}
