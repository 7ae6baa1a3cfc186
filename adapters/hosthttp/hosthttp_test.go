package hosthttp

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

type countingTransport struct{ calls atomic.Int32 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return nil, http.ErrNotSupported
}

// Warm runs before the snapshot, outside any invocation: it must neither
// call a handler's own transport nor dial.
func TestWarmMakesNoRequest(t *testing.T) {
	saved := http.DefaultTransport
	t.Cleanup(func() { http.DefaultTransport = saved })

	own := &countingTransport{}
	http.DefaultTransport = own
	Warm()
	if n := own.calls.Load(); n != 0 {
		t.Errorf("Warm called the handler's transport %d times", n)
	}

	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, &net.OpError{Op: "dial", Net: network}
	}}
	http.DefaultTransport = tr
	Warm()
	if n := dials.Load(); n != 0 {
		t.Errorf("Warm dialed %d times", n)
	}
}

func TestParseHead(t *testing.T) {
	resp, err := parseHead([]byte("201\ncontent-type: text/plain\nSet-Cookie: a=1\nset-cookie: b=2\nContent-Length: 12\nbad line\n"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || resp.Status != "201 Created" || resp.ContentLength != 12 {
		t.Errorf("status %d %q, length %d", resp.StatusCode, resp.Status, resp.ContentLength)
	}
	want := http.Header{"Content-Type": {"text/plain"}, "Set-Cookie": {"a=1", "b=2"}, "Content-Length": {"12"}}
	if !reflect.DeepEqual(resp.Header, want) {
		t.Errorf("header %v, want %v", resp.Header, want)
	}
	for _, bad := range []string{"", "abc\n", "99\n", "1000\n"} {
		if _, err := parseHead([]byte(bad)); err == nil {
			t.Errorf("parseHead(%q): no error", bad)
		}
	}
}

func TestRequestHead(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "http://example.test/p?q=1#frag", nil)
	req.Host = "other.test"
	req.Header.Set("X-A", "1")
	head, err := requestHead(req)
	if err != nil {
		t.Fatal(err)
	}
	got := string(head)
	for _, want := range []string{"POST http://example.test/p?q=1\n", "Host: other.test\n", "X-A: 1\n", "Content-Length: 0\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("head %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "frag") {
		t.Errorf("head %q carries the fragment", got)
	}
	req.Header.Set("X-B", "v\r\nInjected: 1")
	if _, err := requestHead(req); err == nil {
		t.Error("a header value with CRLF was accepted")
	}
}
