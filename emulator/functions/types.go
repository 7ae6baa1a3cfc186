package functions

import (
	"context"
	"errors"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// LatestVersion is the version that always has the function's latest code
// and configuration; published versions are numbered from 1.
const LatestVersion = "$LATEST"

// Runner runs the invocations of one version's code. Invoke is called
// concurrently; it never returns nil, and reports every failure of the
// function in the Result. Close releases the code once no invocation runs
// on it any more.
type Runner interface {
	Invoke(ctx context.Context, req *invoke.Request) *invoke.Result
	Close(ctx context.Context) error
}

// Function is a function's own record: what all its versions share.
type Function struct {
	// Name is the FunctionName, the name ARNs carry.
	Name string
	// OtherNames also resolve to the function (a template's logical id
	// when FunctionName is set).
	OtherNames []string
	// ReservedConcurrency is ReservedConcurrentExecutions; 0 for none,
	// Throttled for a reserved concurrency of 0 (every invocation
	// throttled, as Lambda does).
	ReservedConcurrency int
	// AutoPublishAlias, when set, is the alias that follows every version
	// published because the code changed (SAM's AutoPublishAlias).
	AutoPublishAlias string
	// Async is how its Event invocations are retried (EventInvokeConfig);
	// the zero value retries none and keeps events DefaultMaxEventAge.
	Async AsyncConfig
	// Managed tells that the function was created through the management
	// API (manageapi): its code is an upload, and the API may change it.
	// A template's functions are not managed: the API only reads them.
	Managed bool
	// Tags are the function's tags (TagResource).
	Tags map[string]string
	// URLs are its Function URLs (CreateFunctionUrlConfig), by qualifier
	// ("" for the unqualified function, else an alias name).
	URLs map[string]FunctionURL `json:",omitempty"`
}

// FunctionURL is the configuration of one Function URL.
type FunctionURL struct {
	AuthType   string // NONE or AWS_IAM
	InvokeMode string // BUFFERED or RESPONSE_STREAM
	Cors       *URLCors
	Created    time.Time
	Modified   time.Time
}

// URLCors is a Function URL's Cors.
type URLCors struct {
	AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders []string
	// MaxAge is Access-Control-Max-Age in seconds; nil for none.
	MaxAge           *int
	AllowCredentials bool
}

// Throttled is the ReservedConcurrency of a function whose reserved
// concurrency was set to 0 (PutFunctionConcurrency): it runs nothing.
const Throttled = -1

// Config is a version's configuration.
type Config struct {
	Description  string
	Runtime      string
	Handler      string
	Architecture string
	MemoryMB     int
	Timeout      time.Duration
	// Env is Environment.Variables.
	Env map[string]string
}

// Code is what a version runs.
type Code struct {
	// Sha256 is Lambda's CodeSha256: the base64 SHA-256 of the artifact.
	Sha256 string
	// Size is the artifact's size in bytes.
	Size int64
	// Artifact is the path of the .wasm module or bootstrap executable.
	Artifact string
	// Revision distinguishes code whose artifact is the same but which must
	// be published as a new version anyway (SAM's AutoPublishCodeSha256).
	Revision string
}

// Version is one version of a function: $LATEST or a published one.
type Version struct {
	Function string // the function's Name
	Version  string // LatestVersion, or "1", "2", ...
	Config   Config
	Code     Code
	// Description of a published version (PublishVersion's Description).
	Description  string
	LastModified time.Time
	// RevisionID changes with every change of the version's code or
	// configuration (Lambda's RevisionId).
	RevisionID string
}

// Alias is a named pointer to a published version (or $LATEST), with
// optional weights that route a share of its invocations to other versions.
type Alias struct {
	Function        string
	Name            string
	FunctionVersion string
	Description     string
	// RoutingWeights are AdditionalVersionWeights: version -> share (0..1)
	// of the alias's invocations that run that version instead.
	RoutingWeights map[string]float64
	// RevisionID changes with every change of the alias.
	RevisionID string
}

// ErrNotFound is what a Store returns for a function, version or alias it
// does not hold.
var ErrNotFound = errors.New("not found")

// ErrExists is what a Store returns when creating what it already holds.
var ErrExists = errors.New("already exists")

// Store keeps functions, versions and aliases. It holds records only, never
// loaded code, so that a persisted or shared store can implement it. Its
// methods are safe for concurrent use. Values returned are the caller's,
// but their maps (Env, RoutingWeights) may be shared: read them, never
// change them in place.
type Store interface {
	// CreateFunction stores fn and its $LATEST version; ErrExists when a
	// function of that name (or of one of its OtherNames) exists.
	CreateFunction(ctx context.Context, fn Function, latest Version) error
	// Function returns a function by Name or one of its OtherNames.
	Function(ctx context.Context, name string) (Function, error)
	// Functions returns every function, sorted by Name.
	Functions(ctx context.Context) ([]Function, error)
	// DeleteFunction removes a function with its versions and aliases.
	DeleteFunction(ctx context.Context, name string) error
	// PutFunction replaces a function's own record (tags, reserved
	// concurrency); its names cannot change.
	PutFunction(ctx context.Context, fn Function) error

	// PutLatest replaces a function's $LATEST version.
	PutLatest(ctx context.Context, v Version) error
	// PublishVersion stores v as the function's next version number and
	// returns it with its number set.
	PublishVersion(ctx context.Context, v Version) (Version, error)
	// Version returns one version of a function (by its Name).
	Version(ctx context.Context, function, version string) (Version, error)
	// Versions returns $LATEST and the published versions, in order.
	Versions(ctx context.Context, function string) ([]Version, error)
	// DeleteVersion removes one published version; its number is never
	// given again.
	DeleteVersion(ctx context.Context, function, version string) error

	// PutAlias creates or replaces an alias.
	PutAlias(ctx context.Context, a Alias) error
	// Alias returns one alias of a function.
	Alias(ctx context.Context, function, name string) (Alias, error)
	// Aliases returns a function's aliases, sorted by name.
	Aliases(ctx context.Context, function string) ([]Alias, error)
	// DeleteAlias removes an alias.
	DeleteAlias(ctx context.Context, function, name string) error
}
