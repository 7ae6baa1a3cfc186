package emulator_test

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
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/frescolabs/fresco/emulator"
)

// The egress tests share one fresco serving testdata/egress/template.yaml
// (the fetch, invoke-sibling and raw-ABI samples), whose host trusts a CA
// made here, signs with credentials made here, and counts a test server
// among the AWS endpoints it signs for.
var (
	egress       sharedServer
	egressLog    = &syncBuffer{}
	egressCA     = newCA()
	egressCreds  = aws.Credentials{AccessKeyID: "AKIDEGRESSHOST", SecretAccessKey: "egress-host-secret", SessionToken: "egress-host-token"}
	egressSigned = make(chan string, 16) // what the signing server found ("" when the signature holds)
	egressSigner = newSigningServer()
)

// egressTestCA is a CA and a server certificate for 127.0.0.1 it signed.
type egressTestCA struct {
	pool *x509.CertPool
	cert tls.Certificate
}

func newCA() *egressTestCA {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fresco egress test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	must(err)
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	must(err)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &egressTestCA{pool: pool, cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
}

// newSigningServer answers as Lambda's Invoke does ({"signed":true}), after
// checking that the request carries the host's signature, made with the
// same signer, and none of the guest's placeholders.
func newSigningServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		egressSigned <- checkSignature(r, body)
		if strings.Contains(string(body), "Action=GetCallerIdentity") {
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
				`<Arn>arn:aws:iam::123456789012:user/host</Arn><UserId>AIDHOST</UserId><Account>123456789012</Account>`+
				`</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"signed":true}`)
	}))
}

func checkSignature(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	if !strings.Contains(auth, "Credential="+egressCreds.AccessKeyID+"/") || r.Header.Get("X-Amz-Security-Token") != egressCreds.SessionToken {
		return fmt.Sprintf("not signed with the host's credentials: %q, token %q", auth, r.Header.Get("X-Amz-Security-Token"))
	}
	date, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "X-Amz-Date: " + err.Error()
	}
	// The scope the guest's SDK chose: its region and service.
	scope := strings.Split(strings.TrimPrefix(strings.Split(auth, ",")[0], "AWS4-HMAC-SHA256 Credential="), "/")
	if len(scope) != 5 {
		return "bad scope in " + auth
	}
	signed := strings.Split(strings.Split(strings.SplitN(auth, "SignedHeaders=", 2)[1], ",")[0], ";")
	again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	for _, h := range signed {
		switch h {
		case "host", "x-amz-date", "x-amz-security-token":
		case "content-length": // net/http's server keeps it out of Header
			again.ContentLength = r.ContentLength
			again.Header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
		default:
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), egressCreds, again, hex.EncodeToString(sum[:]), scope[3], scope[2], date); err != nil {
		return err.Error()
	}
	if want := again.Header.Get("Authorization"); auth != want {
		return fmt.Sprintf("signature mismatch:\n got %s\nwant %s", auth, want)
	}
	return ""
}

// startEgress starts the egress tests' fresco (once) and returns its URL.
func startEgress(t testing.TB) string {
	t.Helper()
	envVars := filepath.Join(t.TempDir(), "env.json")
	env := fmt.Sprintf(`{"InvokeSigned": {"AWS_ENDPOINT_URL_LAMBDA": %q}, "STS": {"AWS_ENDPOINT_URL_STS": %q}, "STSPlain": {"AWS_ENDPOINT_URL_STS": %q}}`, egressSigner.URL, egressSigner.URL, egressSigner.URL)
	if err := os.WriteFile(envVars, []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	return egress.start(t, emulator.Options{
		Template:     filepath.Join("testdata", "egress", "template.yaml"),
		EnvVars:      envVars,
		RootCAs:      egressCA.pool,
		Credentials:  credentials.NewStaticCredentialsProvider(egressCreds.AccessKeyID, egressCreds.SecretAccessKey, egressCreds.SessionToken),
		AWSEndpoints: []string{strings.TrimPrefix(egressSigner.URL, "http://")},
	}, egressLog)
}

func egressClient(t testing.TB) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(startEgress(t)),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

func invokeEgress(t *testing.T, c *lambda.Client, fn string, payload any) map[string]any {
	t.Helper()
	in, _ := json.Marshal(payload)
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: in})
	if err != nil {
		t.Fatalf("invoke %s: %v", fn, err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("%s answered %s: %v", fn, out.Payload, err)
	}
	if out.FunctionError != nil {
		got["functionError"] = *out.FunctionError
	}
	return got
}

// An unchanged aws-lambda-go handler calls a loopback server with
// net/http's default client, over HTTP and over HTTPS (HTTP/2, a test CA
// the host trusts); the allow-list in its Metadata refuses what it does not
// name.
func TestEgressUnchangedGoHandler(t *testing.T) {
	c := egressClient(t)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello over %s", r.Proto)
	})
	plain := httptest.NewServer(handler)
	defer plain.Close()
	secure := httptest.NewUnstartedServer(handler)
	secure.EnableHTTP2 = true
	secure.TLS = &tls.Config{Certificates: []tls.Certificate{egressCA.cert}}
	secure.StartTLS()
	defer secure.Close()

	for _, tc := range []struct{ url, want string }{
		{plain.URL + "/x", "hello over HTTP/1.1"},
		{secure.URL + "/y", "hello over HTTP/2.0"},
	} {
		got := invokeEgress(t, c, "Fetch", map[string]string{"url": tc.url})
		if got["status"] != 200.0 || got["body"] != tc.want || got["contentType"] != "text/plain" {
			t.Errorf("Fetch %s: %v, want status 200, body %q", tc.url, got, tc.want)
		}
	}
	got := invokeEgress(t, c, "FetchLocalOnly", map[string]string{"url": plain.URL})
	if msg, _ := got["errorMessage"].(string); !strings.Contains(msg, "refused by the egress policy") || !strings.Contains(msg, "not in the function's AllowedHosts") {
		t.Errorf("FetchLocalOnly to 127.0.0.1: %v, want a refusal by the allow-list", got)
	}
	got = invokeEgress(t, c, "Fetch", map[string]string{"url": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"})
	if msg, _ := got["errorMessage"].(string); !strings.Contains(msg, "instance-metadata address") {
		t.Errorf("Fetch of the metadata address: %v, want a refusal", got)
	}
}

// An aws-sdk-go-v2 Lambda client inside a function invokes a sibling
// through this fresco (AWS_ENDPOINT_URL_LAMBDA), unchanged.
func TestEgressSDKInvokesSibling(t *testing.T) {
	c := egressClient(t)
	got := invokeEgress(t, c, "InvokeSibling", map[string]any{"function": "Hello", "payload": map[string]string{"name": "Ada"}})
	payload, _ := got["payload"].(map[string]any)
	if got["statusCode"] != 200.0 || payload["message"] != "Hello, Ada!" {
		t.Fatalf("InvokeSibling: %v, want Hello's answer", got)
	}
}

// The guest's SDK signs with the placeholders of its environment; the
// request reaches the server signed with the host's credentials, checked
// there with the same signer.
func TestEgressHostSigns(t *testing.T) {
	c := egressClient(t)
	got := invokeEgress(t, c, "InvokeSigned", map[string]any{"function": "Anything", "payload": map[string]string{}})
	payload, _ := got["payload"].(map[string]any)
	if got["statusCode"] != 200.0 || payload["signed"] != true {
		t.Fatalf("InvokeSigned: %v", got)
	}
	select {
	case problem := <-egressSigned:
		if problem != "" {
			t.Fatal(problem)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the signing server saw no request")
	}
}

// The raw-ABI sample (WAT) fetches through fresco_http: its event, a JSON
// string, is the URL.
func TestEgressRawABI(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "raw ok") }))
	defer srv.Close()
	c := egressClient(t)
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("RawFetch"), Payload: []byte(`"` + srv.URL + `/"`)})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out.Payload); !strings.HasPrefix(s, "200\n") || !strings.HasSuffix(s, "\n\nraw ok") {
		t.Fatalf("RawFetch: %q", s)
	}
}

// The C sample on the raw ABI puts the cache in front of a GET: the first
// call of a URL reaches the server, the next ones are answered from the
// cache (its value's buffer posted as the response), until the TTL ends;
// a refused connection fails with the errno's name and the host's message.
func TestEgressCGuestCacheAndBuffers(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "c says \"hi\"\n")
	}))
	defer srv.Close()
	c := egressClient(t)
	call := func(in map[string]any) map[string]any {
		t.Helper()
		return invokeEgress(t, c, "CFetch", in)
	}
	url := srv.URL + "/c?" + t.Name()
	want := map[string]any{"source": "origin", "status": float64(200), "body": "c says \"hi\"\n"}
	if got := call(map[string]any{"url": url, "ttl_ms": 300}); !reflect.DeepEqual(got, want) {
		t.Fatalf("first call: %v, want %v", got, want)
	}
	want["source"] = "cached"
	for range 3 {
		if got := call(map[string]any{"url": url}); !reflect.DeepEqual(got, want) {
			t.Fatalf("cached call: %v, want %v", got, want)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("the server saw %d requests, want 1 (the rest from the cache)", n)
	}
	// After the TTL the next call goes to the origin again.
	deadline := time.Now().Add(10 * time.Second)
	for hits.Load() == 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		call(map[string]any{"url": url})
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("after the TTL the server saw %d requests, want 2", n)
	}

	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	got := call(map[string]any{"url": closed})
	if got["functionError"] != "Unhandled" || got["errorType"] != "HTTP.Connect" || !strings.Contains(fmt.Sprint(got["errorMessage"]), "refused") {
		t.Fatalf("refused connection: %v", got)
	}
	if got := call(map[string]any{"nope": 1}); got["errorType"] != "InvalidEvent" {
		t.Fatalf("no url: %v", got)
	}
}

// A function invokes its siblings directly (hosthttp.Invoke, the
// fresco_http invoke call): synchronously, with a function error, an
// unknown name, and as an Event.
func TestEgressDirectInvoke(t *testing.T) {
	c := egressClient(t)
	for _, tc := range []struct {
		name     string
		in       map[string]any
		status   float64
		funcErr  string
		contains string
	}{
		{"sync", map[string]any{"function": "Hello", "payload": map[string]string{"name": "Ada"}}, 200, "", `Hello, Ada!`},
		{"qualified", map[string]any{"function": "Hello:$LATEST", "payload": map[string]string{"name": "Bo"}}, 200, "", `Hello, Bo!`},
		{"function error", map[string]any{"function": "Fail", "payload": map[string]string{}}, 200, "Unhandled", `ValidationError`},
		{"unknown", map[string]any{"function": "Nope", "payload": map[string]string{}}, 404, "", `ResourceNotFoundException`},
		{"event", map[string]any{"function": "Hello", "payload": map[string]string{"name": "Cy"}, "event": true}, 202, "", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := invokeEgress(t, c, "Direct", tc.in)
			b, _ := json.Marshal(got["payload"])
			if got["statusCode"] != tc.status || (got["functionError"] != nil && got["functionError"] != tc.funcErr) || (tc.funcErr != "" && got["functionError"] != tc.funcErr) || !strings.Contains(string(b), tc.contains) {
				t.Errorf("Direct %v: %v, want status %v, function error %q, payload with %q", tc.in, got, tc.status, tc.funcErr, tc.contains)
			}
		})
	}
}

// Any other aws-sdk-go-v2 client goes through the host with one option,
// config.WithHTTPClient(hosthttp.Client()), and is signed by the host too.
func TestEgressSDKWithHTTPClientOption(t *testing.T) { testEgressSTS(t, "STS") }

// An unchanged aws-sdk-go-v2 client, with no option and no fresco import,
// goes through the host too: the build routes the SDK's own HTTP client
// (emulator/build/awssdk.go), and the host signs.
func TestEgressSDKUnchanged(t *testing.T) { testEgressSTS(t, "STSPlain") }

func testEgressSTS(t *testing.T, fn string) {
	c := egressClient(t)
	for len(egressSigned) > 0 {
		<-egressSigned
	}
	got := invokeEgress(t, c, fn, map[string]string{})
	if got["account"] != "123456789012" {
		t.Fatalf("%s: %v", fn, got)
	}
	// config.LoadDefaultConfig ran in init, and the snapshot is still on.
	ready := regexp.MustCompile(`msg="function ready" function=` + fn + ` .*snapshot=true`)
	if !ready.MatchString(egressLog.String()) {
		t.Errorf("%s was not loaded with a snapshot:\n%s", fn, egressLog.String())
	}
	select {
	case problem := <-egressSigned:
		if problem != "" {
			t.Fatal(problem)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the signing server saw no request")
	}
}
