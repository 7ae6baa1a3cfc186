package emulator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/manageapi"
)

// manager is the control plane's backend (manageapi.Backend): functions
// uploaded as zips, stored through the registry's Store and compiled
// ahead of time, in the background, after the change is stored.
type manager struct {
	e    *Emulator
	code *codeStore

	mu   sync.Mutex        // one change at a time
	gen  map[string]uint64 // function -> its latest change, so an older compile never wins
	work sync.WaitGroup    // compilations running
}

var _ manageapi.Backend = (*manager)(nil)

// Lambda's defaults and bounds.
const (
	defaultRuntime = "provided.al2023"
	minMemoryMB    = 128
	maxMemoryMB    = 10240
	maxTimeoutSec  = 900
)

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// Management returns the control plane's backend.
func (e *Emulator) Management() manageapi.Backend { return e.mgr }

// restoreManaged serves again the functions uploaded in earlier runs:
// their $LATEST code is compiled (from the compile cache) in parallel, as
// the template's are.
func (m *manager) restore(ctx context.Context) error {
	fns, err := m.e.reg.Store().Functions(ctx)
	if err != nil {
		return fmt.Errorf("read uploaded functions: %w", err)
	}
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, fn := range fns {
		if !fn.Managed {
			continue
		}
		latest, err := m.e.reg.Store().Version(ctx, fn.Name, functions.LatestVersion)
		if err != nil {
			return fmt.Errorf("read function %s: %w", fn.Name, err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, err := m.e.loadManaged(ctx, latest)
			if err != nil {
				m.e.reg.Adopt(fn, failedRunner{name: fn.Name, phase: "load", cause: err})
				m.e.reg.SetStatus(fn.Name, failedStatus(err))
				return
			}
			m.e.reg.Adopt(fn, r)
		}()
	}
	wg.Wait()
	return nil
}

func failedStatus(err error) functions.Status {
	return functions.Status{
		State: functions.StateFailed, StateReason: err.Error(), StateReasonCode: "FunctionError",
		LastUpdate: functions.UpdateFailed, LastUpdateReason: err.Error(), LastUpdateReasonCode: "FunctionError",
	}
}

// specOf is the template-shaped description of an uploaded version.
func specOf(v functions.Version) *sam.FunctionSpec {
	mode := sam.ModeWasm
	if !strings.HasSuffix(v.Code.Artifact, ".wasm") {
		mode = sam.ModeBootstrap
	}
	return &sam.FunctionSpec{
		LogicalID: v.Function, Name: v.Function,
		Description: v.Config.Description, Runtime: v.Config.Runtime, Handler: v.Config.Handler,
		Architecture: v.Config.Architecture, MemoryMB: v.Config.MemoryMB, Timeout: v.Config.Timeout,
		Env: v.Config.Env, CodeURI: filepath.Dir(v.Code.Artifact), Mode: mode,
	}
}

// loadManaged compiles an uploaded version's code.
func (e *Emulator) loadManaged(ctx context.Context, v functions.Version) (functions.Runner, error) {
	_, r, err := e.loadCode(ctx, specOf(v), v.Code.Artifact)
	return r, err
}

// compile loads v's code in the background and swaps it in as $LATEST's,
// unless a newer change of the function came meanwhile.
func (m *manager) compile(v functions.Version, gen uint64, creating bool) {
	m.work.Add(1)
	go func() {
		defer m.work.Done()
		start := time.Now()
		r, err := m.e.loadManaged(context.Background(), v)
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.gen[v.Function] != gen {
			if r != nil {
				r.Close(context.Background())
			}
			return
		}
		if err != nil {
			m.e.logger.Error("uploaded function failed to load", "function", v.Function, "error", err)
			if creating {
				m.e.reg.SetRunner(v.Function, failedRunner{name: v.Function, phase: "load", cause: err})
				m.e.reg.SetStatus(v.Function, failedStatus(err))
			} else { // the previous code keeps serving, as on Lambda
				m.e.reg.SetStatus(v.Function, functions.Status{State: functions.StateActive,
					LastUpdate: functions.UpdateFailed, LastUpdateReason: err.Error(), LastUpdateReasonCode: "FunctionError"})
			}
			return
		}
		m.e.reg.SetRunner(v.Function, r)
		m.e.reg.SetStatus(v.Function, functions.Status{State: functions.StateActive, LastUpdate: functions.UpdateSuccess})
		m.e.logger.Info("uploaded function active", "function", v.Function, "took", time.Since(start).Round(time.Millisecond).String())
	}()
}

// wait waits for the compilations running (Close).
func (m *manager) wait() { m.work.Wait() }

// function resolves a name (or ARN) to a function, refusing a qualifier.
func (m *manager) function(ctx context.Context, name string) (functions.Function, error) {
	n, _ := manageapi.ParseName(name)
	fn, err := m.e.reg.Store().Function(ctx, n)
	if errors.Is(err, functions.ErrNotFound) {
		return fn, invoke.NotFound("Function not found: %s", m.e.reg.ARN(n))
	}
	return fn, err
}

// writable resolves a function the API may change: an uploaded one.
func (m *manager) writable(ctx context.Context, name string) (functions.Function, error) {
	fn, err := m.function(ctx, name)
	if err == nil && !fn.Managed {
		err = functions.Conflict("Function %s is defined by the template %s, which fresco serves read-only through this API: change the template instead.", fn.Name, m.e.opts.Template)
	}
	return fn, err
}

func (m *manager) configOf(fn functions.Function, v functions.Version) manageapi.FunctionConfiguration {
	arn := m.e.reg.ARN(fn.Name)
	if v.Version != functions.LatestVersion {
		arn += ":" + v.Version
	}
	st := functions.Status{State: functions.StateActive, LastUpdate: functions.UpdateSuccess}
	if v.Version == functions.LatestVersion {
		st = m.e.reg.Status(fn.Name)
	}
	arch := v.Config.Architecture
	if arch == "" {
		arch = "x86_64"
	}
	desc := v.Config.Description
	if v.Version != functions.LatestVersion && v.Description != "" {
		desc = v.Description
	}
	out := manageapi.FunctionConfiguration{
		FunctionName: fn.Name, FunctionArn: arn, Runtime: v.Config.Runtime,
		Role:    "arn:aws:iam::" + invoke.DefaultAccountID + ":role/fresco",
		Handler: v.Config.Handler, CodeSize: v.Code.Size, Description: desc,
		Timeout: int(v.Config.Timeout / time.Second), MemorySize: v.Config.MemoryMB,
		LastModified: manageapi.FormatTime(v.LastModified), CodeSha256: v.Code.Sha256,
		Version: v.Version, RevisionID: v.RevisionID,
		State: st.State, StateReason: st.StateReason, StateReasonCode: st.StateReasonCode,
		LastUpdateStatus: st.LastUpdate, LastUpdateStatusReason: st.LastUpdateReason,
		LastUpdateStatusReasonCode: st.LastUpdateReasonCode,
		PackageType:                "Zip", Architectures: []string{arch},
	}
	if out.RevisionID == "" {
		out.RevisionID = v.Code.Sha256 // a template's version: stable per code
	}
	if len(v.Config.Env) > 0 {
		out.Environment = &manageapi.EnvironmentResponse{Variables: v.Config.Env}
	}
	return out
}

// version resolves name (and qualifier: a version or an alias).
func (m *manager) version(ctx context.Context, name, qualifier string) (functions.Function, functions.Version, error) {
	n, q := manageapi.ParseName(name)
	if qualifier == "" {
		qualifier = q
	}
	fn, err := m.function(ctx, n)
	if err != nil {
		return fn, functions.Version{}, err
	}
	version := qualifier
	if qualifier == "" {
		version = functions.LatestVersion
	} else if qualifier != functions.LatestVersion && !isNumber(qualifier) {
		a, err := m.e.reg.Store().Alias(ctx, fn.Name, qualifier)
		if err != nil {
			return fn, functions.Version{}, invoke.NotFound("Function not found: %s:%s", m.e.reg.ARN(fn.Name), qualifier)
		}
		version = a.FunctionVersion
	}
	v, err := m.e.reg.Store().Version(ctx, fn.Name, version)
	if err != nil {
		return fn, v, invoke.NotFound("Function not found: %s:%s", m.e.reg.ARN(fn.Name), qualifier)
	}
	return fn, v, nil
}

func isNumber(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func applyConfig(c *functions.Config, handler, desc, runtime *string, timeout, memory *int, env *manageapi.Environment) error {
	if memory != nil {
		if *memory < minMemoryMB || *memory > maxMemoryMB {
			return invoke.InvalidParameter("1 validation error detected: Value '%d' at 'memorySize' failed to satisfy constraint: Member must have value between %d and %d", *memory, minMemoryMB, maxMemoryMB)
		}
		c.MemoryMB = *memory
	}
	if timeout != nil {
		if *timeout < 1 || *timeout > maxTimeoutSec {
			return invoke.InvalidParameter("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value between 1 and %d", *timeout, maxTimeoutSec)
		}
		c.Timeout = time.Duration(*timeout) * time.Second
	}
	if handler != nil {
		c.Handler = *handler
	}
	if desc != nil {
		c.Description = *desc
	}
	if runtime != nil && *runtime != "" {
		c.Runtime = *runtime
	}
	if env != nil {
		c.Env = maps.Clone(env.Variables)
	}
	return nil
}

func (m *manager) CreateFunction(ctx context.Context, in manageapi.CreateFunctionInput) (manageapi.FunctionConfiguration, error) {
	if !namePattern.MatchString(in.FunctionName) {
		return manageapi.FunctionConfiguration{}, invoke.InvalidParameter("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ (1 to 64 characters)", in.FunctionName)
	}
	if in.PackageType == "Image" || in.Code.ImageURI != "" || in.Code.S3Bucket != "" {
		return manageapi.FunctionConfiguration{}, invoke.InvalidParameter("fresco takes code as Code.ZipFile only (S3 locations and container images are not emulated).")
	}
	cfg := functions.Config{Runtime: defaultRuntime, Handler: in.Handler, MemoryMB: minMemoryMB, Timeout: 3 * time.Second}
	if len(in.Architectures) > 0 {
		cfg.Architecture = in.Architectures[0]
	}
	var env *manageapi.Environment = in.Environment
	if err := applyConfig(&cfg, nil, &in.Description, &in.Runtime, in.Timeout, in.MemorySize, env); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	code, err := m.code.put(in.Code.ZipFile, in.Handler)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fn := functions.Function{Name: in.FunctionName, Managed: true, Tags: in.Tags, Async: functions.DefaultAsyncConfig()}
	latest := functions.Version{Config: cfg, Code: code, LastModified: time.Now().UTC(), RevisionID: newRevisionID()}
	pending := failedRunner{name: fn.Name, phase: "compile", cause: errors.New("its code is being compiled")}
	if _, err := m.e.reg.Store().Function(ctx, fn.Name); err == nil {
		return manageapi.FunctionConfiguration{}, functions.Conflict("Function already exist: %s", fn.Name)
	}
	// Pending before it can be found, so no invocation runs the placeholder.
	m.e.reg.SetStatus(fn.Name, functions.Status{State: functions.StatePending, StateReason: "The function is being created.",
		StateReasonCode: "Creating", LastUpdate: functions.UpdateInProgress})
	if err := m.e.reg.Create(ctx, fn, latest, pending); err != nil {
		m.e.reg.ClearStatus(fn.Name)
		if errors.Is(err, functions.ErrExists) {
			return manageapi.FunctionConfiguration{}, functions.Conflict("Function already exist: %s", fn.Name)
		}
		return manageapi.FunctionConfiguration{}, err
	}
	m.gen[fn.Name]++
	latest.Function, latest.Version = fn.Name, functions.LatestVersion
	m.compile(latest, m.gen[fn.Name], true)
	out := m.configOf(fn, latest)
	if in.Publish {
		// Lambda publishes once the function is Active; the answer is
		// $LATEST's, as the caller can read version 1 when it is ready.
		m.work.Add(1)
		go func() {
			defer m.work.Done()
			m.publishWhenActive(fn.Name)
		}()
	}
	return out, nil
}

// publishWhenActive publishes $LATEST once its code is compiled
// (CreateFunction and UpdateFunctionCode with Publish).
func (m *manager) publishWhenActive(name string) {
	for range 6000 {
		st := m.e.reg.Status(name)
		if st.LastUpdate != functions.UpdateInProgress {
			if st.State == functions.StateActive && st.LastUpdate == functions.UpdateSuccess {
				m.mu.Lock()
				m.e.reg.Publish(context.Background(), name, "")
				m.mu.Unlock()
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (m *manager) GetFunction(ctx context.Context, name, qualifier string) (manageapi.GetFunctionOutput, error) {
	fn, v, err := m.version(ctx, name, qualifier)
	if err != nil {
		return manageapi.GetFunctionOutput{}, err
	}
	out := manageapi.GetFunctionOutput{
		Configuration: m.configOf(fn, v),
		Code:          manageapi.FunctionCodeLocation{RepositoryType: "S3", Location: "file://" + filepath.Join(m.code.dir, filepath.Base(filepath.Dir(v.Code.Artifact))+".zip")},
		Tags:          fn.Tags,
	}
	if !fn.Managed {
		out.Code.Location = "file://" + v.Code.Artifact
	}
	if fn.ReservedConcurrency > 0 {
		n := fn.ReservedConcurrency
		out.Concurrency = &manageapi.Concurrency{ReservedConcurrentExecutions: &n}
	}
	return out, nil
}

func (m *manager) GetFunctionConfiguration(ctx context.Context, name, qualifier string) (manageapi.FunctionConfiguration, error) {
	fn, v, err := m.version(ctx, name, qualifier)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	return m.configOf(fn, v), nil
}

func (m *manager) ListFunctions(ctx context.Context) ([]manageapi.FunctionConfiguration, error) {
	fns, err := m.e.reg.Store().Functions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]manageapi.FunctionConfiguration, 0, len(fns))
	for _, fn := range fns {
		v, err := m.e.reg.Store().Version(ctx, fn.Name, functions.LatestVersion)
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, m.configOf(fn, v))
	}
	return out, nil
}

// checkRevision is Lambda's RevisionId check.
func checkRevision(want, have string) error {
	if want != "" && want != have {
		return &invoke.ServiceError{Status: 412, Type: manageapi.ErrPreconditionFailed,
			Message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
	}
	return nil
}

// idle refuses a change while the last one is being applied, as Lambda
// does.
func (m *manager) idle(fn functions.Function) error {
	if st := m.e.reg.Status(fn.Name); st.LastUpdate == functions.UpdateInProgress {
		return functions.Conflict("The operation cannot be performed at this time. An update is in progress for resource: %s", m.e.reg.ARN(fn.Name))
	}
	return nil
}

// change stores a new $LATEST and compiles it in the background; m.mu is
// held.
func (m *manager) change(ctx context.Context, fn functions.Function, latest functions.Version) (manageapi.FunctionConfiguration, error) {
	latest.LastModified = time.Now().UTC()
	latest.RevisionID = newRevisionID()
	if err := m.e.reg.PutLatest(ctx, latest); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	st := m.e.reg.Status(fn.Name)
	m.e.reg.SetStatus(fn.Name, functions.Status{State: st.State, StateReason: st.StateReason, StateReasonCode: st.StateReasonCode, LastUpdate: functions.UpdateInProgress})
	m.gen[fn.Name]++
	m.compile(latest, m.gen[fn.Name], st.State != functions.StateActive)
	return m.configOf(fn, latest), nil
}

func (m *manager) UpdateFunctionCode(ctx context.Context, name string, in manageapi.UpdateFunctionCodeInput) (manageapi.FunctionConfiguration, error) {
	fn, err := m.writable(ctx, name)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if in.ImageURI != "" || in.S3Bucket != "" {
		return manageapi.FunctionConfiguration{}, invoke.InvalidParameter("fresco takes code as ZipFile only (S3 locations and container images are not emulated).")
	}
	latest, err := m.e.reg.Store().Version(ctx, fn.Name, functions.LatestVersion)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	code, err := m.code.put(in.ZipFile, latest.Config.Handler)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if in.DryRun {
		latest.Code = code
		return m.configOf(fn, latest), nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if latest, err = m.e.reg.Store().Version(ctx, fn.Name, functions.LatestVersion); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if err := checkRevision(in.RevisionID, latest.RevisionID); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if err := m.idle(fn); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	latest.Code = code
	out, err := m.change(ctx, fn, latest)
	if err == nil && in.Publish {
		m.work.Add(1)
		go func() {
			defer m.work.Done()
			m.publishWhenActive(fn.Name)
		}()
	}
	return out, err
}

func (m *manager) UpdateFunctionConfiguration(ctx context.Context, name string, in manageapi.UpdateFunctionConfigurationInput) (manageapi.FunctionConfiguration, error) {
	fn, err := m.writable(ctx, name)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	latest, err := m.e.reg.Store().Version(ctx, fn.Name, functions.LatestVersion)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if err := checkRevision(in.RevisionID, latest.RevisionID); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if err := m.idle(fn); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if err := applyConfig(&latest.Config, in.Handler, in.Description, in.Runtime, in.Timeout, in.MemorySize, in.Environment); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if in.Handler != nil {
		// The Handler may name another module of the zip.
		root := filepath.Join(m.code.dir, filepath.Base(filepath.Dir(latest.Code.Artifact)))
		if a, err := pickArtifact(root, *in.Handler); err == nil {
			latest.Code.Artifact = a
		}
	}
	return m.change(ctx, fn, latest)
}

func (m *manager) DeleteFunction(ctx context.Context, name, qualifier string) error {
	fn, err := m.writable(ctx, name)
	if err != nil {
		return err
	}
	if _, q := manageapi.ParseName(name); qualifier == "" {
		qualifier = q
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case qualifier == "":
		m.gen[fn.Name]++ // a compile still running is dropped
		return m.e.reg.Delete(ctx, fn.Name)
	case qualifier == functions.LatestVersion:
		return invoke.InvalidParameter("$LATEST version cannot be deleted without deleting the function.")
	case !isNumber(qualifier):
		return invoke.InvalidParameter("Deletion of aliases is not supported by DeleteFunction: use DeleteAlias.")
	}
	return m.e.reg.DeleteVersion(ctx, fn.Name, qualifier)
}

func (m *manager) PublishVersion(ctx context.Context, name string, in manageapi.PublishVersionInput) (manageapi.FunctionConfiguration, error) {
	fn, err := m.writable(ctx, name)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	latest, err := m.e.reg.Store().Version(ctx, fn.Name, functions.LatestVersion)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if in.CodeSha256 != "" && in.CodeSha256 != latest.Code.Sha256 {
		return manageapi.FunctionConfiguration{}, &invoke.ServiceError{Status: 412, Type: manageapi.ErrPreconditionFailed,
			Message: fmt.Sprintf("CodeSHA256 (%s) of the latest code does not match the one provided (%s).", latest.Code.Sha256, in.CodeSha256)}
	}
	if err := checkRevision(in.RevisionID, latest.RevisionID); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if err := m.idle(fn); err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	if st := m.e.reg.Status(fn.Name); st.State != functions.StateActive {
		return manageapi.FunctionConfiguration{}, functions.Conflict("The operation cannot be performed at this time. The function is currently in the following state: %s", st.State)
	}
	v, err := m.e.reg.Publish(ctx, fn.Name, in.Description)
	if err != nil {
		return manageapi.FunctionConfiguration{}, err
	}
	return m.configOf(fn, v), nil
}

func (m *manager) ListVersions(ctx context.Context, name string) ([]manageapi.FunctionConfiguration, error) {
	fn, err := m.function(ctx, name)
	if err != nil {
		return nil, err
	}
	vs, err := m.e.reg.Store().Versions(ctx, fn.Name)
	if err != nil {
		return nil, err
	}
	out := make([]manageapi.FunctionConfiguration, len(vs))
	for i, v := range vs {
		out[i] = m.configOf(fn, v)
		if v.Version == functions.LatestVersion {
			out[i].FunctionArn += ":" + functions.LatestVersion
		}
	}
	return out, nil
}

func (m *manager) aliasOf(a functions.Alias) manageapi.AliasConfiguration {
	out := manageapi.AliasConfiguration{
		AliasArn: m.e.reg.ARN(a.Function) + ":" + a.Name, Name: a.Name,
		FunctionVersion: a.FunctionVersion, Description: a.Description, RevisionID: a.RevisionID,
	}
	if len(a.RoutingWeights) > 0 {
		out.RoutingConfig = &manageapi.RoutingConfig{AdditionalVersionWeights: a.RoutingWeights}
	}
	return out
}

// setAlias validates and stores a; m.mu is held.
func (m *manager) setAlias(ctx context.Context, a functions.Alias, rc *manageapi.RoutingConfig) (manageapi.AliasConfiguration, error) {
	if rc != nil {
		a.RoutingWeights = nil
		sum := 0.0
		for v, w := range rc.AdditionalVersionWeights {
			if w < 0 || w > 1 {
				return manageapi.AliasConfiguration{}, invoke.InvalidParameter("1 validation error detected: Value '%v' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]", w)
			}
			if !isNumber(v) {
				return manageapi.AliasConfiguration{}, invoke.InvalidParameter("Invalid function version %s. Function version %s is not a published version.", v, v)
			}
			if v == a.FunctionVersion {
				return manageapi.AliasConfiguration{}, invoke.InvalidParameter("Invalid function version %s. The additional version must differ from the alias's FunctionVersion.", v)
			}
			sum += w
		}
		if sum > 1 {
			return manageapi.AliasConfiguration{}, invoke.InvalidParameter("The sum of the weights in AdditionalVersionWeights must not exceed 1.")
		}
		if len(rc.AdditionalVersionWeights) > 0 {
			a.RoutingWeights = maps.Clone(rc.AdditionalVersionWeights)
		}
	}
	a.RevisionID = newRevisionID()
	if err := m.e.reg.PutAlias(ctx, a); err != nil {
		return manageapi.AliasConfiguration{}, err
	}
	return m.aliasOf(a), nil
}

var aliasPattern = regexp.MustCompile(`^(?:[a-zA-Z0-9_-]*[a-zA-Z_-][a-zA-Z0-9_-]*){1,128}$`)

func (m *manager) CreateAlias(ctx context.Context, name string, in manageapi.AliasInput) (manageapi.AliasConfiguration, error) {
	fn, err := m.writable(ctx, name)
	if err != nil {
		return manageapi.AliasConfiguration{}, err
	}
	if !aliasPattern.MatchString(in.Name) || len(in.Name) > 128 {
		return manageapi.AliasConfiguration{}, invoke.InvalidParameter("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)", in.Name)
	}
	if in.FunctionVersion == nil {
		return manageapi.AliasConfiguration{}, invoke.InvalidParameter("1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.e.reg.Store().Alias(ctx, fn.Name, in.Name); err == nil {
		return manageapi.AliasConfiguration{}, functions.Conflict("Alias already exists: %s:%s", m.e.reg.ARN(fn.Name), in.Name)
	}
	a := functions.Alias{Function: fn.Name, Name: in.Name, FunctionVersion: *in.FunctionVersion}
	if in.Description != nil {
		a.Description = *in.Description
	}
	return m.setAlias(ctx, a, in.RoutingConfig)
}

func (m *manager) GetAlias(ctx context.Context, name, alias string) (manageapi.AliasConfiguration, error) {
	fn, err := m.function(ctx, name)
	if err != nil {
		return manageapi.AliasConfiguration{}, err
	}
	a, err := m.e.reg.Store().Alias(ctx, fn.Name, alias)
	if err != nil {
		return manageapi.AliasConfiguration{}, invoke.NotFound("Alias not found: %s:%s", m.e.reg.ARN(fn.Name), alias)
	}
	return m.aliasOf(a), nil
}

func (m *manager) UpdateAlias(ctx context.Context, name, alias string, in manageapi.AliasInput) (manageapi.AliasConfiguration, error) {
	fn, err := m.writable(ctx, name)
	if err != nil {
		return manageapi.AliasConfiguration{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := m.e.reg.Store().Alias(ctx, fn.Name, alias)
	if err != nil {
		return manageapi.AliasConfiguration{}, invoke.NotFound("Alias not found: %s:%s", m.e.reg.ARN(fn.Name), alias)
	}
	if err := checkRevision(in.RevisionID, a.RevisionID); err != nil {
		return manageapi.AliasConfiguration{}, err
	}
	if in.FunctionVersion != nil {
		a.FunctionVersion = *in.FunctionVersion
	}
	if in.Description != nil {
		a.Description = *in.Description
	}
	return m.setAlias(ctx, a, in.RoutingConfig)
}

func (m *manager) DeleteAlias(ctx context.Context, name, alias string) error {
	fn, err := m.writable(ctx, name)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	err = m.e.reg.DeleteAlias(ctx, fn.Name, alias)
	var se *invoke.ServiceError
	if errors.As(err, &se) && se.Status == 404 {
		return nil // Lambda answers 204 for an alias that is not there
	}
	return err
}

func (m *manager) ListAliases(ctx context.Context, name, version string) ([]manageapi.AliasConfiguration, error) {
	fn, err := m.function(ctx, name)
	if err != nil {
		return nil, err
	}
	as, err := m.e.reg.Store().Aliases(ctx, fn.Name)
	if err != nil {
		return nil, err
	}
	out := []manageapi.AliasConfiguration{}
	for _, a := range as {
		if _, routed := a.RoutingWeights[version]; version == "" || a.FunctionVersion == version || routed {
			out = append(out, m.aliasOf(a))
		}
	}
	return out, nil
}

func (m *manager) PutConcurrency(ctx context.Context, name string, n *int) error {
	fn, err := m.writable(ctx, name)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if fn, err = m.e.reg.Store().Function(ctx, fn.Name); err != nil {
		return err
	}
	fn.ReservedConcurrency = 0
	if n != nil {
		if *n == 0 {
			fn.ReservedConcurrency = functions.Throttled
		} else {
			fn.ReservedConcurrency = *n
		}
		if *n > m.e.opts.MaxConcurrency {
			return invoke.InvalidParameter("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [0].")
		}
	}
	return m.e.reg.PutFunction(ctx, fn)
}

func (m *manager) GetConcurrency(ctx context.Context, name string) (*int, error) {
	fn, err := m.function(ctx, name)
	if err != nil || fn.ReservedConcurrency == 0 {
		return nil, err
	}
	n := max(fn.ReservedConcurrency, 0) // Throttled is 0 on the wire
	return &n, nil
}

func (m *manager) AccountSettings(ctx context.Context) (manageapi.AccountSettings, error) {
	fns, err := m.e.reg.Store().Functions(ctx)
	if err != nil {
		return manageapi.AccountSettings{}, err
	}
	var out manageapi.AccountSettings
	reserved := 0
	for _, fn := range fns {
		out.AccountUsage.FunctionCount++
		reserved += max(fn.ReservedConcurrency, 0)
		vs, _ := m.e.reg.Store().Versions(ctx, fn.Name)
		for _, v := range vs {
			out.AccountUsage.TotalCodeSize += v.Code.Size
		}
	}
	out.AccountLimit = manageapi.AccountLimit{
		TotalCodeSize: 80530636800, CodeSizeUnzipped: manageapi.MaxUnzipped, CodeSizeZipped: manageapi.MaxZipped,
		ConcurrentExecutions:           m.e.opts.MaxConcurrency,
		UnreservedConcurrentExecutions: max(m.e.opts.MaxConcurrency-reserved, 0),
	}
	return out, nil
}

// tagged resolves the ARN of a function for the tag operations.
func (m *manager) tagged(ctx context.Context, arn string) (functions.Function, error) {
	n, q := manageapi.ParseName(arn)
	if q != "" {
		return functions.Function{}, invoke.InvalidParameter("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	return m.function(ctx, n)
}

func (m *manager) ListTags(ctx context.Context, arn string) (map[string]string, error) {
	fn, err := m.tagged(ctx, arn)
	return fn.Tags, err
}

func (m *manager) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	return m.retag(ctx, arn, func(t map[string]string) { maps.Copy(t, tags) })
}

func (m *manager) UntagResource(ctx context.Context, arn string, keys []string) error {
	return m.retag(ctx, arn, func(t map[string]string) {
		for _, k := range keys {
			delete(t, k)
		}
	})
}

func (m *manager) retag(ctx context.Context, arn string, change func(map[string]string)) error {
	fn, err := m.tagged(ctx, arn)
	if err != nil {
		return err
	}
	return m.modify(ctx, fn.Name, func(fn *functions.Function) error {
		fn.Tags = maps.Clone(fn.Tags)
		if fn.Tags == nil {
			fn.Tags = map[string]string{}
		}
		change(fn.Tags)
		return nil
	})
}

// modify changes the record of the uploaded function name: change gets
// the stored record, under m.mu, and what it leaves is stored unless it
// fails.
func (m *manager) modify(ctx context.Context, name string, change func(fn *functions.Function) error) error {
	if _, err := m.writable(ctx, name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fn, err := m.e.reg.Store().Function(ctx, name)
	if err != nil {
		return err
	}
	if err := change(&fn); err != nil {
		return err
	}
	return m.e.reg.PutFunction(ctx, fn)
}

// count is how many uploaded functions there are.
func (m *manager) count(ctx context.Context) int {
	fns, _ := m.e.reg.Store().Functions(ctx)
	n := 0
	for _, fn := range fns {
		if fn.Managed {
			n++
		}
	}
	return n
}
