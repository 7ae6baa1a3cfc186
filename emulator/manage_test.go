package emulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/build"
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/emulator/server"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

const manageTemplate = "testdata/manage/template.yaml"

// managed is one fresco serving manageTemplate with its state in dir.
type managed struct {
	url    string
	api    string // the API port's base URL
	dir    string
	logs   *syncBuffer
	stop   func()
	client *lambda.Client
}

func serveManaged(t *testing.T, dir string) *managed {
	t.Helper()
	logs := &syncBuffer{}
	out := io.Writer(logs)
	if testing.Verbose() {
		out = io.MultiWriter(logs, os.Stderr)
	}
	opts := emulator.Options{
		Template: manageTemplate, StateDir: dir,
		Logger: slog.New(slog.NewTextHandler(out, nil)), FunctionLog: io.Discard, BuildOutput: out,
	}
	ready := make(chan server.Addrs, 1)
	cfg := server.Config{Addr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", ShutdownTimeout: 10 * time.Second, Ready: func(a server.Addrs) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- server.ServeWith(ctx, opts, cfg) }()
	m := &managed{logs: logs, dir: dir}
	stopped := false
	m.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServeWith: %v", err)
		}
	}
	t.Cleanup(m.stop)
	select {
	case a := <-ready:
		m.url, m.api = "http://"+a.Invoke, "http://"+a.API
	case err := <-served:
		stopped = true
		t.Fatalf("ServeWith: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Minute):
		t.Fatal("fresco did not start")
	}
	m.client = lambda.New(lambda.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(m.url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDFRESCO", "secret", ""),
		RetryMaxAttempts: 1,
	})
	return m
}

// zipOf zips files (name -> content); names ending in bootstrap are
// executable.
// codeDir is where uploaded code is kept.
func (m *managed) codeDir() string { return filepath.Join(m.dir, "code") }

func zipOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if strings.HasSuffix(name, "bootstrap") {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goHelloWasm is the Hello sample built by fresco's builder (fresco build
// Hello).
func goHelloWasm(t *testing.T) []byte {
	t.Helper()
	tmpl, err := sam.LoadTemplate(filepath.Join("..", "template.yaml"), sam.TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tmpl.Select([]string{"Hello"})
	if err != nil {
		t.Fatal(err)
	}
	b := &build.Builder{CacheDir: filepath.Join(build.DefaultCacheDir(""), "build")}
	out, err := b.Build(context.Background(), fns)
	if err != nil {
		t.Fatal(err)
	}
	return readFile(t, out["Hello"])
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// waitActive waits as `aws lambda wait function-active-v2` does and
// returns how long it took.
func waitActive(t *testing.T, c *lambda.Client, name string) time.Duration {
	t.Helper()
	start := time.Now()
	w := lambda.NewFunctionActiveV2Waiter(c, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay = 20 * time.Millisecond
		o.MaxDelay = 200 * time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 5*time.Minute); err != nil {
		t.Fatalf("wait function-active-v2 %s: %v", name, err)
	}
	return time.Since(start)
}

func waitUpdated(t *testing.T, c *lambda.Client, name string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay = 20 * time.Millisecond
		o.MaxDelay = 200 * time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 5*time.Minute); err != nil {
		t.Fatalf("wait function-updated-v2 %s: %v", name, err)
	}
}

func invokeMessage(t *testing.T, c *lambda.Client, name, qualifier, event string) (string, string) {
	t.Helper()
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(event)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := c.Invoke(context.Background(), in)
	if err != nil {
		t.Fatalf("invoke %s:%s: %v", name, qualifier, err)
	}
	if out.FunctionError != nil {
		t.Fatalf("invoke %s:%s: function error %s", name, qualifier, out.Payload)
	}
	var body struct{ Message string }
	json.Unmarshal(out.Payload, &body)
	return body.Message, aws.ToString(out.ExecutedVersion)
}

// TestManageSDK is the control plane's scenario through aws-sdk-go-v2:
// create from zips of the C sample and of a Go guest built by fresco's
// builder, wait for Active, invoke, update code, publish two versions, an
// alias routing 90/10 over 1,000 invocations, list and page, tags and
// concurrency, errors, delete; then a restart on the same state directory
// finds it all, Active.
func TestManageSDK(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := serveManaged(t, dir)
	c := m.client
	chello := zipOf(t, map[string][]byte{"chello.wasm": readFile(t, filepath.Join("..", "samples", "chello", "chello.wasm"))})

	// Pending, then Active; invoking it before is a conflict.
	start := time.Now()
	created, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("c-hello"), Role: aws.String("arn:aws:iam::123456789012:role/x"),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("chello"),
		Code: &types.FunctionCode{ZipFile: chello}, Tags: map[string]string{"team": "edge"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.State != types.StatePending || created.LastUpdateStatus != types.LastUpdateStatusInProgress || aws.ToString(created.CodeSha256) == "" {
		t.Errorf("CreateFunction = state %s, update %s, sha %q", created.State, created.LastUpdateStatus, aws.ToString(created.CodeSha256))
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("c-hello")})
	var pendingCode string
	if err != nil {
		pendingCode = errorCode(err)
	}
	waitActive(t, c, "c-hello")
	took := time.Since(start)
	t.Logf("C guest (chello, %d bytes zipped): upload to Active %v (invoke while compiling: %q)", len(chello), took, pendingCode)
	if pendingCode != "" && pendingCode != "ResourceConflictException" {
		t.Errorf("invoke while Pending = %s, want ResourceConflictException", pendingCode)
	}
	if msg, ver := invokeMessage(t, c, "c-hello", "", `{"name":"Ada"}`); msg != "Hello, Ada!" || ver != "$LATEST" {
		t.Errorf("invoke = %q on %s", msg, ver)
	}

	// The Go guest.
	goZip := zipOf(t, map[string][]byte{"hello.wasm": goHelloWasm(t)})
	start = time.Now()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("go-hello"), Role: aws.String("arn:aws:iam::123456789012:role/x"),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), MemorySize: aws.Int32(256),
		Code: &types.FunctionCode{ZipFile: goZip},
	}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, "go-hello")
	t.Logf("Go guest (hello, %d bytes zipped): upload to Active %v", len(goZip), time.Since(start))
	if msg, _ := invokeMessage(t, c, "go-hello", "", `{"name":"Go"}`); msg != "Hello, Go!" {
		t.Errorf("go-hello = %q", msg)
	}

	// Version 1 is chello; $LATEST becomes the Go guest; version 2 is it.
	v1, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("c-hello"), Description: aws.String("C")})
	if err != nil || aws.ToString(v1.Version) != "1" {
		t.Fatalf("PublishVersion = %+v, %v", v1, err)
	}
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("c-hello"), CodeSha256: aws.String("bm9wZQ==")}); errorCode(err) != "PreconditionFailedException" {
		t.Errorf("PublishVersion with a wrong CodeSha256 = %v", err)
	}
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("c-hello"), RevisionId: aws.String("stale")}); errorCode(err) != "PreconditionFailedException" {
		t.Errorf("PublishVersion with a stale RevisionId = %v", err)
	}
	upd, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("c-hello"), ZipFile: goZip})
	if err != nil || upd.LastUpdateStatus != types.LastUpdateStatusInProgress {
		t.Fatalf("UpdateFunctionCode = %+v, %v", upd, err)
	}
	// While the new code compiles, the old one serves; invocations in
	// flight at the swap finish (on the code they started on).
	var wg sync.WaitGroup
	var served, failed atomic.Int64
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("c-hello"), Payload: []byte(`{"name":"Ada"}`)})
				if err != nil || out.FunctionError != nil || string(out.Payload) != `{"message":"Hello, Ada!"}` {
					failed.Add(1)
					continue
				}
				served.Add(1)
			}
		})
	}
	waitUpdated(t, c, "c-hello")
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || served.Load() == 0 {
		t.Errorf("invocations across the code swap: %d served, %d failed", served.Load(), failed.Load())
	}
	v2, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("c-hello"), CodeSha256: upd.CodeSha256, RevisionId: upd.RevisionId})
	if err != nil || aws.ToString(v2.Version) != "2" {
		t.Fatalf("PublishVersion 2 = %+v, %v", v2, err)
	}
	if msg, ver := invokeMessage(t, c, "c-hello", "1", `{"name":"Ada"}`); msg != "Hello, Ada!" || ver != "1" {
		t.Errorf("version 1 = %q on %s", msg, ver)
	}
	if msg, ver := invokeMessage(t, c, "c-hello", "2", `{"name":"Ada"}`); msg != "Hello, Ada!" || ver != "2" {
		t.Errorf("version 2 = %q on %s", msg, ver)
	}

	// An alias at 1 routing 10% to 2.
	alias, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName: aws.String("c-hello"), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("c-hello"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); errorCode(err) != "ResourceConflictException" {
		t.Errorf("second CreateAlias = %v", err)
	}
	ran := map[string]int{}
	for range 1000 {
		_, ver := invokeMessage(t, c, "c-hello", "live", `{}`)
		ran[ver]++
	}
	t.Logf("alias live (1, 10%% to 2) over 1000 invocations: %v", ran)
	// Binomial(1000, 0.1): mean 100, sd 9.5; 50..150 is over 5 sd.
	if ran["2"] < 50 || ran["2"] > 150 || ran["1"]+ran["2"] != 1000 {
		t.Errorf("routing split = %v, want about 900/100", ran)
	}
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("c-hello"), Name: aws.String("live"), RevisionId: aws.String("stale")}); errorCode(err) != "PreconditionFailedException" {
		t.Errorf("UpdateAlias with a stale RevisionId = %v", err)
	}
	moved, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("c-hello"), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RevisionId: alias.RevisionId, RoutingConfig: &types.AliasRoutingConfiguration{}})
	if err != nil || aws.ToString(moved.FunctionVersion) != "2" || moved.RoutingConfig != nil {
		t.Fatalf("UpdateAlias = %+v, %v", moved, err)
	}
	if _, ver := invokeMessage(t, c, "c-hello", "live", `{}`); ver != "2" {
		t.Errorf("alias after the move ran %s", ver)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("c-hello"), Qualifier: aws.String("2")}); errorCode(err) != "ResourceConflictException" {
		t.Errorf("deleting the alias's version = %v", err)
	}

	// Configuration.
	cfg, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("go-hello"),
		MemorySize: aws.Int32(512), Timeout: aws.Int32(7), Description: aws.String("updated"),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitUpdated(t, c, "go-hello")
	got, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("go-hello")})
	if err != nil || aws.ToInt32(got.MemorySize) != 512 || aws.ToInt32(got.Timeout) != 7 || aws.ToString(got.Description) != "updated" ||
		got.Environment.Variables["GREETING"] != "hi" || aws.ToString(got.RevisionId) != aws.ToString(cfg.RevisionId) || got.State != types.StateActive {
		t.Errorf("GetFunctionConfiguration = %+v, %v", got, err)
	}
	if msg, _ := invokeMessage(t, c, "go-hello", "", `{"name":"again"}`); msg != "Hello, again!" {
		t.Errorf("go-hello after the update = %q", msg)
	}

	// Concurrency, tags, account.
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("go-hello"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("go-hello")}); errorCode(err) != "TooManyRequestsException" {
		t.Errorf("invoke at reserved concurrency 0 = %v", err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("go-hello"), ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	conc, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("go-hello")})
	if err != nil || aws.ToInt32(conc.ReservedConcurrentExecutions) != 5 {
		t.Errorf("GetFunctionConcurrency = %+v, %v", conc, err)
	}
	arn := aws.ToString(created.FunctionArn)
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "dev" {
		t.Errorf("ListTags = %+v, %v", tags, err)
	}
	acct, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil || acct.AccountUsage.FunctionCount != 3 || acct.AccountLimit.CodeSizeUnzipped != 262144000 {
		t.Errorf("GetAccountSettings = %+v, %v", acct, err)
	}

	// The template's function is listed and read-only.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("TemplateHello"), Timeout: aws.Int32(9)}); errorCode(err) != "ResourceConflictException" {
		t.Errorf("changing a template function = %v", err)
	}
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("TemplateHello"), Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: chello}}); errorCode(err) != "ResourceConflictException" {
		t.Errorf("creating a template function's name = %v", err)
	}

	// Paging: 3 functions, 2 per page.
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		out, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range out.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
		if marker = out.NextMarker; marker == nil || pages > 5 {
			break
		}
	}
	if strings.Join(names, ",") != "TemplateHello,c-hello,go-hello" {
		t.Errorf("ListFunctions pages = %v", names)
	}
	vs, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("c-hello")})
	if err != nil || len(vs.Versions) != 3 || aws.ToString(vs.Versions[2].Version) != "2" {
		t.Errorf("ListVersionsByFunction = %+v, %v", vs, err)
	}
	as, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("c-hello")})
	if err != nil || len(as.Aliases) != 1 {
		t.Errorf("ListAliases = %+v, %v", as, err)
	}

	// A restart finds everything, Active, without compiling again.
	m.stop()
	start = time.Now()
	m = serveManaged(t, dir)
	t.Logf("restart with 2 uploaded functions: %v", time.Since(start))
	c = m.client
	for _, n := range []string{"c-hello", "go-hello"} {
		f, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(n)})
		if err != nil || f.Configuration.State != types.StateActive {
			t.Fatalf("after restart, GetFunction(%s) = %+v, %v", n, f, err)
		}
	}
	if _, ver := invokeMessage(t, c, "c-hello", "live", `{}`); ver != "2" {
		t.Errorf("alias after restart ran %s", ver)
	}
	if msg, ver := invokeMessage(t, c, "c-hello", "1", `{"name":"Ada"}`); msg != "Hello, Ada!" || ver != "1" {
		t.Errorf("version 1 after restart = %q on %s", msg, ver)
	}
	conc, err = c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("go-hello")})
	if err != nil || aws.ToInt32(conc.ReservedConcurrentExecutions) != 5 {
		t.Errorf("concurrency after restart = %+v, %v", conc, err)
	}

	// Deletes.
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("c-hello"), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("c-hello"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("c-hello"), Qualifier: aws.String("1")}); errorCode(err) != "ResourceNotFoundException" {
		t.Errorf("invoking a deleted version = %v", err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("c-hello")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("c-hello")}); errorCode(err) != "ResourceNotFoundException" {
		t.Errorf("GetFunction after delete = %v", err)
	}
}

// TestManageRefusesBadCode: a module that does not load is Failed with
// its reason; zip bombs, paths that leave the root, a zip with nothing
// to run and oversized requests are refused.
func TestManageRefusesBadCode(t *testing.T) {
	ctx := context.Background()
	m := serveManaged(t, t.TempDir())
	c := m.client

	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("broken"), Role: aws.String("r"),
		Code: &types.FunctionCode{ZipFile: zipOf(t, map[string][]byte{"bad.wasm": []byte("\x00asm\x01\x00\x00\x00garbage")})}}); err != nil {
		t.Fatal(err)
	}
	w := lambda.NewFunctionActiveV2Waiter(c, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay = 20 * time.Millisecond
		o.MaxDelay = 100 * time.Millisecond
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("broken")}, time.Minute); err == nil {
		t.Error("function-active-v2 succeeded on a module that does not load")
	}
	got, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("broken")})
	if err != nil || got.State != types.StateFailed || aws.ToString(got.StateReason) == "" || got.StateReasonCode == "" {
		t.Errorf("broken = state %s, reason %q (%s), %v", got.State, aws.ToString(got.StateReason), got.StateReasonCode, err)
	}
	t.Logf("a module that does not load: %s: %s", got.StateReasonCode, aws.ToString(got.StateReason))
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("broken")}); errorCode(err) != "ResourceConflictException" {
		t.Errorf("invoking a Failed function = %v", err)
	}

	// A zip bomb: 300 MB of zeros that deflate to a few hundred KB, in a
	// zip whose headers claim a tiny size.
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	fw, _ := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
	zeros := make([]byte, 1<<20)
	for range 300 {
		fw.Write(zeros)
	}
	zw.Close()
	for _, tc := range []struct {
		name, code, msg string
		zip             []byte
	}{
		{"bomb", "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes", bomb.Bytes()},
		{"escape", "InvalidParameterValueException", "escapes", zipOf(t, map[string][]byte{"../evil.wasm": []byte("x"), "ok.wasm": []byte("x")})},
		{"absolute", "InvalidParameterValueException", "escapes", zipOf(t, map[string][]byte{"/etc/evil": []byte("x")})},
		{"nothing", "InvalidParameterValueException", "neither", zipOf(t, map[string][]byte{"README": []byte("x")})},
		{"notzip", "InvalidParameterValueException", "unzip", []byte("not a zip")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f-" + tc.name), Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: tc.zip}})
			if errorCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("CreateFunction = %v, want %s (%s)", err, tc.code, tc.msg)
			}
			if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f-" + tc.name)}); errorCode(err) != "ResourceNotFoundException" {
				t.Errorf("a refused function exists: %v", err)
			}
		})
	}
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("huge"), Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: make([]byte, 53<<20)}})
	if errorCode(err) != "RequestEntityTooLargeException" {
		t.Errorf("a 53 MB request = %v", err)
	}
	// Nothing the refusals wrote stays in the code folder but content-
	// addressed, complete entries.
	entries, _ := os.ReadDir(m.codeDir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left in the code folder: %s", e.Name())
		}
	}
}

// TestManageSigV4: with credentials configured, the control plane is
// behind SigV4 as the Invoke API is: a signed upload (a body far over the
// Invoke API's limit) is taken, a wrong secret and no signature refused.
func TestManageSigV4(t *testing.T) {
	creds := edge.Credentials{"AKIDFRESCO": "secret"}
	a := serveOps(t, manageTemplate, nil, 0, server.Config{Credentials: creds})
	url := "http://" + a.Invoke
	client := func(secret string) *lambda.Client {
		return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDFRESCO", secret, "")})
	}
	ctx := context.Background()
	padding := make([]byte, 8<<20) // incompressible enough: random-ish
	for i := range padding {
		padding[i] = byte(i*7919 + i>>8)
	}
	zip := zipOf(t, map[string][]byte{"chello.wasm": readFile(t, filepath.Join("..", "samples", "chello", "chello.wasm")), "data.bin": padding})
	if _, err := client("secret").CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("signed"), Role: aws.String("r"),
		Code: &types.FunctionCode{ZipFile: zip}}); err != nil {
		t.Fatalf("signed CreateFunction of %d bytes: %v", len(zip), err)
	}
	if _, err := client("secret").CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("huge"), Role: aws.String("r"),
		Code: &types.FunctionCode{ZipFile: make([]byte, 53<<20)}}); errorCode(err) != "RequestEntityTooLargeException" {
		t.Errorf("a signed 53 MB upload = %v", err)
	}
	if _, err := client("wrong").ListFunctions(ctx, &lambda.ListFunctionsInput{}); errorCode(err) != "InvalidSignatureException" {
		t.Errorf("ListFunctions with a wrong secret = %v", err)
	}
	resp, err := http.Get(url + "/2015-03-31/functions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned ListFunctions = %d %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
	}
}
