package manageapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// Backend does the control plane's work. Function names are as the
// client sent them: a name, a partial or full ARN, or name:qualifier
// ([ParseName] splits them). Errors are *invoke.ServiceError values
// (ResourceNotFoundException, ResourceConflictException, ...); any other
// error is a 500 ServiceException.
type Backend interface {
	CreateFunction(ctx context.Context, in CreateFunctionInput) (FunctionConfiguration, error)
	GetFunction(ctx context.Context, name, qualifier string) (GetFunctionOutput, error)
	GetFunctionConfiguration(ctx context.Context, name, qualifier string) (FunctionConfiguration, error)
	// ListFunctions returns every function's $LATEST, sorted by name.
	ListFunctions(ctx context.Context) ([]FunctionConfiguration, error)
	UpdateFunctionCode(ctx context.Context, name string, in UpdateFunctionCodeInput) (FunctionConfiguration, error)
	UpdateFunctionConfiguration(ctx context.Context, name string, in UpdateFunctionConfigurationInput) (FunctionConfiguration, error)
	// DeleteFunction deletes the function, or one version of it when
	// qualifier is not empty.
	DeleteFunction(ctx context.Context, name, qualifier string) error
	PublishVersion(ctx context.Context, name string, in PublishVersionInput) (FunctionConfiguration, error)
	// ListVersions returns $LATEST, then the published versions in order.
	ListVersions(ctx context.Context, name string) ([]FunctionConfiguration, error)

	CreateAlias(ctx context.Context, name string, in AliasInput) (AliasConfiguration, error)
	GetAlias(ctx context.Context, name, alias string) (AliasConfiguration, error)
	UpdateAlias(ctx context.Context, name, alias string, in AliasInput) (AliasConfiguration, error)
	DeleteAlias(ctx context.Context, name, alias string) error
	// ListAliases returns the aliases, sorted by name; those of version
	// when it is not empty.
	ListAliases(ctx context.Context, name, version string) ([]AliasConfiguration, error)

	// PutConcurrency sets ReservedConcurrentExecutions (nil deletes it).
	PutConcurrency(ctx context.Context, name string, n *int) error
	GetConcurrency(ctx context.Context, name string) (*int, error)

	AccountSettings(ctx context.Context) (AccountSettings, error)

	// Tags are those of a function's ARN.
	ListTags(ctx context.Context, arn string) (map[string]string, error)
	TagResource(ctx context.Context, arn string, tags map[string]string) error
	UntagResource(ctx context.Context, arn string, keys []string) error

	// Function URLs: one per function and qualifier ("" for none, else an
	// alias).
	CreateURL(ctx context.Context, name, qualifier string, in URLInput) (URLConfig, error)
	GetURL(ctx context.Context, name, qualifier string) (URLConfig, error)
	UpdateURL(ctx context.Context, name, qualifier string, in URLInput) (URLConfig, error)
	DeleteURL(ctx context.Context, name, qualifier string) error
	// ListURLs returns the function's URLs, sorted by qualifier.
	ListURLs(ctx context.Context, name string) ([]URLConfig, error)
}

// Config configures the handler.
type Config struct {
	Backend Backend
	// Logger gets one line per request; nil discards them.
	Logger *slog.Logger
	// Auth, if not nil, authenticates every request of this API (an
	// edge.SigV4 middleware whose MaxBody is MaxRequest).
	Auth func(http.Handler) http.Handler
	// Fallback serves what no route of this API matches: the Invoke API,
	// which answers UnknownOperationException to the rest.
	Fallback http.Handler
	// Extra, if not nil, mounts more operations on the same router, with
	// the same edge and Auth.
	Extra func(r chi.Router)
}

// NewHandler returns the control plane's HTTP handler.
func NewHandler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{b: cfg.Backend, logger: cfg.Logger}
	r := chi.NewRouter()
	if cfg.Fallback != nil {
		r.NotFound(cfg.Fallback.ServeHTTP)
		r.MethodNotAllowed(cfg.Fallback.ServeHTTP)
	}
	r.Group(func(r chi.Router) {
		r.Use(
			edge.WithRequestID(edge.HeaderRequestID),
			edge.AccessLog{Logger: s.logger, Message: "request", Keys: []string{edge.KeyFunction, edge.KeyRequestID}}.Middleware,
			edge.Recoverer(s.logger, "panic in handler", func(w http.ResponseWriter, r *http.Request) {
				s.writeError(w, r, invoke.ServiceFailure("An internal error occurred."))
			}),
		)
		if cfg.Auth != nil {
			r.Use(cfg.Auth)
		}
		r.Post(routeFunctions, s.createFunction)
		r.Get(routeFunctions, s.listFunctions)
		r.Get(routeFunctions+"/", s.listFunctions)
		r.Get(routeFunction, s.getFunction)
		r.Delete(routeFunction, s.deleteFunction)
		r.Get(routeConfiguration, s.getConfiguration)
		r.Put(routeConfiguration, s.updateConfiguration)
		r.Put(routeCode, s.updateCode)
		r.Post(routeVersions, s.publishVersion)
		r.Get(routeVersions, s.listVersions)
		r.Post(routeAliases, s.createAlias)
		r.Get(routeAliases, s.listAliases)
		r.Get(routeAlias, s.getAlias)
		r.Put(routeAlias, s.updateAlias)
		r.Delete(routeAlias, s.deleteAlias)
		r.Put(routePutConc, s.putConcurrency)
		r.Delete(routePutConc, s.deleteConcurrency)
		r.Get(routeGetConc, s.getConcurrency)
		r.Get(routeAccount, s.accountSettings)
		r.Get(routeTags, s.listTags)
		r.Post(routeTags, s.tagResource)
		r.Delete(routeTags, s.untagResource)
		r.Post(routeURL, s.createURL)
		r.Get(routeURL, s.getURL)
		r.Put(routeURL, s.updateURL)
		r.Delete(routeURL, s.deleteURL)
		r.Get(routeURLs, s.listURLs)
		if cfg.Extra != nil {
			cfg.Extra(r)
		}
	})
	return r
}

type server struct {
	b      Backend
	logger *slog.Logger
}

// ParseName splits a FunctionName (name, name:qualifier, or a partial or
// full ARN, with or without a qualifier) into the name and qualifier.
func ParseName(s string) (name, qualifier string) {
	if strings.HasPrefix(s, "arn:") {
		if i := strings.Index(s, ":function:"); i >= 0 {
			s = s[i+len(":function:"):]
		}
	} else if parts := strings.Split(s, ":"); len(parts) >= 3 && parts[1] == "function" {
		s = strings.Join(parts[2:], ":") // 123456789012:function:name[:q]
	}
	name, qualifier, _ = strings.Cut(s, ":")
	return name, qualifier
}

// param is a path parameter, unescaped.
func param(r *http.Request, key string) string {
	v := chi.URLParam(r, key)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// fn is the FunctionName of the path, logged with the request.
func fn(r *http.Request) string {
	name := param(r, "FunctionName")
	edge.StateOf(r).SetString(edge.KeyFunction, name)
	return name
}

// decode reads a JSON body of at most MaxRequest bytes into v (an empty
// body leaves v as it is).
func decode(r *http.Request, v any) error {
	body, _, err := edge.ReadLimited(r, MaxRequest)
	if errors.Is(err, edge.ErrTooLarge) {
		return &invoke.ServiceError{Status: http.StatusRequestEntityTooLarge, Type: ErrEntityTooLarge,
			Message: "Request must be smaller than " + strconv.Itoa(MaxRequest) + " bytes for the " + operation(r) + " operation"}
	}
	if err != nil {
		return invoke.InvalidRequestContent("The request body could not be read: %v", err)
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return invoke.InvalidParameter("Could not parse request body into json: %v", err)
	}
	return nil
}

// operation names the operation of a request that carries code.
func operation(r *http.Request) string {
	if r.Method == http.MethodPut {
		return "UpdateFunctionCode"
	}
	return "CreateFunction"
}

func (s *server) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		edge.AnswerUnread(w, r, func() { s.writeError(w, r, err) })
		return
	}
	if v == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	edge.WriteJSON(w, status, b)
}

func (s *server) createFunction(w http.ResponseWriter, r *http.Request) {
	var in CreateFunctionInput
	err := decode(r, &in)
	var out FunctionConfiguration
	if err == nil {
		edge.StateOf(r).SetString(edge.KeyFunction, in.FunctionName)
		out, err = s.b.CreateFunction(r.Context(), in)
	}
	s.reply(w, r, http.StatusCreated, out, err)
}

func (s *server) getFunction(w http.ResponseWriter, r *http.Request) {
	out, err := s.b.GetFunction(r.Context(), fn(r), r.URL.Query().Get("Qualifier"))
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) getConfiguration(w http.ResponseWriter, r *http.Request) {
	out, err := s.b.GetFunctionConfiguration(r.Context(), fn(r), r.URL.Query().Get("Qualifier"))
	s.reply(w, r, http.StatusOK, out, err)
}

// page cuts a list at Marker (an offset this API gave) and MaxItems, and
// returns the marker of the next page ("" when it is the last).
func page[T any](r *http.Request, all []T) ([]T, string, error) {
	q := r.URL.Query()
	max := defaultMaxItems
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMaxItems {
			return nil, "", invoke.InvalidParameter("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and %d", v, maxMaxItems)
		}
		max = n
	}
	start := 0
	if m := q.Get("Marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(all) {
			return nil, "", invoke.InvalidParameter("Invalid Marker: %s", m)
		}
		start = n
	}
	end := min(start+max, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[start:end], next, nil
}

func (s *server) listFunctions(w http.ResponseWriter, r *http.Request) {
	type out struct {
		Functions  []FunctionConfiguration `json:"Functions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}
	all, err := s.b.ListFunctions(r.Context())
	if err != nil {
		s.reply(w, r, 0, nil, err)
		return
	}
	p, next, err := page(r, all)
	s.reply(w, r, http.StatusOK, out{Functions: nonNil(p), NextMarker: next}, err)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *server) updateCode(w http.ResponseWriter, r *http.Request) {
	var in UpdateFunctionCodeInput
	err := decode(r, &in)
	var out FunctionConfiguration
	if err == nil {
		out, err = s.b.UpdateFunctionCode(r.Context(), fn(r), in)
	}
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) updateConfiguration(w http.ResponseWriter, r *http.Request) {
	var in UpdateFunctionConfigurationInput
	err := decode(r, &in)
	var out FunctionConfiguration
	if err == nil {
		out, err = s.b.UpdateFunctionConfiguration(r.Context(), fn(r), in)
	}
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) deleteFunction(w http.ResponseWriter, r *http.Request) {
	err := s.b.DeleteFunction(r.Context(), fn(r), r.URL.Query().Get("Qualifier"))
	s.reply(w, r, http.StatusNoContent, nil, err)
}

func (s *server) publishVersion(w http.ResponseWriter, r *http.Request) {
	var in PublishVersionInput
	err := decode(r, &in)
	var out FunctionConfiguration
	if err == nil {
		out, err = s.b.PublishVersion(r.Context(), fn(r), in)
	}
	s.reply(w, r, http.StatusCreated, out, err)
}

func (s *server) listVersions(w http.ResponseWriter, r *http.Request) {
	type out struct {
		Versions   []FunctionConfiguration `json:"Versions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}
	all, err := s.b.ListVersions(r.Context(), fn(r))
	if err != nil {
		s.reply(w, r, 0, nil, err)
		return
	}
	p, next, err := page(r, all)
	s.reply(w, r, http.StatusOK, out{Versions: nonNil(p), NextMarker: next}, err)
}

func (s *server) createAlias(w http.ResponseWriter, r *http.Request) {
	var in AliasInput
	err := decode(r, &in)
	var out AliasConfiguration
	if err == nil {
		out, err = s.b.CreateAlias(r.Context(), fn(r), in)
	}
	s.reply(w, r, http.StatusCreated, out, err)
}

func (s *server) getAlias(w http.ResponseWriter, r *http.Request) {
	out, err := s.b.GetAlias(r.Context(), fn(r), param(r, "Name"))
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) updateAlias(w http.ResponseWriter, r *http.Request) {
	var in AliasInput
	err := decode(r, &in)
	var out AliasConfiguration
	if err == nil {
		out, err = s.b.UpdateAlias(r.Context(), fn(r), param(r, "Name"), in)
	}
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) deleteAlias(w http.ResponseWriter, r *http.Request) {
	err := s.b.DeleteAlias(r.Context(), fn(r), param(r, "Name"))
	s.reply(w, r, http.StatusNoContent, nil, err)
}

func (s *server) listAliases(w http.ResponseWriter, r *http.Request) {
	type out struct {
		Aliases    []AliasConfiguration `json:"Aliases"`
		NextMarker string               `json:"NextMarker,omitempty"`
	}
	all, err := s.b.ListAliases(r.Context(), fn(r), r.URL.Query().Get("FunctionVersion"))
	if err != nil {
		s.reply(w, r, 0, nil, err)
		return
	}
	p, next, err := page(r, all)
	s.reply(w, r, http.StatusOK, out{Aliases: nonNil(p), NextMarker: next}, err)
}

func (s *server) putConcurrency(w http.ResponseWriter, r *http.Request) {
	var in Concurrency
	err := decode(r, &in)
	if err == nil && in.ReservedConcurrentExecutions == nil {
		err = invoke.InvalidParameter("1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	}
	if err == nil && *in.ReservedConcurrentExecutions < 0 {
		err = invoke.InvalidParameter("1 validation error detected: Value '%d' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.ReservedConcurrentExecutions)
	}
	if err == nil {
		err = s.b.PutConcurrency(r.Context(), fn(r), in.ReservedConcurrentExecutions)
	}
	s.reply(w, r, http.StatusOK, in, err)
}

func (s *server) deleteConcurrency(w http.ResponseWriter, r *http.Request) {
	err := s.b.PutConcurrency(r.Context(), fn(r), nil)
	s.reply(w, r, http.StatusNoContent, nil, err)
}

func (s *server) getConcurrency(w http.ResponseWriter, r *http.Request) {
	n, err := s.b.GetConcurrency(r.Context(), fn(r))
	s.reply(w, r, http.StatusOK, Concurrency{ReservedConcurrentExecutions: n}, err)
}

func (s *server) accountSettings(w http.ResponseWriter, r *http.Request) {
	out, err := s.b.AccountSettings(r.Context())
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) listTags(w http.ResponseWriter, r *http.Request) {
	tags, err := s.b.ListTags(r.Context(), param(r, "Resource"))
	if tags == nil {
		tags = map[string]string{}
	}
	s.reply(w, r, http.StatusOK, struct {
		Tags map[string]string `json:"Tags"`
	}{tags}, err)
}

func (s *server) tagResource(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	err := decode(r, &in)
	if err == nil {
		err = s.b.TagResource(r.Context(), param(r, "Resource"), in.Tags)
	}
	s.reply(w, r, http.StatusNoContent, nil, err)
}

func (s *server) untagResource(w http.ResponseWriter, r *http.Request) {
	err := s.b.UntagResource(r.Context(), param(r, "Resource"), r.URL.Query()["tagKeys"])
	s.reply(w, r, http.StatusNoContent, nil, err)
}

func (s *server) createURL(w http.ResponseWriter, r *http.Request) {
	var in URLInput
	err := decode(r, &in)
	var out URLConfig
	if err == nil {
		out, err = s.b.CreateURL(r.Context(), fn(r), r.URL.Query().Get("Qualifier"), in)
	}
	s.reply(w, r, http.StatusCreated, out, err)
}

func (s *server) getURL(w http.ResponseWriter, r *http.Request) {
	out, err := s.b.GetURL(r.Context(), fn(r), r.URL.Query().Get("Qualifier"))
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) updateURL(w http.ResponseWriter, r *http.Request) {
	var in URLInput
	err := decode(r, &in)
	var out URLConfig
	if err == nil {
		out, err = s.b.UpdateURL(r.Context(), fn(r), r.URL.Query().Get("Qualifier"), in)
	}
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *server) deleteURL(w http.ResponseWriter, r *http.Request) {
	err := s.b.DeleteURL(r.Context(), fn(r), r.URL.Query().Get("Qualifier"))
	s.reply(w, r, http.StatusNoContent, nil, err)
}

func (s *server) listURLs(w http.ResponseWriter, r *http.Request) {
	type out struct {
		FunctionUrlConfigs []URLConfig `json:"FunctionUrlConfigs"`
		NextMarker         string      `json:"NextMarker,omitempty"`
	}
	all, err := s.b.ListURLs(r.Context(), fn(r))
	var p []URLConfig
	var next string
	if err == nil {
		p, next, err = page(r, all)
	}
	s.reply(w, r, http.StatusOK, out{FunctionUrlConfigs: nonNil(p), NextMarker: next}, err)
}
