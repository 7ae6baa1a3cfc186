package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/frescolabs/fresco/emulator"
)

var (
	streamServer sharedServer
	streamLog    = &syncBuffer{}
)

func streamClient(t *testing.T) (*lambda.Client, string) {
	t.Helper()
	url := streamServer.start(t, emulator.Options{Template: filepath.Join("testdata", "stream", "template.yaml")}, streamLog)
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
	for ev := range s.Events() {
		switch v := ev.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			body = append(body, v.Value.Payload...)
			if onChunk != nil {
				onChunk(body)
			}
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			return body, &v.Value
		}
	}
	t.Fatalf("stream ended without InvokeComplete: %v; body %q", s.Err(), body)
	return nil, nil
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

	body, done = invoke("Stream", map[string]any{"chunks": []string{"x"}, "flood": 64 << 20})
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
