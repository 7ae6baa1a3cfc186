package functions

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/frescolabs/fresco/internal/invoke"
)

// States of a function (Lambda's State) and of its last update
// (LastUpdateStatus).
const (
	StatePending     = "Pending"
	StateActive      = "Active"
	StateFailed      = "Failed"
	UpdateInProgress = "InProgress"
	UpdateSuccess    = "Successful"
	UpdateFailed     = "Failed"
)

// Status is where a function's $LATEST stands: whether its code is
// compiled (State) and how its last change went (LastUpdateStatus). It is
// not stored: a restart compiles again (from the compile cache) and finds
// it again.
type Status struct {
	State, StateReason, StateReasonCode                string
	LastUpdate, LastUpdateReason, LastUpdateReasonCode string
}

// statuses are the Status of functions whose code is uploaded; a function
// without one is Active.
type statuses struct {
	m sync.Map // function Name -> Status
}

// SetStatus records where function's $LATEST stands.
func (r *Registry) SetStatus(function string, s Status) { r.status.m.Store(function, s) }

// ClearStatus forgets function's Status.
func (r *Registry) ClearStatus(function string) { r.status.m.Delete(function) }

// Status tells where function's $LATEST stands (Active when nothing was
// recorded, as a template's functions).
func (r *Registry) Status(function string) Status {
	if s, ok := r.status.m.Load(function); ok {
		return s.(Status)
	}
	return Status{State: StateActive, LastUpdate: UpdateSuccess}
}

// conflict is Lambda's ResourceConflictException.
func conflict(format string, a ...any) *invoke.ServiceError {
	return &invoke.ServiceError{Status: 409, Type: "ResourceConflictException", Message: fmt.Sprintf(format, a...)}
}

// Conflict is Lambda's ResourceConflictException (409).
func Conflict(format string, a ...any) *invoke.ServiceError { return conflict(format, a...) }

// checkState refuses invoking the $LATEST of a function that is not
// Active, as Lambda does.
func (r *Registry) checkState(fn string) error {
	s, ok := r.status.m.Load(fn)
	if !ok {
		return nil
	}
	if st := s.(Status).State; st != StateActive {
		return conflict("The operation cannot be performed at this time. The function is currently in the following state: %s", st)
	}
	return nil
}

// Adopt makes a function already in the store (persisted by an earlier
// run) served again, $LATEST running runner.
func (r *Registry) Adopt(fn Function, runner Runner) {
	r.arns.Store(fn.Name, invoke.FunctionARN(r.region, fn.Name))
	r.mu.Lock()
	prev := r.live[versionKey{fn.Name, LatestVersion}]
	r.live[versionKey{fn.Name, LatestVersion}] = &code{runner: runner, refs: 1}
	retire := r.unref(prev)
	r.mu.Unlock()
	retire.close()
}

// SetRunner swaps the code $LATEST runs, without touching the store (the
// code was stored first: an upload compiled after it was acknowledged).
// Invocations running on the previous code finish on it.
func (r *Registry) SetRunner(function string, runner Runner) {
	key := versionKey{function, LatestVersion}
	r.mu.Lock()
	prev := r.live[key]
	r.live[key] = &code{runner: runner, refs: 1}
	retire := r.unref(prev)
	r.mu.Unlock()
	retire.close()
}

// PutLatest stores a new $LATEST (code or configuration); its Runner is
// swapped in by SetRunner once it is loaded.
func (r *Registry) PutLatest(ctx context.Context, v Version) error {
	v.Version = LatestVersion
	if err := r.store.PutLatest(ctx, v); err != nil {
		return r.notFound(v.Function, "", err)
	}
	return nil
}

// PutFunction stores a function's own record (tags, concurrency).
func (r *Registry) PutFunction(ctx context.Context, fn Function) error {
	if err := r.store.PutFunction(ctx, fn); err != nil {
		return r.notFound(fn.Name, "", err)
	}
	return nil
}

// Delete removes a function, its versions and aliases; the code of each
// is closed once its invocations end.
func (r *Registry) Delete(ctx context.Context, function string) error {
	fn, err := r.store.Function(ctx, function)
	if err != nil {
		return r.notFound(function, "", err)
	}
	if err := r.store.DeleteFunction(ctx, fn.Name); err != nil {
		return r.notFound(fn.Name, "", err)
	}
	r.status.m.Delete(fn.Name)
	var retired []*code
	r.mu.Lock()
	for k, c := range r.live {
		if k.function == fn.Name {
			delete(r.live, k)
			if rc := r.unref(c); rc != nil {
				retired = append(retired, rc)
			}
		}
	}
	r.mu.Unlock()
	for _, c := range retired {
		c.close()
	}
	return nil
}

// DeleteVersion removes one published version. As Lambda does, a version
// an alias points (or routes) to cannot be deleted.
func (r *Registry) DeleteVersion(ctx context.Context, function, version string) error {
	aliases, err := r.store.Aliases(ctx, function)
	if err != nil {
		return r.notFound(function, "", err)
	}
	var using []string
	for _, a := range aliases {
		if _, routed := a.RoutingWeights[version]; a.FunctionVersion == version || routed {
			using = append(using, a.Name)
		}
	}
	if len(using) > 0 {
		slices.Sort(using)
		return conflict("Unable to delete version because the following aliases reference it: %v", using)
	}
	if err := r.store.DeleteVersion(ctx, function, version); err != nil {
		return r.notFound(function, version, err)
	}
	fn, _ := r.store.Function(ctx, function)
	key := versionKey{fn.Name, version}
	r.mu.Lock()
	c := r.live[key]
	delete(r.live, key)
	retire := r.unref(c)
	r.mu.Unlock()
	retire.close()
	return nil
}

// DeleteAlias removes an alias and releases the code it pinned.
func (r *Registry) DeleteAlias(ctx context.Context, function, name string) error {
	fn, err := r.store.Function(ctx, function)
	if err != nil {
		return r.notFound(function, "", err)
	}
	if err := r.store.DeleteAlias(ctx, fn.Name, name); err != nil {
		return r.notFound(fn.Name, name, err)
	}
	r.collect(ctx, fn.Name)
	return nil
}
