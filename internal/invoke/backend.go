package invoke

import "context"

// Backend is what the HTTP front doors (the Invoke API, API Gateway) need
// from the core: it resolves names to functions that invoke.
type Backend interface {
	// Lookup resolves a function name (as given by the client after ARN
	// parsing) and a qualifier ("" or "$LATEST" or other). It returns an
	// *ServiceError (ResourceNotFoundException) for an unknown
	// function or qualifier.
	Lookup(name, qualifier string) (Handle, error)
}

// Handle is one resolved function (at a version, or through an alias): what
// the front doors invoke.
type Handle interface {
	// Name is the FunctionName.
	Name() string
	// ARN is the unqualified function ARN.
	ARN() string
	// Version is the version that runs, e.g. "$LATEST".
	Version() string
	// Invoke runs one invocation synchronously. A non-nil error is an
	// *ServiceError (e.g. TooManyRequestsException) or an unexpected
	// failure (rendered as ServiceException 500). Result.Log already holds
	// the full log (START ... END ... REPORT lines).
	Invoke(ctx context.Context, req *Request) (*Result, error)
	// InvokeAsync queues an Event invocation and returns at once; the
	// backend runs and logs it.
	InvokeAsync(req *Request) error
}
