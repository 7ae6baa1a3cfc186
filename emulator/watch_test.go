package emulator_test

import (
	"context"
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

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/server"
)

const watchedSource = `package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (string, error) { return "VERSION", nil })
}
`

// TestWatchRebuildsAndSwaps: with --watch, an edited function is rebuilt
// and served without a restart, requests in flight during the swap all
// succeed, and a broken edit leaves the previous build serving; for a wasm
// function, and for a FrescoMode native one, whose processes are replaced.
func TestWatchRebuildsAndSwaps(t *testing.T) {
	// Two servers of their own: they run side by side.
	t.Run("wasm", func(t *testing.T) { t.Parallel(); testWatch(t, "") })
	t.Run("native", func(t *testing.T) { t.Parallel(); testWatch(t, "    Metadata:\n      FrescoMode: native\n") })
}

func testWatch(t *testing.T, metadata string) {
	dir := t.TempDir()
	fnDir := filepath.Join(dir, "fn")
	os.MkdirAll(fnDir, 0o755)
	sum, err := os.ReadFile(filepath.Join("build", "testdata", "build", "unchanged", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(fnDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/watched\n\ngo 1.26\n\nrequire github.com/aws/aws-lambda-go v1.55.1\n")
	write("go.sum", string(sum))
	write("main.go", strings.Replace(watchedSource, "VERSION", "v1", 1))
	tmpl := filepath.Join(dir, "template.yaml")
	os.WriteFile(tmpl, []byte(`Transform: AWS::Serverless-2016-10-31
Resources:
  Watched:
    Type: AWS::Serverless::Function
`+metadata+`    Properties:
      CodeUri: fn
      Runtime: provided.al2023
      Handler: bootstrap
      AutoPublishAlias: live
`), 0o644)

	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	served := make(chan error, 1)
	opts := emulator.Options{
		Template:      tmpl,
		Logger:        slog.New(slog.NewTextHandler(&logs, nil)),
		FunctionLog:   io.Discard,
		BuildOutput:   &logs,
		Watch:         true,
		WatchInterval: 100 * time.Millisecond,
	}
	go func() { served <- server.Serve(ctx, opts, "127.0.0.1:0", 10*time.Second, ready) }()
	var url string
	var invokeAt func(url string) (string, error)
	select {
	case addr := <-ready:
		url = "http://" + addr + "/2015-03-31/functions/Watched/invocations"
	case err := <-served:
		t.Fatalf("%v\n%s", err, logs.String())
	}
	call := func() (string, error) { return invokeAt(url) }
	invokeAt = func(url string) (string, error) {
		resp, err := http.Post(url, "application/json", strings.NewReader(`{}`))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" {
			return string(b), &httpError{resp.StatusCode, string(b)}
		}
		return string(b), err
	}
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(4 * time.Minute)
		for {
			got, err := call()
			if err == nil && got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %q (%v), want %q\n%s", got, err, want, logs.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFor(`"v1"`)

	// Requests keep flowing while v2 is built and swapped in.
	var failures, sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if got, err := call(); err != nil || (got != `"v1"` && got != `"v2"`) {
				failures.Add(1)
				t.Errorf("during the swap: %q %v", got, err)
			}
			sent.Add(1)
			// A breath between requests leaves the rebuild (go build,
			// then wazero's compile, under -race) some of the cores.
			time.Sleep(time.Millisecond)
		}
	}()
	write("main.go", strings.Replace(watchedSource, "VERSION", "v2", 1))
	waitFor(`"v2"`)
	close(stop)
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d requests failed during the swap", failures.Load())
	}
	if sent.Load() < 20 {
		t.Fatalf("only %d requests during the swap", sent.Load())
	}
	t.Logf("%d requests during the swap, all answered", sent.Load())
	// AutoPublishAlias: the rebuild published version 2 and moved live to
	// it; version 1 still runs v1 (its code is loaded again on demand).
	for qualifier, want := range map[string]string{"live": `"v2"`, "2": `"v2"`, "1": `"v1"`} {
		q := strings.Replace(url, "/Watched/", "/Watched:"+qualifier+"/", 1)
		if got, err := invokeAt(q); err != nil || got != want {
			t.Errorf("Watched:%s answered %q (%v), want %q\n%s", qualifier, got, err, want, logs.String())
		}
	}

	// A broken edit: the build error is logged, v2 keeps serving.
	write("main.go", "package main\n\nfunc main() { undefinedThing() }\n")
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(logs.String(), "rebuild failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no build error logged:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "undefinedThing") {
		t.Errorf("the log lacks the compiler's message:\n%s", logs.String())
	}
	if got, err := call(); err != nil || got != `"v2"` {
		t.Fatalf("after a broken edit: %q %v", got, err)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string { return http.StatusText(e.status) + ": " + e.body }
