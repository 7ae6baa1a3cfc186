package functions

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Loader makes the Runner of a version whose code is not loaded: a
// published version invoked again after its code was released.
type Loader interface {
	Load(ctx context.Context, v Version) (Runner, error)
}

// LoaderFunc is a function that is a Loader.
type LoaderFunc func(ctx context.Context, v Version) (Runner, error)

func (f LoaderFunc) Load(ctx context.Context, v Version) (Runner, error) { return f(ctx, v) }

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	// Store holds the records (default: a new MemStore).
	Store Store
	// Loader loads the code of versions that are not loaded; nil means
	// such versions cannot be invoked (ServiceException).
	Loader Loader
	// Region is the region of the ARNs (default invoke.DefaultRegion).
	Region string
	// Rand returns a number in [0, 1) to pick a version of a weighted
	// alias (default math/rand/v2); tests fix it.
	Rand func() float64
}

// Registry is the set of functions, versions and aliases fresco serves,
// with the loaded code of each version.
//
// A version's code stays loaded while the version is pinned: it is
// $LATEST, or an alias points at it (or routes a weight to it). Versions
// published from the same $LATEST share its Runner. When a version stops
// being pinned (an alias moves on, $LATEST gets new code), its Runner is
// closed once its last in-flight invocation ends; invoking it later loads
// it again through the Loader.
type Registry struct {
	store  Store
	loader Loader
	region string
	rand   func() float64

	arns   sync.Map // function name -> its ARN, made once
	status statuses

	mu      sync.Mutex
	live    map[versionKey]*code
	loading map[versionKey]*loadCall
}

type versionKey struct{ function, version string }

// code is one loaded Runner. Invocations hold its read lock while they run
// on it; closing takes the write lock, so it waits for them.
type code struct {
	runner Runner
	mu     sync.RWMutex
	closed bool
	refs   int // versions whose live code it is; guarded by Registry.mu
}

type loadCall struct {
	done chan struct{}
	err  error
}

// NewRegistry returns an empty Registry.
func NewRegistry(cfg RegistryConfig) *Registry {
	if cfg.Store == nil {
		cfg.Store = NewMemStore()
	}
	if cfg.Region == "" {
		cfg.Region = invoke.DefaultRegion
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	return &Registry{
		store:   cfg.Store,
		loader:  cfg.Loader,
		region:  cfg.Region,
		rand:    cfg.Rand,
		live:    map[versionKey]*code{},
		loading: map[versionKey]*loadCall{},
	}
}

// Store returns the registry's store.
func (r *Registry) Store() Store { return r.store }

// ARN is the unqualified ARN of the function called name.
func (r *Registry) ARN(name string) string {
	if arn, ok := r.arns.Load(name); ok {
		return arn.(string)
	}
	return invoke.FunctionARN(r.region, name)
}

// Create adds a function whose $LATEST runs runner (already loaded: code
// is compiled ahead of time, never on an invocation's path).
func (r *Registry) Create(ctx context.Context, fn Function, latest Version, runner Runner) error {
	if latest.LastModified.IsZero() {
		latest.LastModified = time.Now().UTC()
	}
	latest.Function, latest.Version = fn.Name, LatestVersion
	if err := r.store.CreateFunction(ctx, fn, latest); err != nil {
		return fmt.Errorf("create function %s: %w", fn.Name, err)
	}
	r.arns.Store(fn.Name, invoke.FunctionARN(r.region, fn.Name))
	r.mu.Lock()
	r.live[versionKey{fn.Name, LatestVersion}] = &code{runner: runner, refs: 1}
	r.mu.Unlock()
	return nil
}

// Publish publishes $LATEST as a new version, sharing its loaded code, and
// returns it. As Lambda does, it publishes nothing when the last published
// version has the same code and configuration, and returns that version.
func (r *Registry) Publish(ctx context.Context, function, description string) (Version, error) {
	versions, err := r.store.Versions(ctx, function)
	if err != nil {
		return Version{}, r.notFound(function, "", err)
	}
	latest := versions[0]
	if last := versions[len(versions)-1]; last.Version != LatestVersion && sameVersion(last, latest) {
		return last, nil
	}
	v := latest
	v.Description = description
	v.LastModified = time.Now().UTC()
	published, err := r.store.PublishVersion(ctx, v)
	if err != nil {
		return Version{}, fmt.Errorf("publish %s: %w", function, err)
	}
	r.mu.Lock()
	if c := r.live[versionKey{latest.Function, LatestVersion}]; c != nil {
		c.refs++
		r.live[versionKey{latest.Function, published.Version}] = c
	}
	r.mu.Unlock()
	return published, nil
}

// sameVersion tells whether two versions run the same code with the same
// configuration.
func sameVersion(a, b Version) bool {
	ac, bc := a.Config, b.Config
	return a.Code.Sha256 == b.Code.Sha256 && a.Code.Revision == b.Code.Revision &&
		ac.Runtime == bc.Runtime && ac.Handler == bc.Handler && ac.Architecture == bc.Architecture &&
		ac.MemoryMB == bc.MemoryMB && ac.Timeout == bc.Timeout && ac.Description == bc.Description &&
		maps.Equal(ac.Env, bc.Env)
}

// PutAlias creates or moves an alias. Its versions must exist.
func (r *Registry) PutAlias(ctx context.Context, a Alias) error {
	fn, err := r.store.Function(ctx, a.Function)
	if err != nil {
		return r.notFound(a.Function, "", err)
	}
	a.Function = fn.Name
	for _, v := range append([]string{a.FunctionVersion}, slices.Collect(maps.Keys(a.RoutingWeights))...) {
		if _, err := r.store.Version(ctx, fn.Name, v); err != nil {
			return r.notFound(fn.Name, v, err)
		}
	}
	if err := r.store.PutAlias(ctx, a); err != nil {
		return fmt.Errorf("put alias %s:%s: %w", fn.Name, a.Name, err)
	}
	r.collect(ctx, fn.Name)
	return nil
}

// UpdateCode gives $LATEST new code, loaded in runner; $LATEST's previous
// code is closed once its invocations end (unless a published version
// still runs it). When the function has an AutoPublishAlias and the code
// changed, the new code is published and the alias moved to it, as SAM
// does on a deployment; the published version is returned (zero if none).
func (r *Registry) UpdateCode(ctx context.Context, function string, c Code, runner Runner) (Version, error) {
	fn, err := r.store.Function(ctx, function)
	if err != nil {
		return Version{}, r.notFound(function, "", err)
	}
	latest, err := r.store.Version(ctx, fn.Name, LatestVersion)
	if err != nil {
		return Version{}, r.notFound(fn.Name, "", err)
	}
	latest.Code = c
	latest.LastModified = time.Now().UTC()
	if err := r.store.PutLatest(ctx, latest); err != nil {
		return Version{}, fmt.Errorf("update %s: %w", fn.Name, err)
	}
	key := versionKey{fn.Name, LatestVersion}
	r.mu.Lock()
	prev := r.live[key]
	r.live[key] = &code{runner: runner, refs: 1}
	retire := r.unref(prev)
	r.mu.Unlock()
	retire.close()
	if fn.AutoPublishAlias == "" {
		return Version{}, nil
	}
	return r.autoPublish(ctx, fn)
}

// autoPublish publishes $LATEST and points fn's AutoPublishAlias at it.
func (r *Registry) autoPublish(ctx context.Context, fn Function) (Version, error) {
	v, err := r.Publish(ctx, fn.Name, "")
	if err != nil {
		return Version{}, err
	}
	a, err := r.store.Alias(ctx, fn.Name, fn.AutoPublishAlias)
	if errors.Is(err, ErrNotFound) {
		a, err = Alias{Function: fn.Name, Name: fn.AutoPublishAlias}, nil
	}
	if err != nil {
		return Version{}, fmt.Errorf("alias %s:%s: %w", fn.Name, fn.AutoPublishAlias, err)
	}
	a.FunctionVersion = v.Version
	return v, r.PutAlias(ctx, a)
}

// AutoPublish publishes the $LATEST of a function created with an
// AutoPublishAlias and creates the alias (the first deployment of a SAM
// function with AutoPublishAlias).
func (r *Registry) AutoPublish(ctx context.Context, function string) (Version, error) {
	fn, err := r.store.Function(ctx, function)
	if err != nil {
		return Version{}, r.notFound(function, "", err)
	}
	if fn.AutoPublishAlias == "" {
		return Version{}, fmt.Errorf("function %s has no AutoPublishAlias", fn.Name)
	}
	return r.autoPublish(ctx, fn)
}

// unref drops one reference to c and returns it when it was the last, for
// the caller to close outside r.mu; r.mu is held.
func (r *Registry) unref(c *code) *code {
	if c == nil {
		return nil
	}
	c.refs--
	if c.refs > 0 {
		return nil
	}
	return c
}

// close waits for the invocations running on c, then closes its Runner.
func (c *code) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	return c.runner.Close(context.Background())
}

// collect releases the code of function's versions that are no longer
// pinned ($LATEST, or the target of an alias).
func (r *Registry) collect(ctx context.Context, function string) {
	aliases, err := r.store.Aliases(ctx, function)
	if err != nil {
		return
	}
	pinned := map[string]bool{LatestVersion: true}
	for _, a := range aliases {
		pinned[a.FunctionVersion] = true
		for v := range a.RoutingWeights {
			pinned[v] = true
		}
	}
	var retired []*code
	r.mu.Lock()
	for k, c := range r.live {
		if k.function == function && !pinned[k.version] {
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
}

// Target is a resolved function version: what an invocation runs.
type Target struct {
	Function Function
	// Version is the version that runs: $LATEST, or the published version
	// the qualifier named or its alias chose.
	Version Version
	// Qualifier is the qualifier as asked ("" for none).
	Qualifier string
	// ARN is the function's unqualified ARN.
	ARN string
}

// QualifiedARN is the ARN the invocation was made with: with its qualifier
// when it had one.
func (t Target) QualifiedARN() string {
	if t.Qualifier == "" {
		return t.ARN
	}
	return t.ARN + ":" + t.Qualifier
}

// Lookup resolves a function name (a Name or one of its OtherNames) and a
// qualifier: "" or $LATEST, a version number, or an alias, whose routing
// weights choose the version. An unknown function or qualifier is Lambda's
// ResourceNotFoundException.
func (r *Registry) Lookup(ctx context.Context, name, qualifier string) (Target, error) {
	fn, err := r.store.Function(ctx, name)
	if err != nil {
		return Target{}, r.notFound(name, "", err)
	}
	version := LatestVersion
	switch {
	case qualifier == "" || qualifier == LatestVersion:
	case isVersionNumber(qualifier):
		version = qualifier
	default:
		a, err := r.store.Alias(ctx, fn.Name, qualifier)
		if err != nil {
			return Target{}, r.notFound(fn.Name, qualifier, err)
		}
		version = r.route(a)
	}
	v, err := r.store.Version(ctx, fn.Name, version)
	if err != nil {
		return Target{}, r.notFound(fn.Name, qualifier, err)
	}
	if version == LatestVersion {
		if err := r.checkState(fn.Name); err != nil {
			return Target{}, err
		}
	}
	return Target{Function: fn, Version: v, Qualifier: qualifier, ARN: r.ARN(fn.Name)}, nil
}

// route picks the version an invocation of alias a runs.
func (r *Registry) route(a Alias) string {
	if len(a.RoutingWeights) == 0 {
		return a.FunctionVersion
	}
	x := r.rand()
	for _, v := range slices.Sorted(maps.Keys(a.RoutingWeights)) {
		if x < a.RoutingWeights[v] {
			return v
		}
		x -= a.RoutingWeights[v]
	}
	return a.FunctionVersion
}

func isVersionNumber(q string) bool {
	n, err := strconv.ParseUint(q, 10, 64)
	return err == nil && n > 0 && strconv.FormatUint(n, 10) == q
}

// notFound turns a store's ErrNotFound into Lambda's
// ResourceNotFoundException for function (and qualifier); other errors are
// returned as they are.
func (r *Registry) notFound(function, qualifier string, err error) error {
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	if qualifier == "" {
		return invoke.NotFound("Function not found: %s", r.ARN(function))
	}
	return invoke.NotFound("Function not found: %s:%s", r.ARN(function), qualifier)
}

// acquire returns the loaded code of t's version, read-locked: the caller
// runs the invocation on it and then calls c.mu.RUnlock. Code that is not
// loaded is loaded through the Loader, once however many ask.
func (r *Registry) acquire(ctx context.Context, t Target) (*code, error) {
	key := versionKey{t.Function.Name, t.Version.Version}
	for {
		r.mu.Lock()
		c := r.live[key]
		if c == nil {
			call := r.loading[key]
			if call == nil {
				call = &loadCall{done: make(chan struct{})}
				r.loading[key] = call
				r.mu.Unlock()
				r.load(ctx, key, t.Version, call)
			} else {
				r.mu.Unlock()
			}
			<-call.done
			if call.err != nil {
				return nil, call.err
			}
			continue
		}
		r.mu.Unlock()
		c.mu.RLock()
		if !c.closed {
			return c, nil
		}
		// Replaced and closed between the lookup and the lock: take the
		// current one.
		c.mu.RUnlock()
	}
}

// load loads v's code and installs it as key's, then ends call.
func (r *Registry) load(ctx context.Context, key versionKey, v Version, call *loadCall) {
	defer close(call.done)
	defer func() {
		r.mu.Lock()
		delete(r.loading, key)
		r.mu.Unlock()
	}()
	if r.loader == nil {
		call.err = invoke.ServiceFailure("The code of %s:%s is not loaded.", r.ARN(v.Function), v.Version)
		return
	}
	runner, err := r.loader.Load(ctx, v)
	if err != nil {
		call.err = fmt.Errorf("load %s:%s: %w", v.Function, v.Version, err)
		return
	}
	r.mu.Lock()
	r.live[key] = &code{runner: runner, refs: 1}
	r.mu.Unlock()
}

// Close closes every loaded Runner, after the invocations running on it.
func (r *Registry) Close() error {
	r.mu.Lock()
	seen := map[*code]bool{}
	for k, c := range r.live {
		delete(r.live, k)
		seen[c] = true
	}
	r.mu.Unlock()
	var errs []error
	for c := range seen {
		errs = append(errs, c.close())
	}
	return errors.Join(errs...)
}

// Loaded is one loaded Runner and the function whose code it is.
type Loaded struct {
	Function string
	Runner   Runner
}

// Loaded lists the Runners loaded now, each once (versions share their
// $LATEST's), sorted by function: what metrics read at scrape time.
func (r *Registry) Loaded() []Loaded {
	r.mu.Lock()
	seen := map[*code]bool{}
	var out []Loaded
	for k, c := range r.live {
		if !seen[c] {
			seen[c] = true
			out = append(out, Loaded{Function: k.function, Runner: c.runner})
		}
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Loaded) int { return strings.Compare(a.Function, b.Function) })
	return out
}
