package runtimeapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator/procpool/procpooltest"
	"github.com/frescolabs/fresco/internal/invoke"
)

// recordingStream is an invoke.ResponseStream that counts what it gets.
type recordingStream struct {
	mu    sync.Mutex
	typ   string
	n     int64
	first []byte
}

func (s *recordingStream) Begin(t string) error { s.mu.Lock(); s.typ = t; s.mu.Unlock(); return nil }
func (s *recordingStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.first) < 64 {
		s.first = append(s.first, p[:min(len(p), 64-len(s.first))]...)
	}
	s.n += int64(len(p))
	return len(p), nil
}
func (s *recordingStream) Flush() error { return nil }

// postStreamed posts body chunked to the invocation's response, with the
// error trailers when errType is set.
func postStreamed(t *testing.T, h *procpooltest.Harness, id string, body io.Reader, errType, doc string) int {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, h.Srv.URL+procpooltest.InvocationPath(id, "response"), pr)
	req.Header.Set("Lambda-Runtime-Function-Response-Mode", "streaming")
	req.Header.Set("Content-Type", "text/plain")
	if errType != "" {
		req.Trailer = http.Header{headerRuntimeErrorType: nil, trailerRuntimeErrorBody: nil}
	}
	go func() {
		io.Copy(pw, body)
		if errType != "" {
			req.Trailer.Set(headerRuntimeErrorType, errType)
			req.Trailer.Set(trailerRuntimeErrorBody, base64.StdEncoding.EncodeToString([]byte(doc)))
		}
		pw.Close()
	}()
	r, err := h.Srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	return r.StatusCode
}

func TestRuntimeAPIStreamedResponse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		body           io.Reader
		errType, doc   string
		status         int
		kind           invoke.Kind
		wantType       string
		streamedAtMost int64
	}{
		{"whole", strings.NewReader("first,second"), "", "", http.StatusAccepted, invoke.Success, "", 12},
		{"error mid-stream", strings.NewReader("partial"), "errorString", `{"errorMessage":"broke","errorType":"errorString"}`,
			http.StatusAccepted, invoke.FunctionError, "errorString", 7},
		{"past 20 MB", io.LimitReader(zeros{}, invoke.MaxStreamedResponse+1<<20), "", "",
			http.StatusRequestEntityTooLarge, invoke.ResponseTooLarge, invoke.ErrResponseTooLarge, invoke.MaxStreamedResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := procpooltest.NewHarness(t, time.Minute)
			sink := &recordingStream{}
			out := h.Invoke(context.Background(), &invoke.Request{Payload: []byte(`{}`), Stream: sink})
			resp, _ := h.Next()
			id := resp.Header.Get(invoke.HeaderRuntimeRequestID)
			if st := postStreamed(t, h, id, tc.body, tc.errType, tc.doc); st != tc.status {
				t.Fatalf("status %d, want %d", st, tc.status)
			}
			o := procpooltest.Wait(t, out)
			if o.Err != nil || o.Res.Kind != tc.kind || o.Res.ErrorType != tc.wantType {
				t.Fatalf("Invoke = %+v, %v", o.Res, o.Err)
			}
			if sink.n > tc.streamedAtMost || sink.typ != "text/plain" || o.Res.Streamed != sink.n {
				t.Errorf("streamed %d (result says %d), type %q", sink.n, o.Res.Streamed, sink.typ)
			}
			if tc.kind == invoke.FunctionError && !bytes.Contains(o.Res.Payload, []byte("broke")) {
				t.Errorf("error document %s", o.Res.Payload)
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
