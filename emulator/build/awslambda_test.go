package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/adapters/guest"
	"github.com/frescolabs/fresco/adapters/hosthttp"
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
)

var (
	awsLambdaHostOnce sync.Once
	awsLambdaHost     *wasmhost.Host
	awsLambdaHostErr  error
)

// awsLambdaLoad loads a built artifact into a wasmhost shared by these
// tests. It compiles in memory: the artifacts record the directory of their
// patched aws-lambda-go copy (see RATIONALE.md), which is in a test's
// temporary CacheDir, so an on-disk compilation cache would never hit.
func awsLambdaLoad(t *testing.T, name, path string) *wasmhost.Module {
	t.Helper()
	awsLambdaHostOnce.Do(func() {
		awsLambdaHost, awsLambdaHostErr = wasmhost.New(wasmhost.Config{})
	})
	if awsLambdaHostErr != nil {
		t.Fatal(awsLambdaHostErr)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := awsLambdaHost.Load(context.Background(), wasmhost.FunctionConfig{Name: name, Timeout: 30 * time.Second}, wasm)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

func awsLambdaRequest(n int, payload string) *invoke.Request {
	return &invoke.Request{
		RequestID:          fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		Payload:            []byte(payload),
		InvokedFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:Unchanged",
		TraceID:            "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
	}
}

var awsLambdaPatchLine = regexp.MustCompile(`(?m)^Patching aws-lambda-go (\S+) for unchanged handlers \((.+)\) \.\.\.$`)

// awsLambdaCopies lists CacheDir/awslambda.
func awsLambdaCopies(t *testing.T, cache string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(cache, "awslambda"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestBuildUnchangedAwsLambdaHandler(t *testing.T) {
	t.Parallel()
	// A module of its own (example.com/unchanged) that does not require
	// fresco, copied out of fresco's tree.
	dir := buildTestPackage(t, "unchanged")
	cache := t.TempDir()
	b := &Builder{CacheDir: cache}
	fn := buildTestFn("Unchanged", dir)

	artifacts, progress := runBuilder(t, b, fn)
	m := awsLambdaPatchLine.FindStringSubmatch(progress)
	if m == nil || m[1] != "v1.55.1" || !buildBuiltLine.MatchString(progress) {
		t.Fatalf("first build's progress:\n%s", progress)
	}
	buildAssertWasm(t, artifacts["Unchanged"])
	copies := awsLambdaCopies(t, cache)
	if len(copies) != 1 || !regexp.MustCompile(`^v1\.55\.1-[0-9a-f]{12}$`).MatchString(copies[0]) {
		t.Fatalf("CacheDir/awslambda holds %v, want one v1.55.1-<hash>", copies)
	}
	patched := filepath.Join(cache, "awslambda", copies[0])
	if _, err := os.Stat(filepath.Join(patched, "lambda", "invoke_loop.go")); err != nil {
		t.Errorf("the copy lacks aws-lambda-go's own files: %v", err)
	}
	if src, _ := os.ReadFile(filepath.Join(patched, "lambda", "handler.go")); !bytes.Contains(src, []byte(newHandlerHook)) {
		t.Errorf("newHandler does not tell the glue what it wraps")
	}
	// The user's module is untouched.
	if gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod")); bytes.Contains(gomod, []byte("replace")) {
		t.Errorf("go.mod was edited:\n%s", gomod)
	}

	f := awsLambdaLoad(t, "Unchanged", artifacts["Unchanged"])
	t.Run("success", func(t *testing.T) {
		req := awsLambdaRequest(1, `{"name":"Ada"}`)
		req.ClientContext = []byte(`{"custom":{"tenant":"acme"}}`)
		req.CognitoIdentity = []byte(`{"cognitoIdentityId":"id-1"}`)
		res := f.Invoke(context.Background(), req)
		want := `{"greeting":"Hello, Ada!","request_id":"00000000-0000-4000-8000-000000000001",` +
			`"arn":"arn:aws:lambda:us-east-1:123456789012:function:Unchanged",` +
			`"trace":"Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",` +
			`"deadline":true,"tenant":"acme","cognito":"id-1","calls":1}`
		if res.Kind != invoke.Success || string(res.Payload) != want {
			t.Fatalf("%v %s, want %s\nlog:\n%s", res.Kind, res.Payload, want, res.Log)
		}
	})
	t.Run("io.Reader response", func(t *testing.T) {
		res := f.Invoke(context.Background(), awsLambdaRequest(2, `{"raw":"<not json>"}`))
		if res.Kind != invoke.Success || string(res.Payload) != "<not json>" {
			t.Fatalf("%v %q\nlog:\n%s", res.Kind, res.Payload, res.Log)
		}
	})
	t.Run("typed error", func(t *testing.T) {
		res := f.Invoke(context.Background(), awsLambdaRequest(3, `{"fail":"email"}`))
		want := `{"errorMessage":"invalid field \"email\"","errorType":"ValidationError"}`
		if res.Kind != invoke.FunctionError || res.ErrorType != "ValidationError" || string(res.Payload) != want {
			t.Fatalf("%v %s %s, want %s", res.Kind, res.ErrorType, res.Payload, want)
		}
		// aws-lambda-go logs the error document it reports.
		if !strings.Contains(string(res.Log), want) {
			t.Errorf("log %q lacks the error document", res.Log)
		}
	})
	t.Run("panic", func(t *testing.T) {
		res := f.Invoke(context.Background(), awsLambdaRequest(4, `{"panic":true}`))
		var d struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
			StackTrace   []struct {
				Path  string `json:"path"`
				Line  int    `json:"line"`
				Label string `json:"label"`
			} `json:"stackTrace"`
		}
		if err := json.Unmarshal(res.Payload, &d); err != nil || res.Kind != invoke.FunctionError {
			t.Fatalf("%v %s: %v", res.Kind, res.Payload, err)
		}
		if d.ErrorType != "string" || res.ErrorType != "string" || d.ErrorMessage != "something went wrong" {
			t.Fatalf("got %s", res.Payload)
		}
		var inHandler bool
		for _, fr := range d.StackTrace {
			inHandler = inHandler || (strings.HasSuffix(fr.Path, "main.go") && fr.Label == "handle" && fr.Line > 0)
		}
		if !inHandler {
			t.Errorf("stack trace does not name the handler in main.go: %s", res.Payload)
		}
	})
	t.Run("deadline and trace id per invocation", func(t *testing.T) {
		if on, why := f.Snapshot(); !on {
			t.Fatalf("no snapshot (%s): the trace id would always be os.Setenv", why)
		}
		// Each invocation its own deadline and trace id; the last has no
		// trace id, and must not see the one before.
		for i := range 21 {
			req := awsLambdaRequest(100+i, `{"probe":true}`)
			req.Deadline = time.Now().Add(time.Duration(20+i) * time.Second).Truncate(time.Millisecond)
			req.TraceID = fmt.Sprintf("Root=1-5759e988-bd862e3fe1be46a9%08x;Parent=53995c3f42cd8ad8;Sampled=1", i)
			if i == 20 {
				req.TraceID = ""
			}
			res := f.Invoke(context.Background(), req)
			var p struct {
				DeadlineMs   int64    `json:"deadline_ms"`
				Err          string   `json:"err"`
				TraceEnv     string   `json:"trace_env"`
				TraceCtx     string   `json:"trace_ctx"`
				Environ      []string `json:"environ"`
				Waited       string   `json:"waited"`
				DeadlineType string   `json:"deadline_type"`
			}
			if res.Kind != invoke.Success || json.Unmarshal(res.Payload, &p) != nil {
				t.Fatalf("invocation %d: %v %s\nlog:\n%s", i, res.Kind, res.Payload, res.Log)
			}
			switch env := "_X_AMZN_TRACE_ID=" + req.TraceID; {
			case p.DeadlineMs != req.Deadline.UnixMilli() || p.Err != "":
				t.Errorf("invocation %d: deadline %d (Err %q), want %d", i, p.DeadlineMs, p.Err, req.Deadline.UnixMilli())
			case p.TraceEnv != req.TraceID || p.TraceCtx != req.TraceID:
				t.Errorf("invocation %d: os.Getenv %q, context value %q, want %q", i, p.TraceEnv, p.TraceCtx, req.TraceID)
			case len(p.Environ) != 1 || p.Environ[0] != env:
				t.Errorf("invocation %d: os.Environ has %q, want [%q]", i, p.Environ, env)
			case p.Waited != context.DeadlineExceeded.Error():
				t.Errorf("invocation %d: a derived timeout ended with %q", i, p.Waited)
			case p.DeadlineType != "*lambdart.deadlineContext":
				// fresco's timer-less context, not context.WithDeadline's.
				t.Errorf("invocation %d: the deadline is a %s", i, p.DeadlineType)
			}
		}
	})
	t.Run("bad client context", func(t *testing.T) {
		req := awsLambdaRequest(5, `{}`)
		req.ClientContext = []byte(`not json`)
		res := f.Invoke(context.Background(), req)
		if res.Kind != invoke.FunctionError || !strings.Contains(string(res.Payload), "failed to unmarshal client context json") {
			t.Fatalf("%v %s", res.Kind, res.Payload)
		}
	})

	// Nothing changed: no build, no patching.
	again, progress := runBuilder(t, b, fn)
	if progress != "Unchanged is up to date\n" || again["Unchanged"] != artifacts["Unchanged"] {
		t.Errorf("second build: %s (first %s), progress:\n%s", again["Unchanged"], artifacts["Unchanged"], progress)
	}

	// A change to the handler rebuilds against the same patched copy.
	stamp, err := os.Stat(filepath.Join(patched, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "main.go")
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	buildWriteFile(t, src, strings.Replace(string(code), `"Hello, "`, `"Hi, "`, 1))
	edited, progress := runBuilder(t, b, fn)
	if edited["Unchanged"] == artifacts["Unchanged"] || !buildBuiltLine.MatchString(progress) || awsLambdaPatchLine.MatchString(progress) {
		t.Errorf("after an edit: %s (first %s), progress:\n%s", edited["Unchanged"], artifacts["Unchanged"], progress)
	}
	if after, err := os.Stat(filepath.Join(patched, "go.mod")); err != nil || !after.ModTime().Equal(stamp.ModTime()) {
		t.Errorf("the patched copy was remade: %v", err)
	}
	if copies := awsLambdaCopies(t, cache); len(copies) != 1 {
		t.Errorf("CacheDir/awslambda holds %v after a rebuild, want the one copy", copies)
	}
	buildAssertWasm(t, edited["Unchanged"])

	if leftovers, _ := filepath.Glob(filepath.Join(cache, "awslambda", ".tmp-*")); len(leftovers) > 0 {
		t.Errorf("temporary directories left behind: %v", leftovers)
	}
}

func TestBuildUnchangedAwsLambdaSample(t *testing.T) {
	t.Parallel()
	// samples/plain, in fresco's own module: go list sees aws-lambda-go's
	// lambda package and no fresco adapter.
	cache := t.TempDir()
	b := &Builder{CacheDir: cache}
	fn := buildTestFn("PlainGo", templateAbs(t, filepath.Join("..", "..", "samples", "plain")))
	artifacts, progress := runBuilder(t, b, fn)
	if !awsLambdaPatchLine.MatchString(progress) {
		t.Errorf("progress:\n%s", progress)
	}
	f := awsLambdaLoad(t, "PlainGo", artifacts["PlainGo"])
	res := f.Invoke(context.Background(), awsLambdaRequest(7, `{"name":"Ada"}`))
	want := `{"message":"Hello, Ada!","request_id":"00000000-0000-4000-8000-000000000007"}`
	if res.Kind != invoke.Success || string(res.Payload) != want {
		t.Fatalf("%v %s, want %s\nlog:\n%s", res.Kind, res.Payload, want, res.Log)
	}
	if again, progress := runBuilder(t, b, fn); progress != "PlainGo is up to date\n" || again["PlainGo"] != artifacts["PlainGo"] {
		t.Errorf("second build: progress:\n%s", progress)
	}
}

func TestBuildAwsLambdaPatchIsGuestSource(t *testing.T) {
	t.Parallel()
	for v := range glueNumberOfGlues {
		t.Run(fmt.Sprint(v), func(t *testing.T) { testAwsLambdaPatchIsGuestSource(t, v) })
	}
}

func testAwsLambdaPatchIsGuestSource(t *testing.T, v glueVariant) {
	patch, err := awsLambdaPatches[v]()
	if err != nil {
		t.Fatal(err)
	}
	// adapters/guest is the one source of the ABI: the copy differs in its
	// package clause only.
	for _, name := range guestSourceFiles {
		orig, err := fs.ReadFile(guest.Source, name)
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Replace(orig, []byte("\npackage guest\n"), []byte("\npackage frescoguest\n"), 1)
		if got := patch.files["lambda/frescoguest/"+name]; !bytes.Equal(got, want) || bytes.Equal(got, orig) {
			t.Errorf("lambda/frescoguest/%s is not adapters/guest/%s with package frescoguest", name, name)
		}
	}
	// So is adapters/hosthttp, the guest's HTTP through the host.
	for _, name := range httpSourceFiles {
		orig, err := fs.ReadFile(hosthttp.Source, name)
		if err != nil {
			t.Fatal(err)
		}
		want := regexp.MustCompile(`(?m)^package hosthttp$`).ReplaceAll(orig, []byte("package frescohttp"))
		if got := patch.files[awsLambdaHTTPDir+"/"+name]; !bytes.Equal(got, want) || bytes.Equal(got, orig) {
			t.Errorf("%s/%s is not adapters/hosthttp/%s with package frescohttp", awsLambdaHTTPDir, name, name)
		}
	}
	// adapters/internal/lambdart's files, tests aside, are copied as they
	// are.
	runtime, err := filepath.Glob(filepath.Join("..", "..", "adapters", "internal", "lambdart", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var runtimeFiles int
	for _, name := range runtime {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		runtimeFiles++
		orig, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := patch.files[awsLambdaRuntimeDir+"/"+filepath.Base(name)]; !ok || !bytes.Equal(got, orig) {
			t.Errorf("%s/%s is not adapters/internal/lambdart/%s", awsLambdaRuntimeDir, filepath.Base(name), filepath.Base(name))
		}
	}
	if runtimeFiles == 0 {
		t.Errorf("adapters/internal/lambdart has no files")
	}
	glue := v.files()
	for name, src := range glue {
		if !bytes.Equal(patch.files[name], src) {
			t.Errorf("patch file %s is not the glue's", name)
		}
	}
	if len(patch.files) != len(guestSourceFiles)+len(httpSourceFiles)+runtimeFiles+len(glue) {
		t.Errorf("patch files: %v", slices.Sorted(maps.Keys(patch.files)))
	}
}

func TestBuildAwsLambdaUnsupportedVersion(t *testing.T) {
	t.Parallel()
	// An aws-lambda-go (a local stand-in, which also exercises a replace
	// by a directory) without the internals the glue uses.
	dir := buildTestPackage(t, "oldawslambda")
	cache := t.TempDir()
	_, err := (&Builder{CacheDir: cache}).Build(context.Background(), []*sam.FunctionSpec{buildTestFn("Old", dir)})
	var ue *UnsupportedAwsLambdaError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want an *UnsupportedAwsLambdaError", err)
	}
	for _, want := range []string{
		"build Old: aws-lambda-go v1.0.0 (replaced by ./awslambda) is not supported for unchanged handlers",
		"Supported: aws-lambda-go " + awsLambdaMinVersion + " and later",
		"import github.com/frescolabs/fresco/adapters/lambda instead",
		"zz_fresco_wasip1.go",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var be *BuildError
	if !errors.As(err, &be) || be.Functions[0] != "Old" {
		t.Errorf("err does not unwrap to a *BuildError: %#v", err)
	}
	// A local directory is copied per build, not into the cache.
	if _, err := os.Stat(filepath.Join(cache, "awslambda")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a local aws-lambda-go was cached: %v", err)
	}
}

func TestBuildAwsLambdaNotForFrescoAdapter(t *testing.T) {
	t.Parallel()
	// samples/hello imports adapters/lambda, which brings the ABI itself.
	cache := t.TempDir()
	_, progress := runBuilder(t, &Builder{CacheDir: cache}, buildTestFn("Hello", templateAbs(t, filepath.Join("..", "..", "samples", "hello"))))
	if awsLambdaPatchLine.MatchString(progress) {
		t.Errorf("a fresco adapter handler was patched:\n%s", progress)
	}
	if _, err := os.Stat(filepath.Join(cache, "awslambda")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CacheDir/awslambda exists: %v", err)
	}
}

// TestBuildUnchangedLegacyAwsLambdaHandlers: an unchanged handler builds
// and runs, snapshot included, against the aws-lambda-go versions before
// v1.46.0 (v1.36.1 is what sam init's Go templates pin), in a module at
// go 1.18 whose go.mod keeps its go directive: the two forms of the
// legacy glue's start function (a base context before v1.32.0, the
// handler's options from then on), success with the Lambda context, the
// trace id and the deadline, a typed error and a panic.
func TestBuildUnchangedLegacyAwsLambdaHandlers(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v1.27.0", "v1.31.0", "v1.36.1", "v1.40.0", "v1.45.0"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			dir := buildTestPackage(t, "legacy")
			gomod := fmt.Sprintf("module example.com/legacy\n\ngo 1.18\n\nrequire github.com/aws/aws-lambda-go %s\n", version)
			buildWriteFile(t, filepath.Join(dir, "go.mod"), gomod)
			artifacts, progress := runBuilder(t, &Builder{CacheDir: t.TempDir()}, buildTestFn("Legacy", dir))
			if m := awsLambdaPatchLine.FindStringSubmatch(progress); m == nil || m[1] != version {
				t.Fatalf("progress:\n%s", progress)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "go.mod")); string(got) != gomod {
				t.Errorf("go.mod was edited:\n%s", got)
			}
			// From v1.32.0 newHandler tells the glue what it wraps, for the
			// warm's stand-in.
			m := awsLambdaPatchLine.FindStringSubmatch(progress)
			handlerGo, err := os.ReadFile(filepath.Join(m[2], "lambda", "handler.go"))
			if hooked := strings.Contains(string(handlerGo), newHandlerHook); err != nil || hooked != (glueFor(version) != glueLegacyContext) {
				t.Errorf("handler.go hooked: %v (%v)", hooked, err)
			}
			f := awsLambdaLoad(t, "Legacy"+version, artifacts["Legacy"])
			if on, why := f.Snapshot(); !on {
				t.Errorf("no snapshot: %s", why)
			}
			req := awsLambdaRequest(1, `{"name":"Ada"}`)
			req.ClientContext = []byte(`{"custom":{"tenant":"acme"}}`)
			req.CognitoIdentity = []byte(`{"cognitoIdentityId":"id-1"}`)
			req.Deadline = time.Now().Add(time.Minute).Truncate(time.Millisecond)
			res := f.Invoke(context.Background(), req)
			want := fmt.Sprintf(`{"greeting":"Hello, Ada!","request_id":"00000000-0000-4000-8000-000000000001",`+
				`"arn":"arn:aws:lambda:us-east-1:123456789012:function:Unchanged",`+
				`"trace_env":%[1]q,"trace_ctx":%[1]q,"deadline_ms":%[2]d,"tenant":"acme","cognito":"id-1","calls":1}`,
				req.TraceID, req.Deadline.UnixMilli())
			if res.Kind != invoke.Success || string(res.Payload) != want {
				t.Errorf("%v %s, want %s\nlog:\n%s", res.Kind, res.Payload, want, res.Log)
			}
			res = f.Invoke(context.Background(), awsLambdaRequest(2, `{"fail":"email"}`))
			if want := `{"errorMessage":"invalid field \"email\"","errorType":"ValidationError"}`; res.Kind != invoke.FunctionError ||
				res.ErrorType != "ValidationError" || string(res.Payload) != want || !strings.Contains(string(res.Log), want) {
				t.Errorf("typed error: %v %s %s, want %s logged too\nlog:\n%s", res.Kind, res.ErrorType, res.Payload, want, res.Log)
			}
			res = f.Invoke(context.Background(), awsLambdaRequest(3, `{"panic":true}`))
			if res.Kind != invoke.FunctionError || res.ErrorType != "string" ||
				!strings.Contains(string(res.Payload), `"errorMessage":"something went wrong"`) || !strings.Contains(string(res.Payload), `"label":"handle"`) {
				t.Errorf("panic: %v %s %s", res.Kind, res.ErrorType, res.Payload)
			}
		})
	}
}

// streamRecorder is an invoke.ResponseStream that keeps what it is sent.
type streamRecorder struct {
	contentType string
	writes      []string
}

func (s *streamRecorder) Begin(contentType string) error {
	s.contentType = contentType
	return nil
}

func (s *streamRecorder) Write(p []byte) (int, error) {
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *streamRecorder) Flush() error { return nil }

// TestBuildUnchangedLegacyStreamingHandlers: aws-lambda-go v1.40.0 to
// v1.45.x let a handler return a stream (a
// LambdaFunctionURLStreamingResponse, or any io.Reader), which the legacy
// glue sends to the host read by read: the prelude and each chunk as the
// handler's reader yields them, the content type the runtime client would
// post, and a failed read as a function error after what was sent.
func TestBuildUnchangedLegacyStreamingHandlers(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v1.40.0", "v1.45.0"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			dir := buildTestPackage(t, "legacystream")
			gomod := fmt.Sprintf("module example.com/legacystream\n\ngo 1.18\n\nrequire github.com/aws/aws-lambda-go %s\n", version)
			buildWriteFile(t, filepath.Join(dir, "go.mod"), gomod)
			artifacts, _ := runBuilder(t, &Builder{CacheDir: t.TempDir()}, buildTestFn("Stream", dir))
			f := awsLambdaLoad(t, "Stream"+version, artifacts["Stream"])

			invokeStream := func(n int, path string) (*streamRecorder, invoke.Result) {
				s := &streamRecorder{}
				req := awsLambdaRequest(n, fmt.Sprintf(`{"rawPath":%q}`, path))
				req.Stream = s
				return s, *f.Invoke(context.Background(), req)
			}
			s, res := invokeStream(1, "/")
			prelude := `{"statusCode":200,"headers":{"Content-Type":"text/plain"}}` + invoke.StreamPreludeSeparator
			if res.Kind != invoke.Success || s.contentType != invoke.StreamContentTypeHTTP ||
				strings.Join(s.writes, "") != prelude+"chunk-1\nchunk-2\nchunk-3\n" || len(s.writes) < 4 {
				t.Errorf("streaming response: %v, type %q, writes %q\nlog:\n%s", res.Kind, s.contentType, s.writes, res.Log)
			}
			if res.Streamed != int64(len(prelude)+24) {
				t.Errorf("Streamed = %d", res.Streamed)
			}
			s, res = invokeStream(2, "/raw")
			if res.Kind != invoke.Success || s.contentType != invoke.StreamContentTypeDefault || strings.Join(s.writes, "") != "raw bytes" {
				t.Errorf("raw reader: %v, type %q, writes %q", res.Kind, s.contentType, s.writes)
			}
			s, res = invokeStream(3, "/fail")
			if res.Kind != invoke.FunctionError || !strings.Contains(string(res.Payload), "the source went away") ||
				strings.Join(s.writes, "") != "chunk-1\n" {
				t.Errorf("failed read: %v %s %s, writes %q", res.Kind, res.ErrorType, res.Payload, s.writes)
			}
			// Without a stream, the host buffers what the handler streams.
			res = *f.Invoke(context.Background(), awsLambdaRequest(4, `{"rawPath":"/raw"}`))
			if res.Kind != invoke.Success || string(res.Payload) != "raw bytes" {
				t.Errorf("buffered: %v %q", res.Kind, res.Payload)
			}
		})
	}
}
