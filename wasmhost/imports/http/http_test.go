package http_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/wasmhost"
	httpimport "github.com/frescolabs/fresco/wasmhost/imports/http"
)

// testCA is a certificate authority made for the tests, and a server
// certificate for 127.0.0.1 it signed.
type testCA struct {
	pool *x509.CertPool
	cert tls.Certificate
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fresco test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &testCA{pool: pool, cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
}

// server is a loopback test server that counts the connections it
// accepts.
type server struct {
	*httptest.Server
	conns atomic.Int64
}

func newServer(t testing.TB, h nethttp.Handler, ca *testCA) *server {
	t.Helper()
	s := &server{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st nethttp.ConnState) {
		if st == nethttp.StateNew {
			s.conns.Add(1)
		}
	}
	if ca != nil {
		s.EnableHTTP2 = true
		s.TLS = &tls.Config{Certificates: []tls.Certificate{ca.cert}}
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

var fetchWasm = func() []byte {
	b, err := os.ReadFile("testdata/fetch.wasm")
	if err != nil {
		panic(err)
	}
	return b
}()

func newHost(t testing.TB, cfg httpimport.Config) *wasmhost.Host {
	t.Helper()
	return newHostVerify(t, cfg, true)
}

// newHostVerify returns a host; verify checks every reset against the
// image (the many-invocation test does without: it doubles a reset's cost).
func newHostVerify(t testing.TB, cfg httpimport.Config, verify bool) *wasmhost.Host {
	t.Helper()
	h, err := wasmhost.New(wasmhost.Config{HTTP: cfg, VerifyResets: verify})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

func load(t testing.TB, h *wasmhost.Host, cfg wasmhost.FunctionConfig) *wasmhost.Module {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "fetch"
	}
	m, err := h.Load(context.Background(), cfg, fetchWasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

var reqN atomic.Int64

func call(t testing.TB, m *wasmhost.Module, event string) string {
	t.Helper()
	res := m.Invoke(context.Background(), &invoke.Request{RequestID: fmt.Sprint("r", reqN.Add(1)), Payload: []byte(event)})
	if res.Kind != invoke.Success {
		t.Fatalf("invocation failed: %s %s\n%s", res.ErrorType, res.Payload, res.Log)
	}
	return string(res.Payload)
}

func hello(w nethttp.ResponseWriter, r *nethttp.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Proto", r.Proto)
	w.Header().Set("X-Test", r.Header.Get("X-Test"))
	fmt.Fprintf(w, "hello %s %s body=%q", r.Method, r.URL.Path, body)
}

func TestFetchOverHTTPAndHTTPS(t *testing.T) {
	ca := newTestCA(t)
	plain := newServer(t, nethttp.HandlerFunc(hello), nil)
	secure := newServer(t, nethttp.HandlerFunc(hello), ca)
	m := load(t, newHost(t, httpimport.Config{RootCAs: ca.pool}), wasmhost.FunctionConfig{})
	for _, tc := range []struct {
		name, event, want, proto string
	}{
		{"http GET", "GET " + plain.URL + "/a\nX-Test: one\n", `hello GET /a body=""`, "HTTP/1.1"},
		{"https GET", "GET " + secure.URL + "/b\nX-Test: two\n", `hello GET /b body=""`, "HTTP/2.0"},
		{"https POST", "POST " + secure.URL + "/c\nX-Test: three\n--\npayload", `hello POST /c body="payload"`, "HTTP/2.0"},
		{"a JSON string", `"` + plain.URL + `/d"`, `hello GET /d body=""`, "HTTP/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := call(t, m, tc.event)
			head, body, ok := strings.Cut(got, "\n\n")
			if !ok || !strings.HasPrefix(head, "200\n") || body != tc.want {
				t.Fatalf("answer %q, want head 200 and body %q", got, tc.want)
			}
			if !strings.Contains(head, "X-Proto: "+tc.proto) || !strings.Contains(head, "X-Test: ") {
				t.Errorf("head %q lacks X-Proto: %s or the echoed header", head, tc.proto)
			}
		})
	}
	made, reused, discarded := m.SnapshotStats()
	if reused == 0 || discarded != 0 {
		t.Errorf("snapshot instances: made %d, reused %d, discarded %d; the host calls must keep instances resettable", made, reused, discarded)
	}
}

func TestErrorsSayWhatHappened(t *testing.T) {
	ca := newTestCA(t)
	secure := newServer(t, nethttp.HandlerFunc(hello), ca)
	// A port nobody listens on: a listener closed at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	slow := newServer(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}), nil)
	// The host trusts only the system's roots: the test CA is unknown.
	m := load(t, newHost(t, httpimport.Config{}), wasmhost.FunctionConfig{Timeout: 500 * time.Millisecond})
	for _, tc := range []struct{ name, event, want string }{
		{"connection refused", "GET http://" + closed + "/\n", "ERR 02 GET http://" + closed + "/: connection refused"},
		{"tls", "GET " + secure.URL + "/\n", "ERR 05 GET " + secure.URL + "/: TLS failure"},
		{"bad head", "GET\n", `ERR 08 request head: first line "GET" is not "METHOD URL"`},
		{"bad scheme", "GET ftp://127.0.0.1/\n", `ERR 08 request head: URL "ftp://127.0.0.1/" is not http or https`},
		{"timeout", "GET " + slow.URL + "/\n", "ERR 04 GET " + slow.URL + "/: the invocation's deadline passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := m.Invoke(context.Background(), &invoke.Request{RequestID: tc.name, Payload: []byte(tc.event)})
			if tc.name == "timeout" && res.Kind == invoke.Timeout {
				return // the guest was stopped at the deadline before it answered
			}
			if res.Kind != invoke.Success || !strings.HasPrefix(string(res.Payload), tc.want) {
				t.Fatalf("answer %s %q, want one starting %q", res.ErrorType, res.Payload, tc.want)
			}
		})
	}
}

func TestAllowList(t *testing.T) {
	plain := newServer(t, nethttp.HandlerFunc(hello), nil)
	port := plain.Listener.Addr().(*net.TCPAddr).Port
	h := newHost(t, httpimport.Config{})
	allowed := load(t, h, wasmhost.FunctionConfig{Name: "allowed", AllowedHosts: []string{fmt.Sprintf("127.0.0.1:%d", port)}})
	other := load(t, h, wasmhost.FunctionConfig{Name: "other", AllowedHosts: []string{"*.example.com", "127.0.0.1:1"}})
	open := load(t, h, wasmhost.FunctionConfig{Name: "open"})
	get := "GET " + plain.URL + "/\n"
	if got := call(t, allowed, get); !strings.HasPrefix(got, "200\n") {
		t.Errorf("allowed host: %q", got)
	}
	if got := call(t, other, get); !strings.HasPrefix(got, fmt.Sprintf("ERR 01 refused by the egress policy: 127.0.0.1:%d is not in the function's AllowedHosts", port)) {
		t.Errorf("host not in the list: %q", got)
	}
	// The instance-metadata addresses, even with no list, and whatever the
	// port; no connection is tried (the refusal comes first).
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/api/token", "http://[::ffff:169.254.169.254]:8080/"} {
		if got := call(t, open, "GET "+u+"\n"); !strings.HasPrefix(got, "ERR 01 refused by the egress policy: ") || !strings.Contains(got, "instance-metadata") {
			t.Errorf("%s: %q", u, got)
		}
	}
	// A server-wide list bounds every function, whatever its own says.
	strict := newHost(t, httpimport.Config{AllowedHosts: []string{"localhost"}})
	if got := call(t, load(t, strict, wasmhost.FunctionConfig{}), get); !strings.HasPrefix(got, "ERR 01 refused by the egress policy: ") || !strings.Contains(got, "server's allowed hosts") {
		t.Errorf("server-wide list: %q", got)
	}
	if _, err := h.Load(context.Background(), wasmhost.FunctionConfig{Name: "bad", AllowedHosts: []string{"https://example.com"}}, fetchWasm); err == nil || !strings.Contains(err.Error(), "give a host, not a URL") {
		t.Errorf("a URL in AllowedHosts: %v", err)
	}
}

// 10,000 invocations, one after another, reuse the host's pooled connections:
// the server sees at most four.
func TestConnectionReuse(t *testing.T) {
	plain := newServer(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) { io.WriteString(w, "ok") }), nil)
	m := load(t, newHostVerify(t, httpimport.Config{}, false), wasmhost.FunctionConfig{})
	const n, workers = 10_000, 1
	event := "GET " + plain.URL + "/\n"
	var wg sync.WaitGroup
	var bad atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/workers; i++ {
				res := m.Invoke(context.Background(), &invoke.Request{RequestID: "reuse", Payload: []byte(event)})
				if res.Kind != invoke.Success || !strings.HasSuffix(string(res.Payload), "\n\nok") {
					if bad.Add(1) == 1 {
						t.Errorf("invocation: %s %q", res.ErrorType, res.Payload)
					}
				}
			}
		}()
	}
	wg.Wait()
	if c := plain.conns.Load(); c > 4 || c == 0 {
		t.Errorf("%d invocations used %d connections, want 1..4", n, c)
	}
	t.Logf("%d invocations on %d connections", n, plain.conns.Load())
}

// A response the guest leaves open is closed when its invocation ends:
// the server sees its request end.
func TestOpenResponseClosedAtEnd(t *testing.T) {
	ended := make(chan struct{}, 1)
	srv := newServer(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Write([]byte(strings.Repeat("x", 1024)))
		w.(nethttp.Flusher).Flush()
		<-r.Context().Done()
		ended <- struct{}{}
	}), nil)
	m := load(t, newHost(t, httpimport.Config{}), wasmhost.FunctionConfig{})
	call(t, m, "!GET "+srv.URL+"/stream\n")
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the response the guest left open was not closed when its invocation ended")
	}
	// The next invocation, on the same instance reset, finds no handle 1.
	if got := call(t, m, "?"); got != "ERR 07 response_head: no open response 1" {
		t.Errorf("the next invocation asked for response 1: %q", got)
	}
	if made, reused, _ := m.SnapshotStats(); reused == 0 {
		t.Errorf("made %d, reused %d: the second invocation did not run on a reset instance", made, reused)
	}
}

// What the host holds for a guest counts against its memory: a response
// head larger than what the function's memory leaves is refused.
func TestHeldBytesCountAgainstMemory(t *testing.T) {
	srv := newServer(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("X-Big", strings.Repeat("a", 950<<10))
		io.WriteString(w, "ok")
	}), nil)
	// 1 MB, of which the guest's memory takes 128 KB.
	m := load(t, newHost(t, httpimport.Config{}), wasmhost.FunctionConfig{MemoryMB: 1})
	if got := call(t, m, "GET "+srv.URL+"/\n"); !strings.HasPrefix(got, "ERR 06 response head of ") || !strings.Contains(got, "does not fit in the function's memory") {
		t.Errorf("a 950 KB head for a 1 MB function: %q", truncate(got))
	}
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// A request to an AWS endpoint reaches it signed with the host's
// credentials: the server checks the signature with the same signer, and
// sees nothing of the guest's placeholders.
func TestSignedWithHostCredentials(t *testing.T) {
	hostCreds := aws.Credentials{AccessKeyID: "AKIDHOSTTEST", SecretAccessKey: "host-secret", SessionToken: "host-token"}
	results := make(chan sigCheck, 1)
	srv := newServer(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		body, _ := io.ReadAll(r.Body)
		results <- verify(r, body, hostCreds)
		io.WriteString(w, "{}")
	}), nil)
	h := newHost(t, httpimport.Config{
		Credentials:  credentials.NewStaticCredentialsProvider(hostCreds.AccessKeyID, hostCreds.SecretAccessKey, hostCreds.SessionToken),
		AWSEndpoints: []string{srv.Listener.Addr().String()},
	})
	m := load(t, h, wasmhost.FunctionConfig{})
	event := "POST " + srv.URL + "/2015-03-31/functions/x/invocations\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=" + wasmhost.PlaceholderCredentials["AWS_ACCESS_KEY_ID"] + "/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000\n" +
		"X-Amz-Date: 20260101T000000Z\nX-Amz-Security-Token: fresco-placeholder\n--\n{\"a\":1}"
	if got := call(t, m, event); !strings.HasPrefix(got, "200\n") {
		t.Fatalf("answer %q", got)
	}
	if s := <-results; !s.ok {
		t.Fatal(s.detail)
	}
}

// sigCheck is what the signing test's server found.
type sigCheck struct {
	ok     bool
	detail string
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func verify(r *nethttp.Request, body []byte, creds aws.Credentials) (res sigCheck) {
	auth := r.Header.Get("Authorization")
	if strings.Contains(auth, "FRESCOPLACEHOLDR") || r.Header.Get("X-Amz-Security-Token") != creds.SessionToken {
		res.detail = fmt.Sprintf("server saw the guest's credentials: %q, token %q", auth, r.Header.Get("X-Amz-Security-Token"))
		return res
	}
	date, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		res.detail = "no X-Amz-Date: " + err.Error()
		return res
	}
	// Sign the same request again with the host's credentials and the
	// request's time: the signatures must match.
	again := r.Clone(context.Background())
	again.URL.Scheme, again.URL.Host = "http", r.Host
	again.Header.Del("Authorization")
	again.Header.Del("X-Amz-Security-Token")
	again.Header.Del("X-Amz-Date")
	// The headers the transport added after signing are not signed.
	for _, h := range []string{"Accept-Encoding", "User-Agent"} {
		again.Header.Del(h)
	}
	sum := sha256Hex(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, sum, "lambda", "eu-west-1", date); err != nil {
		res.detail = err.Error()
		return res
	}
	if got, want := auth, again.Header.Get("Authorization"); got != want {
		res.detail = fmt.Sprintf("signature mismatch:\n got %s\nwant %s", got, want)
		return res
	}
	res.ok = true
	return res
}

// The invoke call runs a function through the host's Invoker (here, a
// real module: wasmhost's echo fixture) and reads its answer like the
// Invoke API's; an Event is accepted with 202, an unknown function is the
// service's 404, and a host with no invoker says so.
func TestDirectInvoke(t *testing.T) {
	echoWasm, err := os.ReadFile("../../testdata/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	invokeWasm, err := os.ReadFile("testdata/invoke.wasm")
	if err != nil {
		t.Fatal(err)
	}
	var echo *wasmhost.Module
	var calls []string
	h := newHost(t, httpimport.Config{Invoke: func(ctx context.Context, caller, name string, payload []byte, async bool) (*invoke.Result, error) {
		calls = append(calls, fmt.Sprintf("%s->%s async=%v", caller, name, async))
		if name != "Echo" {
			return nil, invoke.NotFound("Function not found: %s", name)
		}
		if async {
			return &invoke.Result{}, nil
		}
		return echo.Invoke(ctx, &invoke.Request{RequestID: "inner", Payload: payload}), nil
	}})
	echo, err = h.Load(context.Background(), wasmhost.FunctionConfig{Name: "Echo"}, echoWasm)
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close(context.Background())
	m, err := h.Load(context.Background(), wasmhost.FunctionConfig{Name: "Caller"}, invokeWasm)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	for _, tc := range []struct{ event, want string }{
		{"0Echo\n{\"a\":1}", "200\n\n{\"a\":1}"},
		{"1Echo\n{}", "202\n\n"},
		{"0Nope\n{}", "404\nX-Amzn-Errortype: ResourceNotFoundException\n\n{\"Type\":\"ResourceNotFoundException\",\"message\":\"Function not found: Nope\"}"},
	} {
		if got := call(t, m, tc.event); got != tc.want {
			t.Errorf("event %q: %q, want %q", tc.event, got, tc.want)
		}
	}
	if want := "Caller->Echo async=false Caller->Echo async=true Caller->Nope async=false"; strings.Join(calls, " ") != want {
		t.Errorf("invoker calls %q, want %q", calls, want)
	}
	m2, err := newHost(t, httpimport.Config{}).Load(context.Background(), wasmhost.FunctionConfig{Name: "Caller"}, invokeWasm)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close(context.Background())
	if got := call(t, m2, "0Echo\n{}"); got != "ERR 12 this host cannot invoke functions directly" {
		t.Errorf("no invoker: %q", got)
	}
}
