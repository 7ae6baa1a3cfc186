package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/cli"
	"github.com/frescolabs/fresco/emulator/server"
)

var apigwUpdate = flag.Bool("update-apigw", false, "rewrite testdata/apigw/golden's events")

// The API Gateway end-to-end tests share one fresco serving
// testdata/apigw/serve.yaml: the Api sample, a function that answers with
// its event (Dump) and the Fail sample.
var (
	apigwOnce  sync.Once
	apigwAddrs server.Addrs
	apigwErr   error
	apigwLog   = &syncBuffer{}
)

func startAPIGateway(t *testing.T) (invokeURL, apiURL string) {
	t.Helper()
	apigwOnce.Do(func() {
		out := io.Writer(apigwLog)
		if testing.Verbose() {
			out = io.MultiWriter(apigwLog, os.Stderr)
		}
		opts := emulator.Options{
			Template:    filepath.Join("testdata", "apigw", "serve.yaml"),
			Logger:      slog.New(slog.NewTextHandler(out, nil)),
			FunctionLog: out,
			BuildOutput: out,
		}
		ready := make(chan server.Addrs, 1)
		errc := make(chan error, 1)
		go func() {
			errc <- server.ServeWith(context.Background(), opts, server.Config{
				Addr:            "127.0.0.1:0",
				APIAddr:         "127.0.0.1:0",
				ShutdownTimeout: 5 * time.Second,
				Ready:           func(a server.Addrs) { ready <- a },
			})
		}()
		select {
		case apigwAddrs = <-ready:
		case apigwErr = <-errc:
		case <-time.After(15 * time.Minute):
			apigwErr = context.DeadlineExceeded
		}
	})
	if apigwErr != nil {
		t.Fatalf("start fresco: %v\n%s", apigwErr, apigwLog.String())
	}
	return "http://" + apigwAddrs.Invoke, "http://" + apigwAddrs.API
}

// apiRequest sends one request with a fixed User-Agent and Accept-Encoding,
// so that events are reproducible.
func apiRequest(t *testing.T, method, url string, body []byte, header ...string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "fresco-e2e")
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// Volatile parts of an event: request ids, times, the trace id and the
// server's port.
var (
	reVolatileString = regexp.MustCompile(`"(requestId|extendedRequestId|requestTime|time|X-Amzn-Trace-Id|x-amzn-trace-id)":("[^"]*"|\["[^"]*"\])`)
	reVolatileNumber = regexp.MustCompile(`"(requestTimeEpoch|timeEpoch)":\d+`)
)

func maskEvent(t *testing.T, event []byte, port string) string {
	t.Helper()
	s := reVolatileString.ReplaceAllString(string(event), `"$1":"MASKED"`)
	s = reVolatileNumber.ReplaceAllString(s, `"$1":0`)
	s = strings.ReplaceAll(s, ":"+port, ":PORT")
	s = strings.ReplaceAll(s, `"`+port+`"`, `"PORT"`)
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, event)
	}
	return b.String() + "\n"
}

func checkAPIGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "apigw", "golden", name)
	if *apigwUpdate {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (-update-apigw writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (-update-apigw rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// responseHeaders renders a response's headers but Date, with request ids
// masked, sorted, one per line.
func responseHeaders(resp *http.Response) string {
	var lines []string
	for k, vs := range resp.Header {
		for _, v := range vs {
			switch k {
			case "Date":
				continue
			case "Apigw-Requestid", "X-Amzn-Requestid":
				v = "MASKED"
			}
			lines = append(lines, k+": "+v)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestAPIGatewayEventsEndToEnd: the events a real function receives
// through fresco's API Gateway, REST (1.0) and HTTP API (2.0, and 1.0 on
// request), match golden files.
func TestAPIGatewayEventsEndToEnd(t *testing.T) {
	_, api := startAPIGateway(t)
	port := api[strings.LastIndex(api, ":")+1:]
	tests := []struct {
		name   string
		method string
		target string
		body   []byte
		header []string
	}{
		{"rest_params", "GET", "/rest/items/a%20b?tag=x&tag=y&one=1", nil,
			[]string{"X-Multi", "one", "X-Multi", "two", "Cookie", "session=abc; theme=dark"}},
		{"rest_greedy", "POST", "/rest/a/b/c.txt", []byte(`{"k":"v"}`), []string{"Content-Type", "application/json"}},
		{"rest_binary", "PUT", "/rest/upload", []byte("\x00\x01\x02\xff"), []string{"Content-Type", "application/octet-stream"}},
		{"http_params", "GET", "/http/items/J%C3%BCrgen?q=1&q=2&lang=de", nil,
			[]string{"X-Multi", "one", "X-Multi", "two", "Cookie", "session=abc; theme=dark"}},
		{"http_greedy", "DELETE", "/http/x/y%20z", nil, nil},
		{"http_binary", "POST", "/http/upload", []byte("\x00\x01\x02\xff"), []string{"Content-Type", "application/octet-stream"}},
		{"http_v1", "GET", "/v1/items/7?x=1&x=2", nil, []string{"X-Multi", "one", "X-Multi", "two"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := apiRequest(t, tc.method, api+tc.target, tc.body, tc.header...)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %v %s\n%s", resp.StatusCode, resp.Header, body, apigwLog.String())
			}
			checkAPIGolden(t, tc.name+".json", maskEvent(t, body, port))
		})
	}
}

// TestAPIGatewaySampleEndToEnd: the Api sample over real HTTP, exact
// answers included.
func TestAPIGatewaySampleEndToEnd(t *testing.T) {
	_, api := startAPIGateway(t)
	t.Run("hello, simple response form", func(t *testing.T) {
		resp, body := apiRequest(t, "GET", api+"/hello/Ada", nil)
		want := "Apigw-Requestid: MASKED\nContent-Length: 25\nContent-Type: application/json"
		if resp.StatusCode != 200 || string(body) != `{"message":"Hello, Ada!"}` || responseHeaders(resp) != want {
			t.Fatalf("%d\n%s\n%s", resp.StatusCode, responseHeaders(resp), body)
		}
	})
	t.Run("a trailing slash, as sam local takes it", func(t *testing.T) {
		resp, body := apiRequest(t, "GET", api+"/hello/Ada/", nil)
		if resp.StatusCode != 200 || string(body) != `{"message":"Hello, Ada!"}` {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("routes listed at start-up", func(t *testing.T) {
		if !regexp.MustCompile(`msg=route method=GET url=` + regexp.QuoteMeta(api) + `/hello/\{name\} function=\S+`).MatchString(apigwLog.String()) {
			t.Errorf("no route line for GET /hello/{name} in the log:\n%s", apigwLog.String())
		}
	})
	t.Run("echo text with headers and query", func(t *testing.T) {
		resp, body := apiRequest(t, "POST", api+"/echo?a=1&a=2&b=x", []byte("hello, echo"),
			"Content-Type", "text/plain", "X-Tag", "one", "X-Tag", "two")
		if resp.StatusCode != 200 || string(body) != "hello, echo" || resp.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("%d %v %q", resp.StatusCode, resp.Header, body)
		}
		if q := resp.Header.Get("X-Echo-Query"); q != `{"a":["1","2"],"b":["x"]}` {
			t.Errorf("X-Echo-Query %s", q)
		}
		var headers map[string][]string
		if err := json.Unmarshal([]byte(resp.Header.Get("X-Echo-Headers")), &headers); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(headers["X-Tag"], ","); got != "one,two" {
			t.Errorf("X-Tag %q in %v", got, headers)
		}
		if resp.Header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("no x-amzn-RequestId: %v", resp.Header)
		}
	})
	t.Run("echo binary round trip with curl", func(t *testing.T) {
		curl := need(t, "curl")
		dir := t.TempDir()
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 0xff, 0x80, 0x7f}, 4096)...)
		in, out, hdr := filepath.Join(dir, "in.png"), filepath.Join(dir, "out.png"), filepath.Join(dir, "headers")
		os.WriteFile(in, png, 0o644)
		cmd := exec.Command(curl, "-sS", "--fail", "-H", "Content-Type: image/png", "--data-binary", "@"+in,
			"-D", hdr, "-o", out, api+"/echo?kind=png")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("curl: %v\n%s\n%s", err, b, apigwLog.String())
		}
		got, _ := os.ReadFile(out)
		if !bytes.Equal(got, png) {
			t.Fatalf("%d bytes back, want the %d sent", len(got), len(png))
		}
		headers, _ := os.ReadFile(hdr)
		if !regexp.MustCompile(`(?i)\r\ncontent-type: image/png\r\n`).Match(headers) {
			t.Errorf("headers:\n%s", headers)
		}
	})
}

// TestAPIGatewayErrorsEndToEnd: unknown routes and failing functions get
// API Gateway's answers, exactly, and the reason reaches the log.
func TestAPIGatewayErrorsEndToEnd(t *testing.T) {
	_, api := startAPIGateway(t)
	tests := []struct {
		name, method, target string
		status               int
		headers, body        string
		logged               string
	}{
		{"unknown route", "GET", "/nowhere", 403,
			"Content-Length: 42\nContent-Type: application/json\nX-Amzn-Errortype: MissingAuthenticationTokenException\nX-Amzn-Requestid: MASKED",
			`{"message":"Missing Authentication Token"}`, ""},
		{"unknown method on a REST path", "DELETE", "/echo", 403,
			"Content-Length: 42\nContent-Type: application/json\nX-Amzn-Errortype: MissingAuthenticationTokenException\nX-Amzn-Requestid: MASKED",
			`{"message":"Missing Authentication Token"}`, ""},
		{"unknown method on an HTTP API path", "POST", "/hello/Ada", 404,
			"Apigw-Requestid: MASKED\nContent-Length: 23\nContent-Type: application/json",
			`{"message":"Not Found"}`, ""},
		{"function error", "GET", "/fail", 502,
			"Apigw-Requestid: MASKED\nContent-Length: 35\nContent-Type: application/json",
			`{"message":"Internal server error"}`, "ValidationError"},
		{"function error on a REST API", "GET", "/rest/items/1?fail=1", 502,
			"Content-Length: 35\nContent-Type: application/json\nX-Amzn-Errortype: InternalServerErrorException\nX-Amzn-Requestid: MASKED",
			`{"message":"Internal server error"}`, "asked to fail"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := apiRequest(t, tc.method, api+tc.target, nil)
			if resp.StatusCode != tc.status || string(body) != tc.body || responseHeaders(resp) != tc.headers {
				t.Fatalf("got %d\n%s\n%s\nwant %d\n%s\n%s", resp.StatusCode, responseHeaders(resp), body, tc.status, tc.headers, tc.body)
			}
			if tc.logged == "" {
				return
			}
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(apigwLog.String(), tc.logged) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(apigwLog.String(), tc.logged) {
				t.Errorf("the log lacks %q", tc.logged)
			}
		})
	}
}

// TestAPIGatewayCORSEndToEnd: preflights answered from the template's Cors
// (REST) and CorsConfiguration (HTTP API), sent with curl.
func TestAPIGatewayCORSEndToEnd(t *testing.T) {
	_, api := startAPIGateway(t)
	curl := need(t, "curl")
	preflight := func(t *testing.T, target string) (status string, headers []string) {
		t.Helper()
		out, err := exec.Command(curl, "-sS", "-i", "-X", "OPTIONS",
			"-H", "Origin: https://app.example", "-H", "Access-Control-Request-Method: POST", api+target).Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\r\n")
		for _, l := range lines[1:] {
			l = strings.ToLower(l)
			if strings.HasPrefix(l, "access-control-") {
				headers = append(headers, l)
			}
		}
		sort.Strings(headers)
		return lines[0], headers
	}
	t.Run("HTTP API", func(t *testing.T) {
		status, headers := preflight(t, "/http/items/1")
		want := []string{
			"access-control-allow-headers: content-type",
			"access-control-allow-methods: get,post",
			"access-control-allow-origin: https://app.example",
			"access-control-max-age: 300",
		}
		if status != "HTTP/1.1 204 No Content" || strings.Join(headers, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s\n%s", status, strings.Join(headers, "\n"))
		}
	})
	t.Run("REST API", func(t *testing.T) {
		status, headers := preflight(t, "/rest/items/1")
		want := []string{
			"access-control-allow-headers: content-type,x-tag",
			"access-control-allow-methods: get,options",
			"access-control-allow-origin: https://app.example",
			"access-control-max-age: 600",
		}
		if status != "HTTP/1.1 200 OK" || strings.Join(headers, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s\n%s", status, strings.Join(headers, "\n"))
		}
	})
	t.Run("HTTP API answer", func(t *testing.T) {
		resp, _ := apiRequest(t, "GET", api+"/http/items/1", nil, "Origin", "https://app.example")
		if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("Access-Control-Expose-Headers") != "x-tag" {
			t.Fatalf("%v", resp.Header)
		}
	})
}

// TestCLIStartServesAPIGateway: fresco start --api-port serves API Gateway
// beside the Invoke API, and stops both when told to.
func TestCLIStartServesAPIGateway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"start", "-t", filepath.Join("testdata", "apigw", "serve.yaml"),
			"--port", "0", "--api-port", "0", "--admin-addr", "127.0.0.1:0", "--state-dir", t.TempDir()}, strings.NewReader(""), io.Discard, &stderr)
	}()
	re := regexp.MustCompile(`api_addr=(http://127\.0\.0\.1:\d+)`)
	var api string
	for deadline := time.Now().Add(15 * time.Minute); api == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("fresco exited with %d:\n%s", code, stderr.String())
		default:
		}
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			api = m[1]
		}
	}
	if api == "" {
		t.Fatalf("fresco never reported API Gateway's address:\n%s", stderr.String())
	}
	resp, body := apiRequest(t, "GET", api+"/hello/CLI", nil)
	if resp.StatusCode != 200 || string(body) != `{"message":"Hello, CLI!"}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("fresco did not stop")
	}
	if _, err := http.Get(api + "/hello/CLI"); err == nil {
		t.Error("API Gateway still answers after shutdown")
	}
}
