package functions

import (
	"context"
	"errors"
	"testing"

	"github.com/frescolabs/fresco/internal/invoke"
)

func serviceType(err error) string {
	var se *invoke.ServiceError
	if errors.As(err, &se) {
		return se.Type
	}
	return ""
}

// TestControlPlaneRegistry: a Pending or Failed $LATEST is refused with
// ResourceConflictException while its versions still run; SetRunner swaps
// code after in-flight invocations; a version an alias uses cannot be
// deleted; Delete closes every runner; reserved concurrency 0 throttles.
func TestControlPlaneRegistry(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(RegistryConfig{})
	inv := NewInvoker(reg, InvokerConfig{})
	r1 := newRunner(t, "one")
	if err := reg.Create(ctx, Function{Name: "f", Managed: true}, latest("f", "a"), r1); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Publish(ctx, "f", ""); err != nil {
		t.Fatal(err)
	}
	reg.SetStatus("f", Status{State: StatePending, LastUpdate: UpdateInProgress})
	if _, err := reg.Lookup(ctx, "f", ""); serviceType(err) != "ResourceConflictException" {
		t.Errorf("Lookup of a Pending $LATEST = %v", err)
	}
	if _, err := reg.Lookup(ctx, "f", "1"); err != nil {
		t.Errorf("Lookup of version 1 while $LATEST is Pending = %v", err)
	}
	reg.SetStatus("f", Status{State: StateActive, LastUpdate: UpdateSuccess})

	// An invocation in flight on r1 when $LATEST gets r2 ends on r1.
	r1.block = make(chan struct{})
	h, err := inv.Lookup(ctx, "f", "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		res, _ := h.Invoke(ctx, &invoke.Request{RequestID: "x", Payload: []byte(`{}`)})
		done <- string(res.Payload)
	}()
	for r1.calls.Load() == 0 {
	}
	r2 := newRunner(t, "two")
	reg.SetRunner("f", r2)
	close(r1.block)
	if got := <-done; got != `"one"` {
		t.Errorf("the invocation in flight ended on %s", got)
	}
	if r1.closed.Load() {
		t.Error("version 1's code was closed while version 1 still uses it")
	}

	reg.PutAlias(ctx, Alias{Function: "f", Name: "live", FunctionVersion: "1"})
	if err := reg.DeleteVersion(ctx, "f", "1"); serviceType(err) != "ResourceConflictException" {
		t.Errorf("DeleteVersion of the alias's version = %v", err)
	}
	if err := reg.DeleteAlias(ctx, "f", "live"); err != nil {
		t.Fatal(err)
	}
	if err := reg.DeleteVersion(ctx, "f", "1"); err != nil {
		t.Fatal(err)
	}
	if !r1.closed.Load() {
		t.Error("version 1's code was not closed once it was deleted")
	}

	fn, _ := reg.Store().Function(ctx, "f")
	fn.ReservedConcurrency = Throttled
	reg.PutFunction(ctx, fn)
	h, _ = inv.Lookup(ctx, "f", "")
	if _, err := h.Invoke(ctx, &invoke.Request{RequestID: "y", Payload: []byte(`{}`)}); serviceType(err) != "TooManyRequestsException" {
		t.Errorf("invoke at reserved concurrency 0 = %v", err)
	}

	if err := reg.Delete(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	if !r2.closed.Load() {
		t.Error("Delete left $LATEST's code open")
	}
	if _, err := reg.Lookup(ctx, "f", ""); serviceType(err) != "ResourceNotFoundException" {
		t.Errorf("Lookup after Delete = %v", err)
	}
}
