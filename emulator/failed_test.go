package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/server"
)

// TestFailedFunctionsServeTheirError (issue 13): a function that does not
// build (a Go compile error, a CodeUri that does not exist) or does not
// load (a .wasm that is not one) keeps fresco start from nothing: it is
// reported, its invocations fail with Runtime.InvalidEntrypoint naming the
// cause, and the other functions serve.
func TestFailedFunctionsServeTheirError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyFile := func(src, dst string) {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(filepath.Join("..", "wasmhost", "testdata", "minimal.wasm"), filepath.Join(dir, "good.wasm"))
	copyFile(filepath.Join("build", "testdata", "build", "broken", "main.go"), filepath.Join(dir, "broken", "main.go"))
	copyFile(filepath.Join("build", "testdata", "build", "broken", "go.mod"), filepath.Join(dir, "broken", "go.mod"))
	os.WriteFile(filepath.Join(dir, "bad.wasm"), []byte("\x00asm\x01\x00\x00\x00\x01\xff"), 0o644)
	tmpl := filepath.Join(dir, "template.yaml")
	fn := func(id, codeURI string) string {
		return "  " + id + ":\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: " + codeURI + "\n      Handler: bootstrap\n      Runtime: provided.al2023\n"
	}
	os.WriteFile(tmpl, []byte("Transform: AWS::Serverless-2016-10-31\nResources:\n"+
		fn("Good", "good.wasm")+fn("Broken", "broken")+fn("Missing", "nowhere")+fn("BadWasm", "bad.wasm")), 0o644)

	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	served := make(chan error, 1)
	opts := emulator.Options{
		Template: tmpl, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		FunctionLog: io.Discard, BuildOutput: &logs, CacheDir: t.TempDir(),
	}
	go func() { served <- server.Serve(ctx, opts, "127.0.0.1:0", 10*time.Second, ready) }()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr + "/2015-03-31/functions/"
	case err := <-served:
		t.Fatalf("fresco start failed: %v\n%s", err, logs.String())
	case <-time.After(5 * time.Minute):
		t.Fatalf("fresco did not start\n%s", logs.String())
	}
	invoke := func(name string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Post(base+name+"/invocations", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := invoke("Good"); resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" || body != "{}" {
		t.Errorf("Good: %d %s", resp.StatusCode, body)
	}
	for name, cause := range map[string]string{
		"Broken":  "failed to build: ",
		"Missing": "failed to build: build Missing: CodeUri " + filepath.Join(dir, "nowhere") + " does not exist",
		"BadWasm": "failed to load: ",
	} {
		resp, body := invoke(name)
		var doc struct{ ErrorType, ErrorMessage string }
		json.Unmarshal([]byte(body), &doc)
		if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "Unhandled" ||
			doc.ErrorType != "Runtime.InvalidEntrypoint" || !strings.Contains(doc.ErrorMessage, "function "+name+" "+cause) {
			t.Errorf("%s: %d %s %s, want Runtime.InvalidEntrypoint with %q", name, resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"), body, cause)
		}
		if !strings.Contains(logs.String(), "function="+name) {
			t.Errorf("%s's failure is not in the log:\n%s", name, logs.String())
		}
	}
}
