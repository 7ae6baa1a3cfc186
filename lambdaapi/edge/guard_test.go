package edge

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// refuseText is a Refuse that writes its status and message as text.
func refuseText(w http.ResponseWriter, status int, message string) {
	w.Header().Set("X-Refused", "1")
	w.WriteHeader(status)
	io.WriteString(w, message)
}

func TestHostGuard(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	for _, tc := range []struct {
		name       string
		hosts      []string
		sameOrigin bool
		host       string
		header     []string // name, value pairs
		want       int
	}{
		{"localhost with port", nil, true, "localhost:3001", nil, 418},
		{"localhost", nil, true, "localhost", nil, 418},
		{"LOCALHOST.", nil, true, "LOCALHOST.:3001", nil, 418},
		{"a subdomain of localhost", nil, true, "app.localhost:3001", nil, 418},
		{"127.0.0.1", nil, true, "127.0.0.1:3001", nil, 418},
		{"127.1.2.3", nil, true, "127.1.2.3", nil, 418},
		{"[::1]", nil, true, "[::1]:3001", nil, 418},
		{"[::1] without port", nil, true, "[::1]", nil, 418},
		{"no Host (HTTP/1.0)", nil, true, "", nil, 418},
		{"evil.example", nil, true, "evil.example", nil, 403},
		{"evil.example with port", nil, true, "evil.example:3001", nil, 403},
		{"localhost.evil.example", nil, true, "localhost.evil.example", nil, 403},
		{"127.0.0.1.evil.example", nil, true, "127.0.0.1.evil.example:3001", nil, 403},
		{"a LAN address not listened on", nil, true, "10.0.0.5:3001", nil, 403},
		{"the address listened on", []string{"10.0.0.5"}, true, "10.0.0.5:3001", nil, 418},
		{"an allowed name, any case", []string{"Fresco.Internal"}, true, "fresco.internal:3001", nil, 418},
		{"an allowed name with a port", []string{"fresco.internal:9"}, true, "fresco.internal", nil, 418},
		{"an allowed IPv6 address", []string{"fd00::1"}, true, "[fd00:0::1]:3001", nil, 418},
		{"any host", []string{AnyHost}, true, "evil.example", nil, 418},
		{"cross origin", nil, true, "127.0.0.1:3001", []string{"Origin", "http://evil.example"}, 403},
		{"cross origin, not checked", nil, false, "127.0.0.1:3001", []string{"Origin", "http://evil.example"}, 418},
		{"any host, cross origin", []string{AnyHost}, true, "fresco.internal", []string{"Origin", "http://evil.example"}, 403},
		// Accepting any Host accepts a rebound name: its page is then of the
		// server's own origin.
		{"any host, rebound name", []string{AnyHost}, true, "evil.example", []string{"Origin", "http://evil.example"}, 418},
		{"null origin", nil, true, "127.0.0.1:3001", []string{"Origin", "null"}, 403},
		{"same origin", nil, true, "127.0.0.1:3001", []string{"Origin", "http://127.0.0.1:3001"}, 418},
		{"same origin, default port", nil, true, "localhost", []string{"Origin", "http://localhost:80"}, 418},
		{"another port", nil, true, "127.0.0.1:3001", []string{"Origin", "http://127.0.0.1:3000"}, 403},
		{"another loopback name", nil, true, "127.0.0.1:3001", []string{"Origin", "http://localhost:3001"}, 403},
		{"https origin", nil, true, "127.0.0.1:3001", []string{"Origin", "https://127.0.0.1:3001"}, 403},
		{"two origins", nil, true, "127.0.0.1:3001", []string{"Origin", "http://127.0.0.1:3001", "Origin", "http://evil.example"}, 403},
		{"Sec-Fetch-Site cross-site", nil, true, "127.0.0.1:3001", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"Sec-Fetch-Site same-site", nil, true, "127.0.0.1:3001", []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"Sec-Fetch-Site same-origin", nil, true, "127.0.0.1:3001", []string{"Sec-Fetch-Site", "same-origin"}, 418},
		{"Sec-Fetch-Site none (typed in the address bar)", nil, true, "127.0.0.1:3001", []string{"Sec-Fetch-Site", "none"}, 418},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := HostGuard{Hosts: tc.hosts, SameOrigin: tc.sameOrigin, Refuse: refuseText}.Middleware(ok)
			r := httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/F/invocations", nil)
			r.Host = tc.host
			for i := 0; i+1 < len(tc.header); i += 2 {
				r.Header.Add(tc.header[i], tc.header[i+1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.want, w.Body)
			}
			if tc.want == 403 && (w.Header().Get("X-Refused") != "1" || w.Body.Len() == 0) {
				t.Errorf("refusal not rendered by Refuse: %v %q", w.Header(), w.Body)
			}
		})
	}
}

func TestLimitURL(t *testing.T) {
	t.Parallel()
	h := LimitURL(refuseText)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for _, tc := range []struct {
		n    int
		want int
	}{{MaxURL, 418}, {MaxURL + 1, 413}} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RequestURI = "/" + strings.Repeat("a", tc.n-1)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("URL of %d bytes: %d, want %d", tc.n, w.Code, tc.want)
		}
	}
}

func TestServerError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p      string
		status int
		text   string
	}{
		{"HTTP/1.1 400 Bad Request" + netHTTPErrorHeaders + "400 Bad Request", 400, "400 Bad Request"},
		{"HTTP/1.1 431 Request Header Fields Too Large" + netHTTPErrorHeaders + "431 Request Header Fields Too Large", 431, "431 Request Header Fields Too Large"},
		{"HTTP/1.1 400 Bad Request: missing required Host header" + netHTTPErrorHeaders + "400 Bad Request: missing required Host header", 400, "400 Bad Request: missing required Host header"},
		{"HTTP/1.1 501 Not Implemented" + netHTTPErrorHeaders + "Unsupported transfer encoding", 501, "Unsupported transfer encoding"},
		// A handler's answers are never rewritten: they have a Date, and
		// their headers come in another order.
		{"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nConnection: close\r\n\r\nx", 0, ""},
		{"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx", 0, ""},
		{"HTTP/1.1 200 OK" + netHTTPErrorHeaders + "ok", 0, ""},
		{"HTTP/1.1 400 Bad Request" + netHTTPErrorHeaders + "two\r\nlines", 0, ""},
		{"some body bytes", 0, ""},
	} {
		status, text, ok := serverError([]byte(tc.p))
		if status != tc.status || text != tc.text || ok != (tc.status != 0) {
			t.Errorf("%q: %d %q %v, want %d %q", tc.p, status, text, ok, tc.status, tc.text)
		}
	}
}

// TestListener: net/http's own answers to unreadable requests are Refuse's,
// on a real http.Server, and the connection closes without a reset.
func TestListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:        http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served") }),
		MaxHeaderBytes: 1 << 10,
	}
	go srv.Serve(Listener(ln, refuseText))
	t.Cleanup(func() { srv.Close() })
	for _, tc := range []struct {
		name, request string
		status        int
		body          string
	}{
		{"bad escape", "POST /a%zz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello", 400, "The request could not be read: 400 Bad Request"},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400, "The request could not be read: 400 Bad Request: missing required Host header"},
		{"headers too large", "GET /" + strings.Repeat("a", 8<<10) + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 413, fmt.Sprintf(msgHeaderSize, MaxHeaderBytes)},
		{"served", "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 200, "served"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(c, tc.request); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("read body: %v", err)
			}
			if resp.StatusCode != tc.status || string(b) != tc.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, b, tc.status, tc.body)
			}
			if tc.status != 200 && (resp.Header.Get("X-Refused") != "1" || !resp.Close) {
				t.Errorf("not Refuse's answer, or the connection stays open: %v", resp.Header)
			}
		})
	}
}

// TestOriginGuardTLS: over TLS the server's own origin is https://Host;
// http://Host is another origin.
func TestOriginGuardTLS(t *testing.T) {
	t.Parallel()
	h := HostGuard{SameOrigin: true, TLS: true, Refuse: func(w http.ResponseWriter, status int, message string) {
		http.Error(w, message, status)
	}}.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for origin, want := range map[string]int{
		"https://127.0.0.1:3001": 200,
		"http://127.0.0.1:3001":  403,
		"https://evil.example":   403,
	} {
		r := httptest.NewRequest("POST", "https://127.0.0.1:3001/", nil)
		r.Header.Set("Origin", origin)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Origin %s: %d, want %d", origin, w.Code, want)
		}
	}
}
