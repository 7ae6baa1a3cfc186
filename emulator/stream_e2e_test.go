package emulator_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/server"
)

var (
	streamOnce  sync.Once
	streamAddrs server.Addrs
	streamErr   error
	streamLog   = &syncBuffer{}
)

// startStream starts one fresco (the Invoke API and the API port, for the
// Function URLs) serving testdata/stream/template.yaml.
func startStream(t *testing.T) server.Addrs {
	t.Helper()
	streamOnce.Do(func() {
		out := io.Writer(streamLog)
		if testing.Verbose() {
			out = io.MultiWriter(streamLog, os.Stderr)
		}
		opts := emulator.Options{
			Template:    filepath.Join("testdata", "stream", "template.yaml"),
			Logger:      slog.New(slog.NewTextHandler(out, nil)),
			FunctionLog: out,
			BuildOutput: out,
		}
		ready := make(chan server.Addrs, 1)
		errc := make(chan error, 1)
		go func() {
			errc <- server.ServeWith(context.Background(), opts, server.Config{
				Addr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second,
				Ready: func(a server.Addrs) { ready <- a },
			})
		}()
		select {
		case streamAddrs = <-ready:
		case streamErr = <-errc:
		case <-time.After(15 * time.Minute):
			streamErr = context.DeadlineExceeded
		}
	})
	if streamErr != nil {
		t.Fatalf("start fresco: %v\n%s", streamErr, streamLog)
	}
	return streamAddrs
}

func streamClient(t *testing.T) (*lambda.Client, string) {
	t.Helper()
	url := "http://" + startStream(t).Invoke
	return lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	}), url
}

// streamEvents reads a stream to its end: the chunks and the completion.
func streamEvents(t *testing.T, out *lambda.InvokeWithResponseStreamOutput, onChunk func([]byte)) ([]byte, *types.InvokeWithResponseStreamCompleteEvent) {
	t.Helper()
	s := out.GetStream()
	defer s.Close()
	var body []byte
	var done *types.InvokeWithResponseStreamCompleteEvent
	// Read to the channel's end (fresco closes the stream after
	// InvokeComplete): the SDK's reader goroutine then has finished, and a
	// later stream does not share its decoder with it (smithy-go's codec is
	// not safe for two readers at once).
	for ev := range s.Events() {
		switch v := ev.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			if done != nil {
				t.Errorf("a chunk after InvokeComplete")
			}
			body = append(body, v.Value.Payload...)
			if onChunk != nil {
				onChunk(body)
			}
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			done = &v.Value
		}
	}
	if done == nil {
		t.Fatalf("stream ended without InvokeComplete: %v; body %q", s.Err(), body)
	}
	return body, done
}

// TestStreamFirstBytesBeforeTheFunctionReturns: an unchanged aws-lambda-go
// handler returning a LambdaFunctionURLStreamingResponse streams; its first
// chunk reaches aws-sdk-go-v2's reader while the function is still held by
// the test.
func TestStreamFirstBytesBeforeTheFunctionReturns(t *testing.T) {
	c, _ := streamClient(t)
	release := make(chan struct{})
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(15 * time.Second):
		}
	}))
	defer gate.Close()
	payload, _ := json.Marshal(map[string]any{"chunks": []string{"first,", "second,", "third"}, "waitURL": gate.URL})
	start := time.Now()
	out, err := c.InvokeWithResponseStream(context.Background(), &lambda.InvokeWithResponseStreamInput{
		FunctionName: aws.String("Stream"), Payload: payload, LogType: types.LogTypeTail,
	})
	if err != nil {
		t.Fatalf("InvokeWithResponseStream: %v\n%s", err, streamLog)
	}
	if v := aws.ToString(out.ExecutedVersion); v != "$LATEST" {
		t.Errorf("executed version %q", v)
	}
	if ct := aws.ToString(out.ResponseStreamContentType); ct != "application/vnd.amazon.eventstream" {
		t.Errorf("content type %q", ct)
	}
	released := false
	body, done := streamEvents(t, out, func(sofar []byte) {
		if !released && bytes.Contains(sofar, []byte("first,")) {
			if bytes.Contains(sofar, []byte("second")) {
				t.Errorf("the second chunk came before the function was released")
			}
			released = true
			t.Logf("first chunk %v after the request", time.Since(start))
			close(release)
		}
	})
	if !released {
		t.Fatalf("never saw the first chunk; body %q", body)
	}
	prelude, rest, ok := bytes.Cut(body, []byte("\x00\x00\x00\x00\x00\x00\x00\x00"))
	if !ok || string(rest) != "first,second,third" {
		t.Fatalf("body %q", body)
	}
	var p struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
	}
	if err := json.Unmarshal(prelude, &p); err != nil || p.StatusCode != 200 || p.Headers["Content-Type"] != "text/plain" {
		t.Errorf("prelude %s: %v", prelude, err)
	}
	if done.ErrorCode != nil {
		t.Errorf("error %q %q", aws.ToString(done.ErrorCode), aws.ToString(done.ErrorDetails))
	}
	if done.LogResult == nil || *done.LogResult == "" {
		t.Errorf("no LogResult")
	}
}

// TestStreamErrors: an error mid-stream ends it with InvokeComplete's
// ErrorCode after the bytes already sent; a stream past Lambda's 20 MB is
// cut off with Function.ResponseSizeTooLarge; a function that does not
// stream answers in one chunk.
func TestStreamErrors(t *testing.T) {
	c, _ := streamClient(t)
	invoke := func(fn string, event any) ([]byte, *types.InvokeWithResponseStreamCompleteEvent) {
		payload, _ := json.Marshal(event)
		out, err := c.InvokeWithResponseStream(context.Background(), &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String(fn), Payload: payload})
		if err != nil {
			t.Fatalf("InvokeWithResponseStream %s: %v", fn, err)
		}
		return streamEvents(t, out, nil)
	}
	body, done := invoke("Stream", map[string]any{"chunks": []string{"partial"}, "fail": "broke mid-stream"})
	if !bytes.HasSuffix(body, []byte("partial")) || aws.ToString(done.ErrorCode) != "errorString" ||
		!strings.Contains(aws.ToString(done.ErrorDetails), "broke mid-stream") {
		t.Errorf("mid-stream error: body %q, code %q, details %q", body, aws.ToString(done.ErrorCode), aws.ToString(done.ErrorDetails))
	}

	start := time.Now()
	body, done = invoke("Stream", map[string]any{"chunks": []string{"x"}, "flood": 64 << 20})
	t.Logf("flood: %d bytes streamed in %v before the cut-off", len(body), time.Since(start))
	if aws.ToString(done.ErrorCode) != "Function.ResponseSizeTooLarge" {
		t.Errorf("flood: code %q, details %q", aws.ToString(done.ErrorCode), aws.ToString(done.ErrorDetails))
	}
	if n := len(body); n > 20<<20 || n < 19<<20 {
		t.Errorf("flood: %d bytes streamed, want just under 20 MB", n)
	}

	body, done = invoke("Hello", map[string]any{"name": "stream"})
	if done.ErrorCode != nil || !bytes.Contains(body, []byte("stream")) {
		t.Errorf("non-streaming function: body %q, code %q", body, aws.ToString(done.ErrorCode))
	}
}

// TestStreamBoto3: boto3's invoke_with_response_stream reads the stream
// event by event.
func TestStreamBoto3(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("python3 (with boto3) is needed: NOTES.md section 6")
	}
	_, url := streamClient(t)
	script := `
import boto3, json, sys
c = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="y")
r = c.invoke_with_response_stream(FunctionName="Stream", Payload=json.dumps({"chunks": ["a", "b", "c"]}))
chunks, done = [], None
for ev in r["EventStream"]:
    if "PayloadChunk" in ev:
        chunks.append(ev["PayloadChunk"]["Payload"])
    if "InvokeComplete" in ev:
        done = ev["InvokeComplete"]
body = b"".join(chunks)
print(json.dumps({"status": r["StatusCode"], "version": r["ExecutedVersion"], "n": len(chunks),
                  "body": body.split(b"\0" * 8, 1)[1].decode(), "done": done}))
`
	out, err := exec.Command("python3", "-c", script, url).CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	var got struct {
		Status  int            `json:"status"`
		Version string         `json:"version"`
		N       int            `json:"n"`
		Body    string         `json:"body"`
		Done    map[string]any `json:"done"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Status != 200 || got.Version != "$LATEST" || got.Body != "abc" || got.N < 2 || got.Done == nil || got.Done["ErrorCode"] != nil {
		t.Errorf("boto3 read %+v", got)
	}
}

// TestFunctionURLStream: a RESPONSE_STREAM Function URL, read over real
// loopback HTTP: the prelude becomes the status and headers, the first
// chunk arrives while the function is held, an error mid-stream cuts the
// body short.
func TestFunctionURLStream(t *testing.T) {
	api := "http://" + startStream(t).API
	release := make(chan struct{})
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(15 * time.Second):
		}
	}))
	defer gate.Close()

	for _, form := range []struct{ name, url, host string }{
		{"path", api + "/lambda-url/StreamURL/x?chunks=first,second&waitURL=" + gate.URL, ""},
		{"host", api + "/x?chunks=first,second&waitURL=" + gate.URL, "streamurl.lambda-url.us-east-1.localhost"},
	} {
		t.Run(form.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, form.url, nil)
			if form.host != "" {
				req.Host = form.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain" {
				t.Fatalf("status %d, content type %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), streamLog)
			}
			br := bufio.NewReader(resp.Body)
			first := make([]byte, len("first"))
			if _, err := io.ReadFull(br, first); err != nil || string(first) != "first" {
				t.Fatalf("first chunk %q: %v", first, err)
			}
			release <- struct{}{}
			rest, err := io.ReadAll(br)
			if err != nil || string(rest) != "second" {
				t.Fatalf("rest %q: %v", rest, err)
			}
		})
	}

	resp, err := http.Get(api + "/lambda-url/StreamURL/?chunks=partial&fail=boom")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || !strings.HasPrefix(string(body), "partial") {
		t.Errorf("mid-stream error: body %q, err %v (want a cut-short body)", body, err)
	}
}

// TestFunctionURLBuffered: a BUFFERED Function URL sends payload format
// 2.0 and turns {statusCode, headers, body, cookies} into the response; a
// plain JSON answer is a 200 application/json; CORS preflights are
// answered from FunctionUrlConfig's Cors.
func TestFunctionURLBuffered(t *testing.T) {
	api := "http://" + startStream(t).API
	req, _ := http.NewRequest(http.MethodPost, api+"/lambda-url/BufferedURL/buffered?a=1&b=2", strings.NewReader("\x00\x01binary"))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Cookie", "c1=v1; c2=v2")
	req.Header.Set("Origin", "https://example.com")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("X-Sample") != "stream" || resp.Header.Get("Set-Cookie") != "seen=1; Path=/" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "https://example.com" {
		t.Fatalf("status %d, headers %v, body %s", resp.StatusCode, resp.Header, b)
	}
	var got struct {
		RawPath        string   `json:"rawPath"`
		RawQuery       string   `json:"rawQueryString"`
		Cookies        []string `json:"cookies"`
		Body           string   `json:"body"`
		IsBase64       bool     `json:"isBase64Encoded"`
		RequestContext struct {
			DomainName string `json:"domainName"`
			HTTP       struct{ Method, Path string }
		} `json:"requestContext"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if got.RawPath != "/buffered" || got.RawQuery != "a=1&b=2" || len(got.Cookies) != 2 || !got.IsBase64 || got.Body != "AAFiaW5hcnk=" ||
		got.RequestContext.DomainName != "bufferedurl.lambda-url.us-east-1.on.aws" || got.RequestContext.HTTP.Method != "POST" {
		t.Errorf("event %+v", got)
	}

	pre, _ := http.NewRequest(http.MethodOptions, api+"/lambda-url/BufferedURL/", nil)
	pre.Header.Set("Origin", "https://example.com")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, err = http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Methods") != "GET,POST" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}

	resp, err = http.Get(api + "/lambda-url/HelloURL/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !json.Valid(b) {
		t.Errorf("plain answer: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	if !strings.Contains(streamLog.String(), "streamurl.lambda-url.us-east-1.localhost") {
		t.Errorf("the URLs are not printed at start-up")
	}
}

// TestStreamProcessFunction: a process function streams through the
// Runtime API (response mode streaming, chunked body); its first chunk
// reaches the caller while the runtime is held.
func TestStreamProcessFunction(t *testing.T) {
	c, _ := streamClient(t)
	release := make(chan struct{})
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(15 * time.Second):
		}
	}))
	defer gate.Close()
	payload, _ := json.Marshal(map[string]any{"gate": gate.URL})
	out, err := c.InvokeWithResponseStream(context.Background(), &lambda.InvokeWithResponseStreamInput{
		FunctionName: aws.String("ProcStream"), Payload: payload,
	})
	if err != nil {
		t.Fatalf("InvokeWithResponseStream: %v\n%s", err, streamLog)
	}
	released := false
	body, done := streamEvents(t, out, func(sofar []byte) {
		if !released && bytes.Contains(sofar, []byte("first,")) {
			if bytes.Contains(sofar, []byte("second")) {
				t.Errorf("the second chunk came before the runtime was released")
			}
			released = true
			close(release)
		}
	})
	if !released || string(body) != "first,second" || done.ErrorCode != nil {
		t.Fatalf("body %q, released %v, error %q %q\n%s", body, released, aws.ToString(done.ErrorCode), aws.ToString(done.ErrorDetails), streamLog)
	}
}

// TestStreamGuestAdapter: a guest streaming through adapters/guest is read
// chunk by chunk by InvokeWithResponseStream, and in one piece by Invoke.
func TestStreamGuestAdapter(t *testing.T) {
	c, _ := streamClient(t)
	out, err := c.InvokeWithResponseStream(context.Background(), &lambda.InvokeWithResponseStreamInput{
		FunctionName: aws.String("StreamGuest"), Payload: []byte(`{"n":3}`),
	})
	if err != nil {
		t.Fatalf("InvokeWithResponseStream: %v\n%s", err, streamLog)
	}
	chunks := 0
	body, done := streamEvents(t, out, func([]byte) { chunks++ })
	want := "chunk 0\nchunk 1\nchunk 2\ndone\n"
	if string(body) != want || chunks != 4 || done.ErrorCode != nil {
		t.Errorf("stream: %q in %d chunks, error %q", body, chunks, aws.ToString(done.ErrorCode))
	}
	res, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("StreamGuest"), Payload: []byte(`{"n":3}`)})
	if err != nil || string(res.Payload) != want || res.FunctionError != nil {
		t.Errorf("Invoke: %q, %v", res.Payload, err)
	}
}
