package edge

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"testing"
	"time"
)

func TestReadLimited(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		body     string
		length   int64 // -1: unknown
		expect   bool
		wantBody string
		wantSize int64
		tooLarge bool
	}{
		{"declared", "abc", 3, false, "abc", 3, false},
		{"unknown", "abc", -1, false, "abc", 3, false},
		{"at the limit", "abcd", -1, false, "abcd", 4, false},
		// An oversized body is drained, never kept.
		{"over, unknown length", "abcdefgh", -1, false, "", 8, true},
		{"over, declared", "abcdefgh", 8, false, "", 8, true},
		{"over, declared, 100-continue", "abcdefgh", 8, true, "", 8, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			r.ContentLength = tc.length
			if tc.expect {
				r.Header.Set("Expect", "100-continue")
			}
			body, size, err := ReadLimited(r, 4)
			if string(body) != tc.wantBody || size != tc.wantSize || errors.Is(err, ErrTooLarge) != tc.tooLarge {
				t.Errorf("got %q, %d, %v; want %q, %d, too large %v", body, size, err, tc.wantBody, tc.wantSize, tc.tooLarge)
			}
		})
	}
}

// ReadPrefix keeps the first limit+1 bytes of an oversized body, whatever
// its declared length and Expect, and drains the rest.
func TestReadPrefix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		length     int64
		expect     bool
		wantBody   string
		tooLarge   bool
	}{
		{"under", "abc", 3, false, "abc", false},
		{"over, unknown length", "abcdefgh", -1, false, "abcde", true},
		{"over, declared", "abcdefgh", 8, false, "abcde", true},
		{"over, declared, 100-continue", "abcdefgh", 8, true, "abcde", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rd := strings.NewReader(tc.body)
			r := httptest.NewRequest(http.MethodPost, "/", rd)
			r.ContentLength = tc.length
			if tc.expect {
				r.Header.Set("Expect", "100-continue")
			}
			got, _, err := ReadPrefix(r, 4)
			if string(got) != tc.wantBody || errors.Is(err, ErrTooLarge) != tc.tooLarge || rd.Len() != 0 {
				t.Errorf("got %q, %v, %d bytes left; want %q, too large %v, all read", got, err, rd.Len(), tc.wantBody, tc.tooLarge)
			}
		})
	}
}

// TestAccessLog: the declared keys come first, in order, "" when unset;
// the handler's other attributes follow in the order set.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := WithRequestID("X-Id")(AccessLog{
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: dropTime})),
		Message: "request",
		Keys:    []string{KeyFunction, KeyRequestID},
	}.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := StateOf(r)
		st.SetString("extra", "x")
		if r.URL.Path == "/fn" {
			st.SetString(KeyFunction, "F")
		}
		w.WriteHeader(http.StatusTeapot)
	})))
	for _, path := range []string{"/fn", "/"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Header().Get("X-Id") == "" {
			t.Errorf("%s: no request id header", path)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	want := []string{`function=F request_id=`, `function="" request_id=`}
	for i, l := range lines {
		if !strings.Contains(l, "status=418 duration=") || !strings.Contains(l, want[i]) || !strings.HasSuffix(l, " extra=x") {
			t.Errorf("line %d: %s", i, l)
		}
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// TestRecover: a panic before the answer is rendered; after it, the
// response is aborted.
func TestRecover(t *testing.T) {
	t.Parallel()
	render := func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, 500, []byte(`{"x":1}`)) }
	mw := func(h http.HandlerFunc) http.Handler {
		return AccessLog{Logger: slog.New(slog.DiscardHandler)}.Middleware(
			Recoverer(slog.New(slog.DiscardHandler), "panic", render)(h))
	}
	w := httptest.NewRecorder()
	mw(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Leak", "1")
		panic("early")
	}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	b, _ := io.ReadAll(w.Body)
	if w.Code != 500 || string(b) != `{"x":1}` || w.Header().Get("X-Leak") != "" || w.Header().Get(HeaderContentLength) != "7" {
		t.Errorf("got %d %s %v", w.Code, b, w.Header())
	}
	defer func() {
		if rec := recover(); rec != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", rec)
		}
	}()
	mw(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("partial"))
		panic("late")
	}).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

// TestAnswerUnread: a client that writes a body far over MaxDrain before it
// reads gets the 413, declared length or chunked, and the connection
// closes without a reset.
func TestAnswerUnread(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: WithRequestID("X-Id")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, err := ReadLimited(r, 1<<20)
		AnswerUnread(w, r, func() {
			if err != nil {
				WriteJSON(w, http.StatusRequestEntityTooLarge, []byte(`{"too":"large"}`))
				return
			}
			WriteJSON(w, http.StatusOK, []byte(`{}`))
		})
	}))}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	body := bytes.Repeat([]byte("x"), MaxDrain+(4<<20))
	for _, tc := range []struct {
		name   string
		header string
		body   func(io.Writer)
	}{
		{"declared", fmt.Sprintf("Content-Length: %d\r\n", len(body)), func(w io.Writer) { w.Write(body) }},
		{"chunked", "Transfer-Encoding: chunked\r\n", func(w io.Writer) {
			cw := httputil.NewChunkedWriter(w)
			for b := body; len(b) > 0; b = b[min(len(b), 1<<20):] {
				cw.Write(b[:min(len(b), 1<<20)])
			}
			cw.Close()
			io.WriteString(w, "\r\n")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			bw := bufio.NewWriter(c)
			fmt.Fprintf(bw, "POST / HTTP/1.1\r\nHost: localhost\r\n%s\r\n", tc.header)
			tc.body(bw)
			if err := bw.Flush(); err != nil {
				t.Fatalf("write the whole body before reading: %v", err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != 413 || string(b) != `{"too":"large"}` || !resp.Close {
				t.Errorf("got %d %q %v, close %v; want 413 and the body, then close", resp.StatusCode, b, err, resp.Close)
			}
		})
	}
}
