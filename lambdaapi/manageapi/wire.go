package manageapi

import "time"

// The wire contract of the control plane, from the Lambda service model,
// in one place.

// Routes (requestUri of each operation).
const (
	routeFunctions     = "/2015-03-31/functions"
	routeFunction      = "/2015-03-31/functions/{FunctionName}"
	routeConfiguration = "/2015-03-31/functions/{FunctionName}/configuration"
	routeCode          = "/2015-03-31/functions/{FunctionName}/code"
	routeVersions      = "/2015-03-31/functions/{FunctionName}/versions"
	routeAliases       = "/2015-03-31/functions/{FunctionName}/aliases"
	routeAlias         = "/2015-03-31/functions/{FunctionName}/aliases/{Name}"
	routePutConc       = "/2017-10-31/functions/{FunctionName}/concurrency"
	routeGetConc       = "/2019-09-30/functions/{FunctionName}/concurrency"
	routeAccount       = "/2016-08-19/account-settings"
	routeTags          = "/2017-03-31/tags/{Resource}"
	routeURL           = "/2021-10-31/functions/{FunctionName}/url"
	routeURLs          = "/2021-10-31/functions/{FunctionName}/urls"
)

// Limits.
const (
	// MaxRequest bounds a request body: Lambda's limit for CreateFunction
	// and UpdateFunctionCode, 50 MB of zip once base64 makes it 4/3 larger.
	MaxRequest = 69905067
	// MaxZipped is the 50 MB a zip may have.
	MaxZipped = 50 << 20
	// MaxUnzipped is the 250 MB its files may have together.
	MaxUnzipped = 262144000
	// defaultMaxItems is the page size of list operations without MaxItems.
	defaultMaxItems = 50
	maxMaxItems     = 10000
)

// Error names of the model (internal/invoke has the Invoke API's).
const (
	ErrResourceConflict   = "ResourceConflictException"
	ErrPreconditionFailed = "PreconditionFailedException"
	ErrEntityTooLarge     = "RequestEntityTooLargeException"
	ErrInvalidParameter   = "InvalidParameterValueException"
)

// LastModifiedFormat is how Lambda writes LastModified.
const LastModifiedFormat = "2006-01-02T15:04:05.000-0700"

// FormatTime writes t as Lambda's LastModified.
func FormatTime(t time.Time) string { return t.UTC().Format(LastModifiedFormat) }

// Environment is a function's environment variables.
type Environment struct {
	Variables map[string]string `json:"Variables"`
}

// EnvironmentResponse is Environment in a FunctionConfiguration.
type EnvironmentResponse struct {
	Variables map[string]string `json:"Variables,omitempty"`
}

// FunctionCode is CreateFunction's Code.
type FunctionCode struct {
	ZipFile  []byte `json:"ZipFile,omitempty"` // base64 on the wire
	S3Bucket string `json:"S3Bucket,omitempty"`
	S3Key    string `json:"S3Key,omitempty"`
	ImageURI string `json:"ImageUri,omitempty"`
}

// FunctionConfiguration is the model's FunctionConfiguration.
type FunctionConfiguration struct {
	FunctionName               string               `json:"FunctionName"`
	FunctionArn                string               `json:"FunctionArn"`
	Runtime                    string               `json:"Runtime,omitempty"`
	Role                       string               `json:"Role"`
	Handler                    string               `json:"Handler,omitempty"`
	CodeSize                   int64                `json:"CodeSize"`
	Description                string               `json:"Description"`
	Timeout                    int                  `json:"Timeout"`
	MemorySize                 int                  `json:"MemorySize"`
	LastModified               string               `json:"LastModified"`
	CodeSha256                 string               `json:"CodeSha256"`
	Version                    string               `json:"Version"`
	Environment                *EnvironmentResponse `json:"Environment,omitempty"`
	RevisionID                 string               `json:"RevisionId"`
	State                      string               `json:"State,omitempty"`
	StateReason                string               `json:"StateReason,omitempty"`
	StateReasonCode            string               `json:"StateReasonCode,omitempty"`
	LastUpdateStatus           string               `json:"LastUpdateStatus,omitempty"`
	LastUpdateStatusReason     string               `json:"LastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string               `json:"LastUpdateStatusReasonCode,omitempty"`
	PackageType                string               `json:"PackageType"`
	Architectures              []string             `json:"Architectures"`
}

// CreateFunctionInput is CreateFunctionRequest.
type CreateFunctionInput struct {
	FunctionName  string            `json:"FunctionName"`
	Runtime       string            `json:"Runtime"`
	Role          string            `json:"Role"`
	Handler       string            `json:"Handler"`
	Code          FunctionCode      `json:"Code"`
	Description   string            `json:"Description"`
	Timeout       *int              `json:"Timeout"`
	MemorySize    *int              `json:"MemorySize"`
	Publish       bool              `json:"Publish"`
	PackageType   string            `json:"PackageType"`
	Environment   *Environment      `json:"Environment"`
	Tags          map[string]string `json:"Tags"`
	Architectures []string          `json:"Architectures"`
}

// UpdateFunctionCodeInput is UpdateFunctionCodeRequest.
type UpdateFunctionCodeInput struct {
	ZipFile    []byte `json:"ZipFile"`
	S3Bucket   string `json:"S3Bucket"`
	S3Key      string `json:"S3Key"`
	ImageURI   string `json:"ImageUri"`
	Publish    bool   `json:"Publish"`
	DryRun     bool   `json:"DryRun"`
	RevisionID string `json:"RevisionId"`
}

// UpdateFunctionConfigurationInput is UpdateFunctionConfigurationRequest:
// a nil member is left as it is.
type UpdateFunctionConfigurationInput struct {
	Role        *string      `json:"Role"`
	Handler     *string      `json:"Handler"`
	Description *string      `json:"Description"`
	Timeout     *int         `json:"Timeout"`
	MemorySize  *int         `json:"MemorySize"`
	Environment *Environment `json:"Environment"`
	Runtime     *string      `json:"Runtime"`
	RevisionID  string       `json:"RevisionId"`
}

// PublishVersionInput is PublishVersionRequest.
type PublishVersionInput struct {
	CodeSha256  string `json:"CodeSha256"`
	Description string `json:"Description"`
	RevisionID  string `json:"RevisionId"`
}

// RoutingConfig is AliasRoutingConfiguration.
type RoutingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights,omitempty"`
}

// AliasInput is CreateAliasRequest and UpdateAliasRequest.
type AliasInput struct {
	Name            string         `json:"Name"`
	FunctionVersion *string        `json:"FunctionVersion"`
	Description     *string        `json:"Description"`
	RoutingConfig   *RoutingConfig `json:"RoutingConfig"`
	RevisionID      string         `json:"RevisionId"`
}

// AliasConfiguration is the model's AliasConfiguration.
type AliasConfiguration struct {
	AliasArn        string         `json:"AliasArn"`
	Name            string         `json:"Name"`
	FunctionVersion string         `json:"FunctionVersion"`
	Description     string         `json:"Description"`
	RoutingConfig   *RoutingConfig `json:"RoutingConfig,omitempty"`
	RevisionID      string         `json:"RevisionId"`
}

// FunctionCodeLocation is GetFunction's Code.
type FunctionCodeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location"`
}

// Concurrency is the model's Concurrency.
type Concurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

// GetFunctionOutput is GetFunctionResponse.
type GetFunctionOutput struct {
	Configuration FunctionConfiguration `json:"Configuration"`
	Code          FunctionCodeLocation  `json:"Code"`
	Tags          map[string]string     `json:"Tags,omitempty"`
	Concurrency   *Concurrency          `json:"Concurrency,omitempty"`
}

// AccountLimit and AccountUsage are GetAccountSettingsResponse's.
type AccountLimit struct {
	TotalCodeSize                  int64 `json:"TotalCodeSize"`
	CodeSizeUnzipped               int64 `json:"CodeSizeUnzipped"`
	CodeSizeZipped                 int64 `json:"CodeSizeZipped"`
	ConcurrentExecutions           int   `json:"ConcurrentExecutions"`
	UnreservedConcurrentExecutions int   `json:"UnreservedConcurrentExecutions"`
}

type AccountUsage struct {
	TotalCodeSize int64 `json:"TotalCodeSize"`
	FunctionCount int64 `json:"FunctionCount"`
}

type AccountSettings struct {
	AccountLimit AccountLimit `json:"AccountLimit"`
	AccountUsage AccountUsage `json:"AccountUsage"`
}

// URLTimeFormat is how Lambda writes a Function URL's CreationTime and
// LastModifiedTime.
const URLTimeFormat = "2006-01-02T15:04:05.000000Z"

// Cors is a Function URL's CORS configuration.
type Cors struct {
	AllowCredentials *bool    `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           *int     `json:"MaxAge,omitempty"`
}

// URLInput is the body of CreateFunctionUrlConfig and
// UpdateFunctionUrlConfig (nil: unchanged, in an update).
type URLInput struct {
	AuthType   *string `json:"AuthType"`
	Cors       *Cors   `json:"Cors"`
	InvokeMode *string `json:"InvokeMode"`
}

// URLConfig is a Function URL's configuration, as every URL operation
// answers it.
type URLConfig struct {
	FunctionUrl      string `json:"FunctionUrl"`
	FunctionArn      string `json:"FunctionArn"`
	AuthType         string `json:"AuthType"`
	Cors             *Cors  `json:"Cors,omitempty"`
	CreationTime     string `json:"CreationTime"`
	LastModifiedTime string `json:"LastModifiedTime,omitempty"`
	InvokeMode       string `json:"InvokeMode"`
}
