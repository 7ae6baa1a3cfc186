package emulator

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/internal/invoke"
)

// directInvoker serves the fresco_http invoke call: a guest invokes a
// sibling function through the core, without an HTTP hop. The host is
// made before the invoker it calls, hence set.
type directInvoker struct {
	inv atomic.Pointer[functions.Invoker]
}

func (d *directInvoker) set(inv *functions.Invoker) { d.inv.Store(inv) }

// invoke resolves name (a name, a partial or full ARN, with an optional
// :qualifier) and invokes it, synchronously or as an Event.
func (d *directInvoker) invoke(ctx context.Context, caller, name string, payload []byte, async bool) (*invoke.Result, error) {
	inv := d.inv.Load()
	if inv == nil {
		return nil, &invoke.ServiceError{Status: 503, Type: "ServiceException", Message: "fresco is still starting"}
	}
	fn, qualifier := splitFunctionName(name)
	h, err := inv.Lookup(ctx, fn, qualifier)
	if err != nil {
		return nil, err
	}
	arn := h.ARN()
	if qualifier != "" {
		arn += ":" + qualifier
	}
	req := &invoke.Request{RequestID: invoke.NewRequestID(), Payload: payload, InvokedFunctionARN: arn, TraceID: invoke.NewTraceID()}
	if async {
		if err := h.InvokeAsync(req); err != nil {
			return nil, fmt.Errorf("queue invocation of %s: %w", arn, err)
		}
		return &invoke.Result{}, nil
	}
	return h.Invoke(ctx, req)
}

// splitFunctionName takes a function name as the Invoke API accepts it
// (name, name:qualifier, 123456789012:function:name[:qualifier], or a
// full ARN) apart into the name and its qualifier.
func splitFunctionName(s string) (name, qualifier string) {
	parts := strings.Split(s, ":")
	switch {
	case strings.HasPrefix(s, "arn:") && len(parts) >= 7:
		name = parts[6]
		if len(parts) > 7 {
			qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		name = parts[2]
		if len(parts) > 3 {
			qualifier = parts[3]
		}
	default:
		name = parts[0]
		if len(parts) > 1 {
			qualifier = parts[1]
		}
	}
	return name, qualifier
}

// hostCredentials is p, or the default credential chain (environment,
// shared profile, SSO, container or instance role), which the host
// resolves only when a guest sends a signed AWS request.
func hostCredentials(p aws.CredentialsProvider) aws.CredentialsProvider {
	if p != nil {
		return p
	}
	return aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return aws.Credentials{}, err
		}
		if cfg.Credentials == nil {
			return aws.Credentials{}, fmt.Errorf("no credentials in the default chain")
		}
		return cfg.Credentials.Retrieve(ctx)
	})
}
