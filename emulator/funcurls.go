package emulator

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
	"github.com/frescolabs/fresco/lambdaapi/funcurl"
	"github.com/frescolabs/fresco/lambdaapi/manageapi"
)

// The Function URL operations of the control plane
// (CreateFunctionUrlConfig, ...). An uploaded function's URLs live in its
// functions.Function record, so they persist with it; a template's
// FunctionUrlConfig is read through the API and changed only in the
// template. Both are served by lambdaapi/funcurl on the API port
// (Emulator.FunctionURLs, read at every request).

// SetAPIAddress records the API port's base URL (scheme and host:port),
// which the FunctionUrl of the URL operations' answers names. The server
// sets it once it listens.
func (e *Emulator) SetAPIAddress(base string) { e.apiBase.Store(&base) }

// urlOf is the Function URL u answers with: its Host form on the API
// port.
func (e *Emulator) urlOf(u funcurl.URL) string {
	base := "http://localhost"
	if p := e.apiBase.Load(); p != nil {
		base = *p
	}
	host, _ := u.Addresses(base, e.region)
	return host
}

// managedURLs are the uploaded functions' URLs.
func (e *Emulator) managedURLs() []funcurl.URL {
	fns, err := e.reg.Store().Functions(context.Background())
	if err != nil {
		return nil
	}
	var out []funcurl.URL
	for _, fn := range fns {
		if !fn.Managed {
			continue
		}
		for _, q := range slices.Sorted(maps.Keys(fn.URLs)) {
			c := fn.URLs[q]
			out = append(out, funcurl.URL{Function: fn.Name, Qualifier: q, AuthType: c.AuthType, InvokeMode: c.InvokeMode, Cors: corsSpec(c.Cors)})
		}
	}
	return out
}

func corsSpec(c *functions.URLCors) *apispec.CORS {
	if c == nil {
		return nil
	}
	return &apispec.CORS{AllowOrigins: c.AllowOrigins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders,
		ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge, AllowCredentials: c.AllowCredentials}
}

// corsFromSpec is corsSpec's inverse, for a template's Cors.
func corsFromSpec(c *apispec.CORS) *functions.URLCors {
	if c == nil {
		return nil
	}
	return &functions.URLCors{AllowOrigins: c.AllowOrigins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders,
		ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge, AllowCredentials: c.AllowCredentials}
}

func corsWire(c *apispec.CORS) *manageapi.Cors {
	if c == nil {
		return nil
	}
	out := &manageapi.Cors{AllowOrigins: c.AllowOrigins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders,
		ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge}
	if c.AllowCredentials {
		out.AllowCredentials = &c.AllowCredentials
	}
	return out
}

func corsStored(c *manageapi.Cors) *functions.URLCors {
	if c == nil {
		return nil
	}
	out := &functions.URLCors{AllowOrigins: c.AllowOrigins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders,
		ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge}
	if c.AllowCredentials != nil {
		out.AllowCredentials = *c.AllowCredentials
	}
	return out
}

// urlConfig is the answer of the URL operations for fn's URL at
// qualifier.
func (m *manager) urlConfig(fn, qualifier string, c functions.FunctionURL) manageapi.URLConfig {
	arn := m.e.reg.ARN(fn)
	if qualifier != "" {
		arn += ":" + qualifier
	}
	out := manageapi.URLConfig{
		FunctionUrl: m.e.urlOf(funcurl.URL{Function: fn, Qualifier: qualifier}), FunctionArn: arn,
		AuthType: c.AuthType, InvokeMode: c.InvokeMode, Cors: corsWire(corsSpec(c.Cors)),
		CreationTime: c.Created.UTC().Format(manageapi.URLTimeFormat), LastModifiedTime: c.Modified.UTC().Format(manageapi.URLTimeFormat),
	}
	return out
}

// urlTarget resolves the function and qualifier of a URL operation: the
// qualifier is an alias of the function, or none (Lambda gives versions
// and $LATEST no URLs).
func (m *manager) urlTarget(ctx context.Context, name, qualifier string) (functions.Function, string, error) {
	n, q := manageapi.ParseName(name)
	if qualifier == "" {
		qualifier = q
	}
	fn, err := m.function(ctx, n)
	if err != nil {
		return fn, "", err
	}
	if qualifier == "" {
		return fn, "", nil
	}
	if qualifier == functions.LatestVersion || isNumber(qualifier) {
		return fn, "", invoke.InvalidParameter("Function URLs can only be configured for the unqualified function or an alias, not version %s.", qualifier)
	}
	if _, err := m.e.reg.Store().Alias(ctx, fn.Name, qualifier); err != nil {
		if errors.Is(err, functions.ErrNotFound) {
			return fn, "", invoke.NotFound("Function not found: %s:%s", m.e.reg.ARN(fn.Name), qualifier)
		}
		return fn, "", err
	}
	return fn, qualifier, nil
}

// templateURL is a template function's FunctionUrlConfig, if it has one.
func (m *manager) templateURL(fn functions.Function, qualifier string) (functions.FunctionURL, bool) {
	if fn.Managed || qualifier != "" {
		return functions.FunctionURL{}, false
	}
	spec, ok := m.e.loaded[fn.Name]
	if !ok || spec.URL == nil {
		return functions.FunctionURL{}, false
	}
	return functions.FunctionURL{AuthType: spec.URL.AuthType, InvokeMode: spec.URL.InvokeMode, Cors: corsFromSpec(spec.URL.Cors),
		Created: m.e.started, Modified: m.e.started}, true
}

// checkURLInput validates what a create or an update sets.
func checkURLInput(in manageapi.URLInput) error {
	if in.AuthType != nil && *in.AuthType != funcurl.AuthNone && *in.AuthType != funcurl.AuthIAM {
		return invoke.InvalidParameter("1 validation error detected: Value '%s' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]", *in.AuthType)
	}
	if in.InvokeMode != nil && *in.InvokeMode != funcurl.ModeBuffered && *in.InvokeMode != funcurl.ModeStream {
		return invoke.InvalidParameter("1 validation error detected: Value '%s' at 'invokeMode' failed to satisfy constraint: Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]", *in.InvokeMode)
	}
	if c := in.Cors; c != nil {
		if c.MaxAge != nil && (*c.MaxAge < 0 || *c.MaxAge > 86400) {
			return invoke.InvalidParameter("1 validation error detected: Value '%d' at 'cors.maxAge' failed to satisfy constraint: Member must have value less than or equal to 86400", *c.MaxAge)
		}
		for _, m := range c.AllowMethods {
			if m != "*" && strings.ToUpper(m) != m {
				return invoke.InvalidParameter("1 validation error detected: Value '%s' at 'cors.allowMethods' failed to satisfy constraint: Member must be an HTTP method in capitals or *", m)
			}
		}
	}
	return nil
}

// changeURL applies change to the stored URLs of a writable function.
func (m *manager) changeURL(ctx context.Context, name, qualifier string, change func(fn functions.Function, urls map[string]functions.FunctionURL, q string) error) error {
	fn, q, err := m.urlTarget(ctx, name, qualifier)
	if err != nil {
		return err
	}
	return m.modify(ctx, fn.Name, func(fn *functions.Function) error {
		urls := maps.Clone(fn.URLs)
		if urls == nil {
			urls = map[string]functions.FunctionURL{}
		}
		if err := change(*fn, urls, q); err != nil {
			return err
		}
		fn.URLs = urls
		return nil
	})
}

func (m *manager) CreateURL(ctx context.Context, name, qualifier string, in manageapi.URLInput) (manageapi.URLConfig, error) {
	if in.AuthType == nil {
		return manageapi.URLConfig{}, invoke.InvalidParameter("1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null")
	}
	if err := checkURLInput(in); err != nil {
		return manageapi.URLConfig{}, err
	}
	var out manageapi.URLConfig
	err := m.changeURL(ctx, name, qualifier, func(fn functions.Function, urls map[string]functions.FunctionURL, q string) error {
		if _, ok := urls[q]; ok {
			return functions.Conflict("Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", m.urlConfig(fn.Name, q, functions.FunctionURL{}).FunctionArn)
		}
		now := time.Now()
		c := functions.FunctionURL{AuthType: *in.AuthType, InvokeMode: funcurl.ModeBuffered, Cors: corsStored(in.Cors), Created: now, Modified: now}
		if in.InvokeMode != nil {
			c.InvokeMode = *in.InvokeMode
		}
		urls[q] = c
		out = m.urlConfig(fn.Name, q, c)
		return nil
	})
	out.LastModifiedTime = "" // CreateFunctionUrlConfig answers no LastModifiedTime
	return out, err
}

func (m *manager) GetURL(ctx context.Context, name, qualifier string) (manageapi.URLConfig, error) {
	fn, q, err := m.urlTarget(ctx, name, qualifier)
	if err != nil {
		return manageapi.URLConfig{}, err
	}
	c, ok := fn.URLs[q]
	if !ok {
		c, ok = m.templateURL(fn, q)
	}
	if !ok {
		return manageapi.URLConfig{}, invoke.NotFound("The resource you requested does not exist.")
	}
	return m.urlConfig(fn.Name, q, c), nil
}

func (m *manager) UpdateURL(ctx context.Context, name, qualifier string, in manageapi.URLInput) (manageapi.URLConfig, error) {
	if err := checkURLInput(in); err != nil {
		return manageapi.URLConfig{}, err
	}
	var out manageapi.URLConfig
	err := m.changeURL(ctx, name, qualifier, func(fn functions.Function, urls map[string]functions.FunctionURL, q string) error {
		c, ok := urls[q]
		if !ok {
			return invoke.NotFound("The resource you requested does not exist.")
		}
		if in.AuthType != nil {
			c.AuthType = *in.AuthType
		}
		if in.InvokeMode != nil {
			c.InvokeMode = *in.InvokeMode
		}
		if in.Cors != nil {
			c.Cors = corsStored(in.Cors)
		}
		c.Modified = time.Now()
		urls[q] = c
		out = m.urlConfig(fn.Name, q, c)
		return nil
	})
	return out, err
}

func (m *manager) DeleteURL(ctx context.Context, name, qualifier string) error {
	return m.changeURL(ctx, name, qualifier, func(_ functions.Function, urls map[string]functions.FunctionURL, q string) error {
		if _, ok := urls[q]; !ok {
			return invoke.NotFound("The resource you requested does not exist.")
		}
		delete(urls, q)
		return nil
	})
}

func (m *manager) ListURLs(ctx context.Context, name string) ([]manageapi.URLConfig, error) {
	fn, err := m.function(ctx, name)
	if err != nil {
		return nil, err
	}
	var out []manageapi.URLConfig
	if c, ok := m.templateURL(fn, ""); ok {
		out = append(out, m.urlConfig(fn.Name, "", c))
	}
	for _, q := range slices.Sorted(maps.Keys(fn.URLs)) {
		out = append(out, m.urlConfig(fn.Name, q, fn.URLs[q]))
	}
	return out, nil
}
