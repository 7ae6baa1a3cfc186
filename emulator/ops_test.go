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
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/server"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// shellTemplate writes a template of bash Runtime API functions (the
// ShellHello sample's bootstrap, which loads no wasm: the server starts in
// moments) into a test directory: Hello greets as the sample does, Sleep
// sleeps 3 s first. It returns the template's path.
func shellTemplate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sample, _ := filepath.Abs(filepath.Join("..", "samples", "shellhello"))
	bootstrap, err := os.ReadFile(filepath.Join(sample, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	sleepDir := filepath.Join(dir, "sleep")
	os.Mkdir(sleepDir, 0o755)
	os.WriteFile(filepath.Join(sleepDir, "bootstrap"), bootstrap, 0o755)
	os.WriteFile(filepath.Join(sleepDir, "sleep.sh"), []byte("handler() {\n\tsleep 3\n\tprintf '{\"slept_ms\":3000}'\n}\n"), 0o644)
	tmpl := fmt.Sprintf(`AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 30
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: %s
      Handler: hello.handler
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: GET
  Sleep:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: %s
      Handler: sleep.handler
`, sample, sleepDir)
	path := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveOps runs a fresco of its own on the repository's template (only
// the functions named), with cfg's addresses defaulting to free loopback
// ports, and stops it when the test ends.
func serveOps(t *testing.T, template string, only []string, maxConc int, cfg server.Config) server.Addrs {
	t.Helper()
	a, _ := serveOpsWith(t, emulator.Options{Template: template, Only: only, MaxConcurrency: maxConc}, cfg)
	return a
}

// serveOpsWith is serveOps with opts (its logs set here, and returned).
func serveOpsWith(t *testing.T, opts emulator.Options, cfg server.Config) (server.Addrs, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	out := io.Writer(logs)
	if testing.Verbose() {
		out = io.MultiWriter(logs, os.Stderr)
	}
	opts.Logger = slog.New(slog.NewTextHandler(out, nil))
	opts.FunctionLog, opts.BuildOutput = out, out
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	ready := make(chan server.Addrs, 1)
	cfg.Ready = func(a server.Addrs) { ready <- a }
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- server.ServeWith(ctx, opts, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServeWith: %v", err)
		}
	})
	select {
	case a := <-ready:
		return a, logs
	case err := <-served:
		served <- nil
		t.Fatalf("ServeWith: %v\n%s", err, logs.String())
	case <-time.After(15 * time.Minute):
		t.Fatal("fresco did not start")
	}
	return server.Addrs{}, logs
}

// scrape reads the admin listener's /metrics, checks the exposition with
// promtool (Debian's prometheus package; .ci/run installs it), and
// returns the families.
func scrape(t *testing.T, admin string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	promtool := need(t, "promtool")
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = strings.NewReader(string(body))
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// value is the value of the counter, gauge or histogram count of family
// whose labels include labels ("k=v" pairs), 0 when there is none.
func value(families map[string]*dto.MetricFamily, family string, labels ...string) float64 {
	f := families[family]
	if f == nil {
		return 0
	}
	var sum float64
next:
	for _, m := range f.Metric {
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// eventually waits for cond, failing the test after two minutes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// invokeHTTP posts payload to function's Invoke API at base and returns
// the status, X-Amz-Function-Error and body.
func invokeHTTP(t *testing.T, base, function, payload string, header ...string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/2015-03-31/functions/"+function+"/invocations", strings.NewReader(payload))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"), string(b)
}

// TestMetricsAfterInvocationMix runs a known mix of invocations (ok,
// function errors, an Event, a timeout, a throttle), scrapes /metrics and
// asserts the counts; promtool checks the exposition.
func TestMetricsAfterInvocationMix(t *testing.T) {
	a := serveOps(t, filepath.Join("..", "template.yaml"), []string{"Hello", "Fail", "Sleep"}, 1, server.Config{AdminAddr: "127.0.0.1:0"})
	base := "http://" + a.Invoke
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + a.Admin + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}

	okHello := 0
	for range 3 {
		if status, fe, body := invokeHTTP(t, base, "Hello", `{"name":"metrics"}`); status != 200 || fe != "" {
			t.Fatalf("Hello: %d %s %s", status, fe, body)
		}
		okHello++
	}
	for range 2 {
		if status, fe, body := invokeHTTP(t, base, "Fail", `{}`); status != 200 || fe != "Unhandled" {
			t.Fatalf("Fail: %d %s %s", status, fe, body)
		}
	}
	if status, _, body := invokeHTTP(t, base, "Hello", `{"name":"event"}`, "X-Amz-Invocation-Type", "Event"); status != 202 {
		t.Fatalf("Event: %d %s", status, body)
	}
	// The Event runs on its own; wait until it is counted.
	eventually(t, "the Event to be counted", func() bool {
		return value(scrape(t, a.Admin), "fresco_invocations_total", "function=Hello", "type=Event") == 1
	})

	// A timeout (Sleep's Timeout is 2 s) holds the only slot
	// (MaxConcurrency 1) while Hello is refused. Whichever gets the slot
	// first, the client counts what it was answered.
	throttled, throttledSleep := 0, 0
	for throttled == 0 {
		slept := make(chan string, 1)
		go func() {
			status, fe, body := invokeHTTP(t, base, "Sleep", `{"ms":5000}`)
			slept <- fmt.Sprint(status, " ", fe, " ", body)
		}()
		sleepDone := ""
		for throttled == 0 && sleepDone == "" {
			status, _, body := invokeHTTP(t, base, "Hello", `{"name":"throttle"}`)
			switch status {
			case 429:
				throttled++
			case 200:
				okHello++ // Sleep did not hold the slot
			default:
				t.Fatalf("Hello during Sleep: %d %s", status, body)
			}
			select {
			case sleepDone = <-slept:
			default:
			}
		}
		if sleepDone == "" {
			sleepDone = <-slept
		}
		switch {
		case strings.HasPrefix(sleepDone, "429 "):
			throttledSleep++ // Hello held the slot: try again
		case !strings.HasPrefix(sleepDone, "200 Unhandled ") || !strings.Contains(sleepDone, "Sandbox.Timedout"):
			t.Fatalf("Sleep: %s", sleepDone)
		case throttled == 0:
			t.Fatalf("Sleep timed out and no Hello was refused meanwhile")
		}
	}

	m := scrape(t, a.Admin)
	for _, c := range []struct {
		family string
		labels []string
		want   float64
	}{
		{"fresco_invocations_total", []string{"function=Hello", "type=RequestResponse"}, float64(okHello)},
		{"fresco_invocations_total", []string{"function=Hello", "type=Event"}, 1},
		{"fresco_invocations_total", []string{"function=Fail", "type=RequestResponse"}, 2},
		{"fresco_invocations_total", []string{"function=Sleep"}, 1},
		{"fresco_invocation_errors_total", []string{"function=Fail", "error_type=Unhandled"}, 2},
		{"fresco_invocation_errors_total", []string{"function=Sleep", "error_type=Sandbox.Timedout"}, 1},
		{"fresco_invocation_errors_total", []string{"function=Hello"}, 0},
		{"fresco_throttles_total", []string{"function=Hello"}, 1},
		{"fresco_throttles_total", []string{"function=Sleep"}, float64(throttledSleep)},
		{"fresco_invocation_duration_seconds", []string{"function=Hello"}, float64(okHello + 1)},
		{"fresco_invocation_duration_seconds", []string{"function=Fail"}, 2},
		{"fresco_http_requests_total", []string{"surface=invoke", "code=200"}, float64(okHello + 2 + 1)},
		{"fresco_http_requests_total", []string{"surface=invoke", "code=202"}, 1},
		{"fresco_http_requests_total", []string{"surface=invoke", "code=429"}, float64(1 + throttledSleep)},
		{"fresco_http_requests_in_flight", []string{"surface=invoke"}, 0},
		{"fresco_reset_mechanism_info", nil, 1},
		{"fresco_functions_loaded", nil, 3},
		{"fresco_event_queue_held", nil, 0},
		{"fresco_event_queue_claimed_total", nil, 0},
	} {
		if got := value(m, c.family, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
	// Every Hello ran on an instance made from its snapshot or reset to it:
	// wasmhost's own counters, read at scrape time.
	if got := value(m, "fresco_instances_made_total", "function=Hello") + value(m, "fresco_instances_reused_total", "function=Hello"); got < float64(okHello+1) {
		t.Errorf("Hello instances made+reused = %v, want at least %d", got, okHello+1)
	}
	if value(m, "fresco_ready_memory_limit_bytes") <= 0 {
		t.Error("fresco_ready_memory_limit_bytes is not set")
	}
	t.Logf("mix: %d Hello ok, 1 Hello Event, 2 Fail, 1 Sleep timeout, %d Hello and %d Sleep throttled", okHello, throttled, throttledSleep)
}

// testCA writes a CA and a server certificate for 127.0.0.1 and localhost
// signed by it into dir; it returns the paths of the CA, the certificate
// and its key.
func testCA(t *testing.T, dir string) (caPath, certPath, keyPath string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fresco test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", leafDER), write("key.pem", "EC PRIVATE KEY", keyDER)
}

// boto3SigV4Script invokes Hello over HTTPS with the credentials of its
// environment and prints the payload, or the error code.
const boto3SigV4Script = `
import sys, boto3, botocore
c = boto3.client("lambda", endpoint_url=sys.argv[1], verify=sys.argv[2],
                 config=botocore.config.Config(retries={"max_attempts": 1}))
try:
    print(c.invoke(FunctionName="Hello", Payload=b'{"name":"boto3"}')["Payload"].read().decode())
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
`

// TestSigV4Clients: with --auth-credentials and TLS from a test CA, the
// aws CLI, boto3 and aws-sdk-go-v2 sign for real and are answered; a wrong
// secret, an unknown key, a stale X-Amz-Date and no signature at all are
// refused with AWS's errors.
func TestSigV4Clients(t *testing.T) {
	dir := t.TempDir()
	caPath, certPath, keyPath := testCA(t, dir)
	credsPath := filepath.Join(dir, "credentials")
	os.WriteFile(credsPath, []byte("[default]\naws_access_key_id = AKIDFRESCO\naws_secret_access_key = secret\n\n[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = ops-secret\n"), 0o600)
	creds, err := edge.LoadCredentials(credsPath)
	if err != nil {
		t.Fatal(err)
	}
	a := serveOps(t, shellTemplate(t), []string{"Hello"}, 0, server.Config{
		Credentials: creds, TLSCert: certPath, TLSKey: keyPath, APIAddr: "127.0.0.1:0",
	})
	url := "https://" + a.Invoke

	aws_ := need(t, "aws")
	cli := func(env []string, args ...string) (string, error) {
		out := filepath.Join(t.TempDir(), "out.json")
		cmd := exec.Command(aws_, append([]string{"--endpoint-url", url, "lambda", "invoke", "--function-name", "Hello"}, append(args, out)...)...)
		cmd.Env = append(append(clientEnv(t), "AWS_CA_BUNDLE="+caPath), env...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return stderr.String(), err
		}
		b, _ := os.ReadFile(out)
		return string(b), nil
	}
	version, _ := exec.Command(aws_, "--version").Output()
	raw := []string{}
	if !strings.HasPrefix(string(version), "aws-cli/1.") {
		raw = []string{"--cli-binary-format", "raw-in-base64-out"}
	}
	payload := append(raw, "--payload", `{"name":"CLI"}`)
	boto := func(env ...string) string {
		cmd := exec.Command(need(t, "python3"), "-c", boto3SigV4Script, url, caPath)
		cmd.Env = append(clientEnv(t), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("boto3: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(caPath)
	pool.AppendCertsFromPEM(caPEM)
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	sdk := func(id, secret string) error {
		c := lambda.New(lambda.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: httpClient, RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		})
		out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Hello"), Payload: []byte(`{"name":"SDK"}`)})
		if err == nil && string(out.Payload) != `{"message":"Hello, SDK!"}` {
			return fmt.Errorf("payload %s", out.Payload)
		}
		return err
	}
	errorCode := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return fmt.Sprint(err)
	}
	// raw signs a request with aws-sdk-go-v2's signer at a chosen time.
	rawAt := func(at time.Time, host ...string) (int, string) {
		body := `{"name":"raw"}`
		req, _ := http.NewRequest("POST", url+"/2015-03-31/functions/Hello/invocations", strings.NewReader(body))
		if len(host) > 0 {
			req.Host = host[0]
		}
		sum := sha256.Sum256([]byte(body))
		v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDOPS", SecretAccessKey: "ops-secret"},
			req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", at)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType") + " " + string(b)
	}

	type row struct {
		name, want string
		got        func() string
	}
	rows := []row{
		{"aws CLI, default profile", `{"message":"Hello, CLI!"}`, func() string { out, _ := cli(nil, payload...); return out }},
		{"aws CLI, second profile", `{"message":"Hello, CLI!"}`, func() string {
			out, _ := cli([]string{"AWS_ACCESS_KEY_ID=AKIDOPS", "AWS_SECRET_ACCESS_KEY=ops-secret"}, payload...)
			return out
		}},
		{"aws CLI, no payload", "200", func() string {
			_, err := cli(nil)
			if err != nil {
				return err.Error()
			}
			return "200"
		}},
		{"aws CLI, wrong secret", "InvalidSignatureException", func() string { out, _ := cli([]string{"AWS_SECRET_ACCESS_KEY=wrong"}, payload...); return out }},
		{"aws CLI, unknown key", "UnrecognizedClientException", func() string { out, _ := cli([]string{"AWS_ACCESS_KEY_ID=AKIDNOBODY"}, payload...); return out }},
		{"aws CLI, --no-sign-request", "MissingAuthenticationTokenException", func() string { out, _ := cli(nil, append(payload, "--no-sign-request")...); return out }},
		{"boto3", `{"message":"Hello, boto3!"}`, func() string { return boto() }},
		{"boto3, wrong secret", "InvalidSignatureException", func() string { return boto("AWS_SECRET_ACCESS_KEY=wrong") }},
		{"boto3, unknown key", "UnrecognizedClientException", func() string { return boto("AWS_ACCESS_KEY_ID=AKIDNOBODY") }},
		{"aws-sdk-go-v2", "<nil>", func() string { return fmt.Sprint(sdk("AKIDOPS", "ops-secret")) }},
		{"aws-sdk-go-v2, wrong secret", "InvalidSignatureException", func() string { return errorCode(sdk("AKIDOPS", "wrong")) }},
		{"aws-sdk-go-v2, unknown key", "UnrecognizedClientException", func() string { return errorCode(sdk("AKIDNOBODY", "x")) }},
		{"signer, X-Amz-Date 4 minutes old", "200", func() string { s, _ := rawAt(time.Now().Add(-4 * time.Minute)); return fmt.Sprint(s) }},
		{"signer, Host of another name", "200", func() string { s, _ := rawAt(time.Now(), "fresco.internal"); return fmt.Sprint(s) }},
		{"signer, X-Amz-Date 10 minutes old", "403 InvalidSignatureException", func() string { s, b := rawAt(time.Now().Add(-10 * time.Minute)); return fmt.Sprint(s, " ", b) }},
		{"signer, X-Amz-Date 10 minutes ahead", "403 InvalidSignatureException", func() string { s, b := rawAt(time.Now().Add(10 * time.Minute)); return fmt.Sprint(s, " ", b) }},
		{"no auth", "403 MissingAuthenticationTokenException", func() string {
			resp, err := httpClient.Post(url+"/2015-03-31/functions/Hello/invocations", "application/json", strings.NewReader(`{}`))
			if err != nil {
				return err.Error()
			}
			resp.Body.Close()
			return fmt.Sprint(resp.StatusCode, " ", resp.Header.Get("X-Amzn-ErrorType"))
		}},
		{"API Gateway over TLS, never signed", "200 Hello", func() string {
			resp, err := httpClient.Get("https://" + a.API + "/hello")
			if err != nil {
				return err.Error()
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return fmt.Sprint(resp.StatusCode, " ", strings.TrimPrefix(string(b), `{"message":"`))
		}},
		{"plain HTTP to the TLS port", "refused", func() string {
			resp, err := http.Post("http://"+a.Invoke+"/2015-03-31/functions/Hello/invocations", "application/json", strings.NewReader(`{}`))
			if err != nil {
				return "refused"
			}
			resp.Body.Close()
			return fmt.Sprint(resp.StatusCode)
		}},
	}
	for _, r := range rows {
		got := r.got()
		ok := strings.Contains(got, r.want)
		if strings.HasPrefix(r.want, "403 ") || strings.HasPrefix(r.want, "200") || r.want == "refused" || r.want == "<nil>" {
			ok = strings.HasPrefix(got, r.want)
		}
		if !ok {
			t.Errorf("%s: got %q, want %q", r.name, got, r.want)
		} else {
			t.Logf("%-38s -> %.90s", r.name, strings.TrimSpace(got))
		}
	}
	if _, b := rawAt(time.Now().Add(-10 * time.Minute)); !strings.Contains(b, "Signature expired: ") {
		t.Errorf("stale date: %s", b)
	}
}

// TestRefusesBeyondLoopbackWithoutAuth: the Invoke API does not listen
// beyond loopback without credentials unless told --insecure-no-auth.
func TestRefusesBeyondLoopbackWithoutAuth(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		err := server.ServeWith(context.Background(), emulator.Options{Template: filepath.Join("..", "template.yaml")}, server.Config{Addr: addr})
		if !errors.Is(err, server.ErrNoAuth) {
			t.Errorf("%s: %v, want ErrNoAuth", addr, err)
		}
	}
	code, _, stderr := runCLI(t, "", "start", "--host", "0.0.0.0", "--port", "0", "--admin-addr", "off")
	if code != 1 || !strings.Contains(stderr, "--auth-credentials") {
		t.Errorf("fresco start --host 0.0.0.0: exit %d\n%s", code, stderr)
	}
}
