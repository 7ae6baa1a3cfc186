package sam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"

	"github.com/awslabs/goformation/v7/cloudformation/global"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// SAM's defaults and Lambda's limits for a function's configuration.
const (
	DefaultMemoryMB     = 128
	DefaultTimeout      = 3 * time.Second
	DefaultArchitecture = "x86_64"
	MinMemoryMB         = 128
	MaxMemoryMB         = 10240
	// EphemeralStorage's bounds and default, in MB: /tmp's size.
	DefaultEphemeralStorageMB = 512
	MaxEphemeralStorageMB     = 10240
	MaxTimeoutSeconds         = 900

	// StackName is what AWS::StackName resolves to.
	StackName = "fresco"
)

const serverlessFunctionType = "AWS::Serverless::Function"

// DefaultTemplate is the template fresco reads when given none and the
// directory has none of DefaultTemplates, as SAM.
const DefaultTemplate = "template.yaml"

// DefaultTemplates are the names SAM looks for, in its order, when given
// no template.
var DefaultTemplates = []string{"template.yaml", "template.yml", "template.json"}

// FindTemplate returns the first of DefaultTemplates in dir, or
// DefaultTemplate there (which LoadTemplate then reports missing).
func FindTemplate(dir string) string {
	for _, name := range DefaultTemplates {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	return filepath.Join(dir, DefaultTemplate)
}

func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && !info.IsDir()
}

// ErrTemplateNotFound is returned, wrapped, by LoadTemplate for a missing
// file.
var ErrTemplateNotFound = errors.New("template not found")

// Template is what fresco needs of a SAM template: its functions, with
// Globals merged, defaults applied and intrinsics resolved.
type Template struct {
	// Dir is the absolute directory of the template file; relative CodeUri
	// paths are resolved against it.
	Dir string
	// Functions are the template's AWS::Serverless::Function resources,
	// sorted by LogicalID.
	Functions []*FunctionSpec
	// APIs are the template's AWS::Serverless::Api and HttpApi resources and
	// the implicit APIs its functions' events create, sorted by LogicalID
	// (implicit ones last); the routes are the functions' Events.
	APIs []*API
	// Warnings are things that were ignored but may surprise a user:
	// references that resolved to nothing, parameter overrides and
	// --env-vars entries that match nothing in the template. The CLI logs
	// them.
	Warnings []string
	// NotEmulated lists what the template asks for that fresco does not
	// do locally, one row per function and feature, for the table fresco
	// start prints (SAM's local commands skip these silently).
	NotEmulated []NotEmulated
}

// NotEmulated is one template feature fresco does not emulate.
type NotEmulated struct {
	Function string // logical id
	Feature  string // the property or event: "Layers", "event Queue (SQS)"
	Instead  string // what fresco does, and how to exercise it
}

// TemplateOptions tunes LoadTemplate.
type TemplateOptions struct {
	// Parameters override the Default of the template's Parameters
	// (sam's --parameter-overrides).
	Parameters map[string]string
	// EnvVars, if not nil, is merged into every function's environment
	// (sam's --env-vars).
	EnvVars *EnvVars
	// Region is what AWS::Region resolves to (default: the environment's,
	// invoke.RegionFromEnv).
	Region string
}

// TemplateError is a template fresco cannot use. LogicalID names the
// function at fault, when there is one.
type TemplateError struct {
	Path      string
	LogicalID string
	Err       error
}

func (e *TemplateError) Error() string {
	if e.LogicalID != "" {
		return fmt.Sprintf("template %s: function %s: %v", e.Path, e.LogicalID, e.Err)
	}
	return fmt.Sprintf("template %s: %v", e.Path, e.Err)
}

func (e *TemplateError) Unwrap() error { return e.Err }

// Function returns the function whose LogicalID or, failing that, whose
// FunctionName is name.
func (t *Template) Function(name string) (*FunctionSpec, bool) {
	for _, f := range t.Functions {
		if f.LogicalID == name {
			return f, true
		}
	}
	for _, f := range t.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// Select returns the functions named (by LogicalID or FunctionName), or all
// of them when names is empty.
func (t *Template) Select(names []string) ([]*FunctionSpec, error) {
	if len(names) == 0 {
		return t.Functions, nil
	}
	var fns []*FunctionSpec
	for _, name := range names {
		fn, ok := t.Function(name)
		if !ok {
			return nil, &UnknownFunctionError{Name: name, Known: t.LogicalIDs()}
		}
		fns = append(fns, fn)
	}
	return fns, nil
}

// LogicalIDs are the functions' logical ids, sorted.
func (t *Template) LogicalIDs() []string {
	ids := make([]string, len(t.Functions))
	for i, f := range t.Functions {
		ids[i] = f.LogicalID
	}
	return ids
}

// UnknownFunctionError names a function the template does not declare.
type UnknownFunctionError struct {
	Name  string
	Known []string
}

func (e *UnknownFunctionError) Error() string {
	return fmt.Sprintf("function %q not found in the template (functions: %v)", e.Name, e.Known)
}

// LoadTemplate reads a SAM template (YAML or JSON) and returns its
// functions.
//
// goformation does the parsing: its intrinsics processor turns the YAML
// short forms (!Ref, !Sub, ...) into their long forms, applies parameter
// overrides and resolves intrinsics, and its generated types
// (serverless.Function, global.Function) decode the properties. fresco adds
// what goformation lacks; see parseTemplate.
func LoadTemplate(path string, opts TemplateOptions) (*Template, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrTemplateNotFound, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	return parseTemplate(data, path, filepath.Dir(abs), opts)
}

// goformationMu serialises goformation's intrinsics processor: every
// ProcessYAML call re-registers its YAML tag handlers in a package-level
// map, which races with a concurrent call.
var goformationMu sync.Mutex

// parseTemplate turns a template's bytes into a Template; path is only for
// messages, dir is the directory CodeUri paths are relative to.
//
// goformation's own entry points (goformation.OpenWithOptions) would
// unmarshal the whole template into cloudformation.Template, which fails on
// things every real template has: a resource type goformation's generated
// list does not know ("json: Unmarshal(nil)"), a function property newer
// than goformation (LoggingConfig: "unknown field"), or an environment
// variable written as a YAML number (PORT: 8080). CloudFormation accepts all
// three. So fresco takes the two halves of that call apart: goformation's
// intrinsics processor produces the resolved JSON, and each function (and
// Globals.Function) is then decoded on its own into goformation's types,
// after coercing scalars the way CloudFormation does and dropping properties
// goformation does not know (fresco ignores most properties anyway: Role,
// Policies, Events, ...).
//
// goformation also does not apply Globals (it only exposes them as
// global.Function), so mergeFunction does that.
func parseTemplate(data []byte, path, dir string, opts TemplateOptions) (*Template, error) {
	tmplErr := func(id string, err error) error { return &TemplateError{Path: path, LogicalID: id, Err: err} }
	doc, res, prep, err := processIntrinsics(data, path, opts)
	if err != nil {
		var te *TemplateError
		var ie *intrinsicError
		switch {
		case errors.As(err, &te):
			te.Path = path
			return nil, te
		case errors.As(err, &ie) && resourceOf(ie.path) != "":
			return nil, tmplErr(resourceOf(ie.path), err)
		}
		return nil, tmplErr("", err)
	}
	t := &Template{Dir: dir}
	t.warnParameters(doc, opts.Parameters)
	warnings, err := prep.referenceErrors(res, doc, func(id string) bool { return isFunctionResource(doc.Resources[id]) })
	t.Warnings = append(t.Warnings, warnings...)
	if err != nil {
		var te *TemplateError
		if errors.As(err, &te) {
			te.Path = path
		}
		return nil, err
	}

	var globals global.Function
	if raw, ok := doc.Globals["Function"]; ok {
		ignored, err := decodeProperties(raw, &globals)
		if err != nil {
			return nil, tmplErr("", fmt.Errorf("Globals.Function: %w", err))
		}
		for _, msg := range ignored {
			t.Warnings = append(t.Warnings, "Globals.Function: "+msg)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(doc.Resources)) {
		fn, err := t.parseFunction(id, doc.Resources[id], dir, &globals)
		if err != nil {
			return nil, tmplErr(id, err)
		}
		if fn != nil {
			t.Functions = append(t.Functions, fn)
		}
	}
	if err := t.checkNames(); err != nil {
		return nil, tmplErr(err.id, err.err)
	}

	if err := t.resolveAPIs(doc.Globals, doc.Resources); err != nil {
		var te *TemplateError
		if errors.As(err, &te) {
			te.Path = path
			return nil, te
		}
		return nil, tmplErr("", err)
	}

	if opts.EnvVars != nil {
		for _, f := range t.Functions {
			opts.EnvVars.Apply(f)
		}
		for _, key := range opts.EnvVars.Unmatched(t.Functions) {
			t.Warnings = append(t.Warnings, fmt.Sprintf("env vars: %q matches no function's logical id or FunctionName: ignored", key))
		}
	}
	return t, nil
}

// templateDoc is a template after goformation's intrinsics processor: its
// sections, still as JSON.
type templateDoc struct {
	Conditions map[string]json.RawMessage
	Parameters map[string]json.RawMessage
	Globals    map[string]json.RawMessage
	Resources  map[string]json.RawMessage
}

// processIntrinsics resolves the template's intrinsics with goformation's
// processor, with fresco's Ref and Fn::Sub and conditions evaluated, after
// fresco's checks (intrinsics.go), and returns its sections, the
// resources whose condition is false left out.
func processIntrinsics(data []byte, path string, opts TemplateOptions) (*templateDoc, *intrinsicResolver, *prepared, error) {
	region := opts.Region
	if region == "" {
		region = invoke.RegionFromEnv()
	}
	res := newIntrinsicResolver(region)
	popts := &intrinsics.ProcessorOptions{
		ParameterOverrides: map[string]any{},
		// goformation's Ref knows the pseudo parameters but with its own
		// values (AWS::StackName is "goformation-stack", the region always
		// us-east-1), and its Fn::Sub calls that Ref directly, ignores
		// ${!Literal} and substitutes only the named variables of the
		// two-argument form; so both are replaced.
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
			"Ref":        res.ref,
			"Fn::Sub":    res.sub,
			"Fn::GetAtt": res.getAtt,
		},
		EvaluateConditions: true,
	}
	for k, v := range opts.Parameters {
		popts.ParameterOverrides[k] = v
	}
	raw, err := yamlToJSON(data, path)
	if err != nil {
		return nil, nil, nil, err
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		return nil, nil, nil, fmt.Errorf("not a CloudFormation template: %w", err)
	}
	prep, err := prepare(tmpl)
	if err != nil {
		return nil, nil, nil, err
	}
	if raw, err = json.Marshal(prep.tmpl); err != nil {
		return nil, nil, nil, err
	}
	goformationMu.Lock()
	processed, err := intrinsics.ProcessJSON(raw, popts)
	goformationMu.Unlock()
	if err != nil {
		return nil, nil, nil, err
	}
	var out any
	if err := json.Unmarshal(processed, &out); err != nil {
		return nil, nil, nil, fmt.Errorf("not a CloudFormation template: %w", err)
	}
	if processed, err = json.Marshal(removeNoValue(out)); err != nil {
		return nil, nil, nil, err
	}
	var doc templateDoc
	if err := json.Unmarshal(processed, &doc); err != nil {
		return nil, nil, nil, fmt.Errorf("not a CloudFormation template: %w", err)
	}
	if err := prep.dropByCondition(&doc); err != nil {
		return nil, nil, nil, err
	}
	return &doc, res, prep, nil
}

// warnParameters warns of overrides of parameters the template does not
// declare. (References that resolve to nothing are reported by
// prepared.referenceErrors, where they are.)
func (t *Template) warnParameters(doc *templateDoc, overrides map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		if _, ok := doc.Parameters[name]; !ok {
			t.Warnings = append(t.Warnings, fmt.Sprintf("parameter override %s: the template declares no such parameter", name))
		}
	}
}

// isFunctionResource reports whether raw is an AWS::Serverless::Function.
func isFunctionResource(raw json.RawMessage) bool {
	var head struct{ Type string }
	return json.Unmarshal(raw, &head) == nil && head.Type == serverlessFunctionType
}

// parseFunction parses resource id when it is an AWS::Serverless::Function
// (nil, nil otherwise).
func (t *Template) parseFunction(id string, raw json.RawMessage, dir string, globals *global.Function) (*FunctionSpec, error) {
	var head struct {
		Type       string
		Properties json.RawMessage
		Metadata   json.RawMessage
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("resource %s: %w", id, err)
	}
	if head.Type != serverlessFunctionType {
		return nil, nil
	}
	warn := func(msg string) { t.Warnings = append(t.Warnings, "function "+id+": "+msg) }
	// functionProperties has serverless.Function's fields without its
	// UnmarshalJSON, which expects the Type/Properties envelope and
	// rejects unknown fields.
	type functionProperties serverless.Function
	var props functionProperties
	if len(head.Properties) > 0 {
		ignored, err := decodeProperties(head.Properties, &props)
		if err != nil {
			return nil, err
		}
		for _, msg := range ignored {
			warn(msg)
		}
	}
	sf := serverless.Function(props)
	fn, err := mergeFunction(id, dir, globals, &sf, warn)
	if err != nil {
		return nil, err
	}
	if fn.URL, err = functionURL(head.Properties); err != nil {
		return nil, fmt.Errorf("function %s: %w", id, err)
	}
	t.NotEmulated = append(t.NotEmulated, notEmulated(id, head.Properties, globals.Layers != nil && len(*globals.Layers) > 0)...)
	if fn.Mode, err = functionMode(head.Metadata, fn.CodeURI); err != nil {
		return nil, err
	}
	if fn.AllowedHosts, err = allowedHosts(head.Metadata); err != nil {
		return nil, err
	}
	if fn.AllowedHosts != nil && fn.Mode != ModeWasm {
		warn("Metadata FrescoAllowedHosts is not honoured: it restricts wasm functions only")
	}
	if fn.Mode == ModeNative && hostArchitecture() != fn.Architecture {
		warn(fmt.Sprintf("Architectures %s is not honoured: FrescoMode native builds for this machine (%s/%s)",
			fn.Architecture, runtime.GOOS, runtime.GOARCH))
	}
	if fn.Events, err = parseEvents(head.Properties, warn); err != nil {
		return nil, err
	}
	if fn.Schedules, err = parseSchedules(id, head.Properties); err != nil {
		return nil, err
	}
	return fn, nil
}

// nameError is an error of one function's name.
type nameError struct {
	id  string
	err error
}

// checkNames checks that every name identifies one function: the emulator
// looks a function up by LogicalID or FunctionName.
func (t *Template) checkNames() *nameError {
	owner := map[string]string{}
	for _, f := range t.Functions {
		owner[f.LogicalID] = f.LogicalID
	}
	for _, f := range t.Functions {
		if f.Name == f.LogicalID {
			continue
		}
		if other, ok := owner[f.Name]; ok {
			return &nameError{f.LogicalID, fmt.Errorf("FunctionName %q is also the name of function %s", f.Name, other)}
		}
		owner[f.Name] = f.LogicalID
	}
	return nil
}

// mergeFunction applies Globals.Function and SAM's defaults to a function's
// properties (the function's own values win; environment variables merge
// key by key) and validates the result.
func mergeFunction(id, dir string, g *global.Function, p *serverless.Function, warn func(string)) (*FunctionSpec, error) {
	fn := &FunctionSpec{
		LogicalID:    id,
		Name:         id,
		Architecture: DefaultArchitecture,
		MemoryMB:     DefaultMemoryMB,
		EphemeralMB:  DefaultEphemeralStorageMB,
		Timeout:      DefaultTimeout,
		Env:          map[string]string{},
	}

	var err error
	if fn.CodeURI, err = resolveCodeURI(dir, g, p); err != nil {
		return nil, err
	}
	if p.FunctionName != nil {
		if *p.FunctionName == "" {
			return nil, errors.New("FunctionName is empty")
		}
		fn.Name = *p.FunctionName
	}
	fn.Handler = firstString(p.Handler, g.Handler)
	fn.Runtime = firstString(p.Runtime, g.Runtime)
	fn.Description = firstString(p.Description, g.Description)

	archs := p.Architectures
	if len(archs) == 0 && g.Architectures != nil {
		archs = *g.Architectures
	}
	if len(archs) > 0 {
		fn.Architecture = archs[0]
	}
	if fn.Architecture != "x86_64" && fn.Architecture != "arm64" {
		return nil, fmt.Errorf("Architectures %q: must be x86_64 or arm64", fn.Architecture)
	}

	if err := applyLimits(fn, g, p); err != nil {
		return nil, err
	}
	if err := autoPublish(fn, g, p); err != nil {
		return nil, err
	}
	if err := eventInvokeConfig(fn, g, p, warn); err != nil {
		return nil, err
	}

	if g.Environment != nil {
		for k, v := range g.Environment.Variables {
			fn.Env[k] = v
		}
	}
	if p.Environment != nil {
		for k, v := range p.Environment.Variables {
			fn.Env[k] = v
		}
	}
	return fn, nil
}

// resolveCodeURI is the function's CodeUri (or Globals'), absolute: a
// local path, never an S3 location, inline code or an image.
func resolveCodeURI(dir string, g *global.Function, p *serverless.Function) (string, error) {
	codeURI := p.CodeUri
	if codeURI == nil {
		codeURI = g.CodeUri
	}
	switch {
	case codeURI == nil && (p.InlineCode != nil || p.ImageUri != nil || (p.PackageType != nil && *p.PackageType == "Image")):
		return "", errors.New("InlineCode and container images are not supported: set CodeUri to a Go package directory or a .wasm file")
	case codeURI == nil:
		return "", errors.New("no CodeUri: set it to a Go package directory or a .wasm file")
	case codeURI.String == nil:
		return "", errors.New("CodeUri must be a local path, not an S3 location")
	case *codeURI.String == "":
		return "", errors.New("CodeUri is empty")
	case strings.HasPrefix(*codeURI.String, "s3://"):
		return "", fmt.Errorf("CodeUri %s: must be a local path, not an S3 location", *codeURI.String)
	}
	path := filepath.FromSlash(*codeURI.String)
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return filepath.Clean(path), nil

}

// applyLimits reads MemorySize, Timeout and ReservedConcurrentExecutions
// (the function's, or Globals') and checks them against Lambda's limits.
func applyLimits(fn *FunctionSpec, g *global.Function, p *serverless.Function) error {
	if m := firstInt(p.MemorySize, g.MemorySize); m != nil {
		fn.MemoryMB = *m
	}
	if fn.MemoryMB < MinMemoryMB || fn.MemoryMB > MaxMemoryMB {
		return fmt.Errorf("MemorySize %d is outside %d..%d MB", fn.MemoryMB, MinMemoryMB, MaxMemoryMB)
	}
	if s := firstInt(p.Timeout, g.Timeout); s != nil {
		if *s < 1 || *s > MaxTimeoutSeconds {
			return fmt.Errorf("Timeout %d is outside 1..%d seconds", *s, MaxTimeoutSeconds)
		}
		fn.Timeout = time.Duration(*s) * time.Second
	}
	if e := p.EphemeralStorage; e != nil || g.EphemeralStorage != nil {
		if e == nil {
			e = g.EphemeralStorage
		}
		if e.Size < DefaultEphemeralStorageMB || e.Size > MaxEphemeralStorageMB {
			return fmt.Errorf("EphemeralStorage Size %d is outside %d..%d MB", e.Size, DefaultEphemeralStorageMB, MaxEphemeralStorageMB)
		}
		fn.EphemeralMB = e.Size
	}
	if r := firstInt(p.ReservedConcurrentExecutions, g.ReservedConcurrentExecutions); r != nil {
		if *r < 0 {
			return fmt.Errorf("ReservedConcurrentExecutions %d is negative", *r)
		}
		fn.ReservedConcurrency = *r
	}
	return nil
}

// Lambda's limits of EventInvokeConfig.
const (
	maxRetryAttempts   = 2
	minEventAgeSeconds = 60
	maxEventAgeSeconds = 21600
)

// eventInvokeConfig reads EventInvokeConfig (the function's, else
// Globals'): MaximumRetryAttempts, MaximumEventAgeInSeconds and the
// destinations of DestinationConfig. A destination of Type Lambda is
// another function of the template (its ARN, usually !GetAtt Fn.Arn);
// the other types (SQS, SNS, EventBridge, S3Bucket) have nothing to
// receive them here and are ignored with a warning.
func eventInvokeConfig(fn *FunctionSpec, g *global.Function, p *serverless.Function, warn func(string)) error {
	c := p.EventInvokeConfig
	if c == nil {
		c = g.EventInvokeConfig
	}
	if c == nil {
		return nil
	}
	if r := c.MaximumRetryAttempts; r != nil {
		if *r < 0 || *r > maxRetryAttempts {
			return fmt.Errorf("EventInvokeConfig MaximumRetryAttempts %d is outside 0..%d", *r, maxRetryAttempts)
		}
		fn.MaxRetries = r
	}
	if a := c.MaximumEventAgeInSeconds; a != nil {
		if *a < minEventAgeSeconds || *a > maxEventAgeSeconds {
			return fmt.Errorf("EventInvokeConfig MaximumEventAgeInSeconds %d is outside %d..%d", *a, minEventAgeSeconds, maxEventAgeSeconds)
		}
		fn.MaxEventAge = time.Duration(*a) * time.Second
	}
	if dc := c.DestinationConfig; dc != nil {
		var err error
		if fn.OnSuccess, err = destination("OnSuccess", dc.OnSuccess, warn); err != nil {
			return err
		}
		if fn.OnFailure, err = destination("OnFailure", dc.OnFailure, warn); err != nil {
			return err
		}
	}
	return nil
}

// destination reads one destination: a function's name (and qualifier)
// from its ARN, for Type Lambda.
func destination(which string, d *serverless.Function_Destination, warn func(string)) (string, error) {
	if d == nil {
		return "", nil
	}
	typ := firstString(d.Type)
	if typ != "Lambda" {
		warn(fmt.Sprintf("EventInvokeConfig %s: destinations of Type %q are not sent (only Lambda)", which, typ))
		return "", nil
	}
	arn := d.Destination
	_, name, ok := strings.Cut(arn, ":function:")
	if !strings.HasPrefix(arn, "arn:") || !ok || name == "" {
		return "", fmt.Errorf("EventInvokeConfig %s: Destination %q is not a function ARN (use !GetAtt Function.Arn)", which, arn)
	}
	return name, nil
}

// maxAliasName is the length limit of an alias name.
const maxAliasName = 128

// autoPublish reads SAM's AutoPublishAlias, AutoPublishCodeSha256 and
// VersionDescription. An alias name follows Lambda's pattern: letters,
// digits, - and _, not all digits (a qualifier of digits is a version).
func autoPublish(fn *FunctionSpec, g *global.Function, p *serverless.Function) error {
	fn.AutoPublishAlias = firstString(p.AutoPublishAlias, g.AutoPublishAlias)
	fn.AutoPublishCodeSha256 = firstString(p.AutoPublishCodeSha256, g.AutoPublishCodeSha256)
	fn.VersionDescription = firstString(p.VersionDescription)
	a := fn.AutoPublishAlias
	if a == "" {
		return nil
	}
	allDigits := true
	for _, c := range a {
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
			allDigits = false
		default:
			return fmt.Errorf("AutoPublishAlias %q: an alias name has only letters, digits, - and _", a)
		}
	}
	if allDigits {
		return fmt.Errorf("AutoPublishAlias %q: an alias name cannot be a number, which names a version", a)
	}
	if len(a) > maxAliasName {
		return fmt.Errorf("AutoPublishAlias %q: longer than %d characters", a, maxAliasName)
	}
	return nil
}

// Values of a function's Metadata FrescoMode.
const (
	frescoModeKey    = "FrescoMode"
	frescoModeNative = "native"
	frescoModeWasm   = "wasm"
)

// functionMode applies the rule documented on Mode: the resource's
// Metadata FrescoMode when set, else ModeBootstrap for a CodeUri directory
// holding an executable bootstrap, else ModeWasm.
func functionMode(metadata json.RawMessage, codeURI string) (Mode, error) {
	var md map[string]json.RawMessage
	if len(metadata) > 0 && string(metadata) != "null" {
		if err := json.Unmarshal(metadata, &md); err != nil {
			return 0, fmt.Errorf("Metadata: not an object: %w", err)
		}
	}
	if raw, ok := md[frescoModeKey]; ok {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return 0, fmt.Errorf("Metadata %s: want a string (%q or %q), got %s", frescoModeKey, frescoModeNative, frescoModeWasm, raw)
		}
		switch v {
		case frescoModeNative:
			if strings.HasSuffix(codeURI, ".wasm") {
				return 0, fmt.Errorf("Metadata %s: %s needs a Go package directory as CodeUri, not a .wasm file", frescoModeKey, v)
			}
			return ModeNative, nil
		case frescoModeWasm:
			return ModeWasm, nil
		default:
			return 0, fmt.Errorf("Metadata %s: unknown value %q (want %q or %q)", frescoModeKey, v, frescoModeNative, frescoModeWasm)
		}
	}
	if IsExecutable(filepath.Join(codeURI, "bootstrap")) {
		return ModeBootstrap, nil
	}
	return ModeWasm, nil
}

// frescoAllowedHostsKey is the Metadata key of a function's allow-list.
const frescoAllowedHostsKey = "FrescoAllowedHosts"

// allowedHosts reads Metadata FrescoAllowedHosts: a list of host patterns
// (docs/abi.md), nil when absent. Each pattern is checked when the
// function is loaded.
func allowedHosts(metadata json.RawMessage) ([]string, error) {
	var md map[string]json.RawMessage
	if len(metadata) == 0 || string(metadata) == "null" || json.Unmarshal(metadata, &md) != nil {
		return nil, nil // functionMode reports a Metadata that is not an object
	}
	raw, ok := md[frescoAllowedHostsKey]
	if !ok {
		return nil, nil
	}
	hosts := []string{}
	if err := json.Unmarshal(raw, &hosts); err != nil {
		return nil, fmt.Errorf("Metadata %s: want a list of hosts, e.g. [api.example.com, \"*.amazonaws.com\"], got %s", frescoAllowedHostsKey, raw)
	}
	return hosts, nil
}

// IsExecutable tells whether path is a regular file someone may execute.
func IsExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}

// hostArchitecture is this machine's architecture in the template's terms
// (x86_64, arm64), or GOARCH for others.
func hostArchitecture() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return runtime.GOARCH
}

func firstString(vs ...*string) string {
	for _, v := range vs {
		if v != nil {
			return *v
		}
	}
	return ""
}

func firstInt(vs ...*int) *int {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// usedProperties are the function properties fresco reads; a property it
// does not read and cannot decode is ignored with a warning rather than
// failing the template.
var usedProperties = map[string]bool{
	"CodeUri": true, "Handler": true, "Runtime": true, "Architectures": true,
	"MemorySize": true, "Timeout": true, "Environment": true, "FunctionName": true, "EphemeralStorage": true,
	"ReservedConcurrentExecutions": true, "Description": true,
	"AutoPublishAlias": true, "AutoPublishCodeSha256": true, "VersionDescription": true, "EventInvokeConfig": true,
	"InlineCode": true, "ImageUri": true, "PackageType": true,
	// Of Api and HttpApi events and APIs (apigw_template.go).
	"Path": true, "Method": true, "RestApiId": true, "ApiId": true, "PayloadFormatVersion": true,
	"StageName": true, "StageVariables": true, "Variables": true, "BinaryMediaTypes": true,
	"Cors": true, "CorsConfiguration": true,
}

// decodeProperties decodes a resource's Properties (resolved JSON) into dst,
// a pointer to one of goformation's generated structs, reading them as
// CloudFormation would: a property the struct does not declare is dropped;
// a string where it has an integer is parsed ("256", which is what a Number
// parameter override gives); a number or boolean where it has a string is
// formatted, and so are the values of string maps (Environment.Variables,
// Tags: PORT: 8080, DEBUG: true). Each property is decoded on its own, so
// that one fresco does not use cannot fail the template: its error is
// returned among the ignored ones.
func decodeProperties(raw json.RawMessage, dst any) (ignored []string, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var props map[string]any
	if err := dec.Decode(&props); err != nil {
		return nil, fmt.Errorf("Properties: %w", err)
	}
	fields := jsonFields(reflect.TypeOf(dst).Elem())
	for _, key := range slices.Sorted(maps.Keys(props)) {
		ft, ok := fields[key]
		if !ok {
			continue
		}
		val, path, err := coerce(props[key], ft)
		if err != nil {
			err = fmt.Errorf("%s%s: %w", key, path, err)
		} else {
			var one []byte
			if one, err = json.Marshal(map[string]any{key: val}); err == nil {
				err = json.Unmarshal(one, dst)
			}
			if err != nil {
				err = fmt.Errorf("%s: %w", key, err)
			}
		}
		switch {
		case err == nil:
		case usedProperties[key]:
			return nil, err
		default:
			ignored = append(ignored, fmt.Sprintf("property ignored: %v", err))
		}
	}
	return ignored, nil
}

// coerce converts a JSON scalar to the kind of Go type t expects, where
// CloudFormation would. On error, path locates the bad value inside val
// (".Variables.PORT").
func coerce(val any, t reflect.Type) (_ any, path string, err error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int:
		if s, ok := val.(string); ok {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return nil, "", fmt.Errorf("%q is not an integer", s)
			}
			return n, "", nil
		}
	case reflect.String:
		switch val.(type) {
		case json.Number, bool:
			s, _ := scalarString(val)
			return s, "", nil
		}
	case reflect.Map:
		m, ok := val.(map[string]any)
		if !ok || t.Elem().Kind() != reflect.String {
			break
		}
		for k, v := range m {
			s, err := scalarString(v)
			if err != nil {
				return nil, "." + k, err
			}
			m[k] = s
		}
	case reflect.Struct:
		// Only Environment's Variables need a hand; the rest decode as is.
		m, ok := val.(map[string]any)
		if !ok {
			break
		}
		for k, v := range m {
			if f, ok := t.FieldByName(k); ok && f.Type.Kind() == reflect.Map {
				cv, p, err := coerce(v, f.Type)
				if err != nil {
					return nil, "." + k + p, err
				}
				m[k] = cv
			}
		}
	}
	return val, "", nil
}

// jsonFields maps the JSON names of a struct's fields to their types.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// scalarString formats a JSON scalar as CloudFormation does for a string
// property; null (an unresolved reference) is empty.
func scalarString(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case map[string]any:
		return "", errors.New("must be a string, number or boolean, not an object")
	case []any:
		return "", errors.New("must be a string, number or boolean, not an array")
	default:
		return "", fmt.Errorf("must be a string, number or boolean, not %T", v)
	}
}

// intrinsicResolver provides fresco's Ref and Fn::Sub to goformation's
// intrinsics processor. It is used by one parse, on one goroutine.
type intrinsicResolver struct {
	pseudo     map[string]string
	unresolved map[string]bool
}

func newIntrinsicResolver(r string) *intrinsicResolver {
	return &intrinsicResolver{
		pseudo: map[string]string{
			"AWS::Region":    r,
			"AWS::AccountId": invoke.DefaultAccountID,
			"AWS::StackName": StackName,
			"AWS::StackId":   fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000", r, invoke.DefaultAccountID, StackName),
			"AWS::Partition": "aws",
			"AWS::URLSuffix": "amazonaws.com",
		},
		unresolved: map[string]bool{},
	}
}

// ref resolves Ref: a pseudo parameter, a parameter (its override or
// Default, which goformation has already merged), or a resource, which
// resolves to its logical id as in sam local. Anything else is null.
// getAtt resolves Fn::GetAtt of a function's Arn (what destinations and
// permissions name): its ARN, with its FunctionName when that is a string.
// Other attributes resolve to nothing, with a warning.
func (r *intrinsicResolver) getAtt(_ string, input, template any) any {
	var res, attr string
	switch v := input.(type) {
	case string:
		res, attr, _ = strings.Cut(v, ".")
	case []any:
		if len(v) == 2 {
			res, _ = v[0].(string)
			attr, _ = v[1].(string)
		}
	}
	if tm, ok := template.(map[string]any); ok && attr == "Arn" {
		resources, _ := tm["Resources"].(map[string]any)
		if rm, ok := resources[res].(map[string]any); ok && rm["Type"] == serverlessFunctionType {
			name := res
			if props, ok := rm["Properties"].(map[string]any); ok {
				if n, ok := props["FunctionName"].(string); ok && n != "" {
					name = n
				}
			}
			return "arn:aws:lambda:" + r.pseudo["AWS::Region"] + ":" + r.pseudo["AWS::AccountId"] + ":function:" + name
		}
	}
	r.unresolved[res+"."+attr] = true
	return nil
}

func (r *intrinsicResolver) ref(_ string, input, template any) any {
	name, ok := input.(string)
	if !ok {
		return nil
	}
	if v, ok := r.pseudo[name]; ok {
		return v
	}
	if name == "AWS::NoValue" {
		return noValue // removed with the property or item after processing
	}
	if v := intrinsics.Ref("Ref", name, template); v != nil {
		return v
	}
	if tm, ok := template.(map[string]any); ok {
		if resources, ok := tm["Resources"].(map[string]any); ok {
			if _, ok := resources[name]; ok {
				return name
			}
		}
	}
	if name == ImplicitRestAPI || name == ImplicitHTTPAPI {
		return name // the APIs SAM makes for a template's events, as sam local names them
	}
	r.unresolved[name] = true
	return nil
}

// sub resolves Fn::Sub in both forms: "text ${Name}" and
// ["text ${Name}", {Name: value}]. ${!Literal} gives "${Literal}"; a
// variable the map does not name is a Ref; ${Resource.Attribute} (GetAtt)
// has no local value and is empty.
func (r *intrinsicResolver) sub(_ string, input, template any) any {
	var src string
	vars := map[string]any{}
	switch v := input.(type) {
	case string:
		src = v
	case []any:
		if len(v) != 2 {
			return nil
		}
		s, ok := v[0].(string)
		m, ok2 := v[1].(map[string]any)
		if !ok || !ok2 {
			return nil
		}
		src, vars = s, m
	default:
		return nil
	}
	var b strings.Builder
	for {
		i := strings.Index(src, "${")
		if i < 0 {
			b.WriteString(src)
			break
		}
		j := strings.IndexByte(src[i:], '}')
		if j < 0 {
			b.WriteString(src)
			break
		}
		b.WriteString(src[:i])
		name := src[i+2 : i+j]
		src = src[i+j+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + lit + "}")
			continue
		}
		val, ok := vars[name]
		switch {
		case ok:
		case strings.Contains(name, "."):
			r.unresolved[name] = true
		default:
			val = r.ref("Ref", name, template)
		}
		s, err := scalarString(val)
		if err != nil {
			if list, ok := val.([]any); ok { // a CommaDelimitedList
				parts := make([]string, 0, len(list))
				for _, e := range list {
					es, _ := scalarString(e)
					parts = append(parts, es)
				}
				s = strings.Join(parts, ",")
			}
		}
		b.WriteString(s)
	}
	return b.String()
}
