package emulator_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"testing"
	"time"
)

// rawExchange sends request (written whole before anything is read, as
// urllib3 does) on a new connection to addr and reads one answer.
func rawExchange(t *testing.T, addr string, request func(io.Writer)) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	bw := bufio.NewWriterSize(c, 64<<10)
	request(bw)
	if err := bw.Flush(); err != nil {
		t.Fatalf("write the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the answer's body: %v", err)
	}
	return resp, string(b)
}

// plainRequest is a request line, headers and a declared body.
func plainRequest(method, target string, body string, header ...string) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintf(w, "%s %s HTTP/1.1\r\n", method, target)
		for i := 0; i+1 < len(header); i += 2 {
			fmt.Fprintf(w, "%s: %s\r\n", header[i], header[i+1])
		}
		fmt.Fprintf(w, "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	}
}

const invokeDump = "/2015-03-31/functions/Dump/invocations"

// TestHostAndOriginEndToEnd: the requests a web page can make (a foreign
// Host after DNS rebinding, a text/plain POST from another origin) are
// refused on both ports; loopback Hosts without Origin are served, and API
// Gateway keeps its CORS.
func TestHostAndOriginEndToEnd(t *testing.T) {
	invokeURL, apiURL := startAPIGateway(t)
	inv, api := strings.TrimPrefix(invokeURL, "http://"), strings.TrimPrefix(apiURL, "http://")
	_, invPort, _ := net.SplitHostPort(inv)
	_, apiPort, _ := net.SplitHostPort(api)
	const (
		deniedHost   = `{"Type":"User","message":"Host \"evil.example\" is not allowed: fresco answers requests for localhost, the loopback addresses and 127.0.0.1 (see --allowed-hosts)"}`
		deniedOrigin = `{"Type":"User","message":"Cross-origin request refused (Origin: http://evil.example): fresco's Invoke API does not answer web pages of other origins"}`
		deniedSite   = `{"Type":"User","message":"Cross-origin request refused (Sec-Fetch-Site: cross-site): fresco's Invoke API does not answer web pages of other origins"}`
		forbidden    = `{"message":"Forbidden"}`
	)
	for _, tc := range []struct {
		name, addr, method, target string
		header                     []string
		status                     int
		errType, body              string
	}{
		{"Invoke: forged Host and Origin", inv, "POST", invokeDump,
			[]string{"Host", "evil.example", "Origin", "http://evil.example", "Content-Type", "text/plain"}, 403, "AccessDeniedException", deniedHost},
		{"Invoke: forged Host with port", inv, "POST", invokeDump,
			[]string{"Host", "evil.example:" + invPort}, 403, "AccessDeniedException", strings.Replace(deniedHost, `evil.example`, "evil.example:"+invPort, 1)},
		{"Invoke: cross-origin text/plain POST", inv, "POST", invokeDump,
			[]string{"Host", "127.0.0.1:" + invPort, "Origin", "http://evil.example", "Content-Type", "text/plain"}, 403, "AccessDeniedException", deniedOrigin},
		{"Invoke: Sec-Fetch-Site cross-site", inv, "POST", invokeDump,
			[]string{"Host", "localhost:" + invPort, "Sec-Fetch-Site", "cross-site"}, 403, "AccessDeniedException", deniedSite},
		{"Invoke: localhost", inv, "POST", invokeDump, []string{"Host", "localhost:" + invPort}, 200, "", ""},
		{"Invoke: 127.0.0.1", inv, "POST", invokeDump, []string{"Host", "127.0.0.1:" + invPort}, 200, "", ""},
		{"Invoke: same origin", inv, "POST", invokeDump,
			[]string{"Host", "127.0.0.1:" + invPort, "Origin", "http://127.0.0.1:" + invPort}, 200, "", ""},
		{"API: forged Host and Origin", api, "GET", "/hello/Ada",
			[]string{"Host", "evil.example", "Origin", "http://evil.example"}, 403, "ForbiddenException", forbidden},
		{"API: forged Host with port", api, "GET", "/hello/Ada", []string{"Host", "evil.example:" + apiPort}, 403, "ForbiddenException", forbidden},
		{"API: localhost", api, "GET", "/hello/Ada", []string{"Host", "localhost:" + apiPort}, 200, "", `{"message":"Hello, Ada!"}`},
		{"API: 127.0.0.1", api, "GET", "/hello/Ada", []string{"Host", "127.0.0.1:" + apiPort}, 200, "", `{"message":"Hello, Ada!"}`},
		// API Gateway answers other origins as its CORS configuration says.
		{"API: another Origin", api, "GET", "/hello/Ada",
			[]string{"Host", "127.0.0.1:" + apiPort, "Origin", "http://evil.example"}, 200, "", `{"message":"Hello, Ada!"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawExchange(t, tc.addr, plainRequest(tc.method, tc.target, "", tc.header...))
			if resp.StatusCode != tc.status || resp.Header.Get("X-Amzn-ErrorType") != tc.errType || (tc.body != "" && body != tc.body) {
				t.Fatalf("got %d %q %s\nwant %d %q %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body, tc.status, tc.errType, tc.body)
			}
			if tc.status == 403 && (resp.Header.Get("X-Amzn-RequestId") == "" || resp.Header.Get("Content-Type") != "application/json") {
				t.Errorf("refusal without a request id or JSON: %v", resp.Header)
			}
		})
	}
	if !strings.Contains(apigwLog.String(), `msg="refused request"`) {
		t.Errorf("no refusal logged")
	}
}

// TestMalformedRequestsEndToEnd: the requests net/http refuses on its own
// or that are over a limit get the surface's answer on each port, sent
// whole before anything is read.
func TestMalformedRequestsEndToEnd(t *testing.T) {
	invokeURL, apiURL := startAPIGateway(t)
	inv, api := strings.TrimPrefix(invokeURL, "http://"), strings.TrimPrefix(apiURL, "http://")
	longName := strings.Repeat("a", 1<<20)
	longURL := "/2015-03-31/functions/" + longName + "/invocations"
	bigHeader := strings.Repeat("b", 3<<20)
	body := strings.Repeat("x", 9<<20)
	chunked := func(target, host string) func(io.Writer) {
		return func(w io.Writer) {
			fmt.Fprintf(w, "POST %s HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n", target, host)
			cw := httputil.NewChunkedWriter(w)
			for b := body; len(b) > 0; b = b[min(len(b), 1<<20):] {
				io.WriteString(cw, b[:min(len(b), 1<<20)])
			}
			cw.Close()
			io.WriteString(w, "\r\n")
		}
	}
	const (
		badRequest  = `{"Type":"User","message":"The request could not be read: 400 Bad Request"}`
		urlTooLong  = `{"Type":"User","message":"The request URL is 1048610 bytes; fresco accepts at most 1048576"}`
		headerLarge = `{"Type":"User","message":"The request's headers are over 2097152 bytes"}`
		bodyLarge   = `{"Type":"User","message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}`
		apiBad      = `{"message":"Bad Request"}`
		apiLarge    = `{"message":"Request Entity Too Large"}`
	)
	for _, tc := range []struct {
		name    string
		addr    string
		request func(io.Writer)
		status  int
		errType string
		body    string
	}{
		{"Invoke: %zz in the path", inv, plainRequest("POST", "/2015-03-31/functions/%zz/invocations", "{}", "Host", inv),
			400, "InvalidRequestContentException", badRequest},
		{"Invoke: a URL over 1 MB", inv, plainRequest("POST", longURL, "{}", "Host", inv),
			413, "RequestTooLargeException", urlTooLong},
		{"Invoke: headers over 2 MB", inv, plainRequest("POST", invokeDump, "{}", "Host", inv, "X-Big", bigHeader),
			413, "RequestTooLargeException", headerLarge},
		{"Invoke: a 9 MB body with Content-Length", inv, plainRequest("POST", invokeDump, body, "Host", inv),
			413, "RequestTooLargeException", bodyLarge},
		{"Invoke: a 9 MB chunked body", inv, chunked(invokeDump, inv),
			413, "RequestTooLargeException", bodyLarge},
		{"API: %zz in the path", api, plainRequest("GET", "/hello/%zz", "", "Host", api),
			400, "BadRequestException", apiBad},
		{"API: a URL over 1 MB", api, plainRequest("GET", "/hello/"+longName, "", "Host", api),
			413, "RequestTooLargeException", apiLarge},
		{"API: headers over 2 MB", api, plainRequest("GET", "/hello/Ada", "", "Host", api, "X-Big", bigHeader),
			413, "RequestTooLargeException", apiLarge},
		{"API: a 9 MB body with Content-Length", api, plainRequest("POST", "/echo", body, "Host", api),
			413, "RequestTooLargeException", apiLarge},
		{"API: a 9 MB chunked body", api, chunked("/echo", api),
			413, "RequestTooLargeException", apiLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, got := rawExchange(t, tc.addr, tc.request)
			if resp.StatusCode != tc.status || resp.Header.Get("X-Amzn-ErrorType") != tc.errType || got != tc.body {
				t.Fatalf("got %d %q %s\nwant %d %q %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), got, tc.status, tc.errType, tc.body)
			}
			if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Amzn-RequestId") == "" || !resp.Close {
				t.Errorf("not a JSON answer with a request id that closes the connection: %v", resp.Header)
			}
		})
	}
}
