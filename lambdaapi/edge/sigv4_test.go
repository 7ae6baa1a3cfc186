package edge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// sigv4Server is an httptest server behind SigV4 whose handler echoes the
// body it got; refusals are JSON {"type","message"} with 403.
func sigv4Server(t *testing.T, now func() time.Time) *httptest.Server {
	t.Helper()
	s := SigV4{
		Credentials: Credentials{"AKIDGOOD": "good-secret", "AKIDOTHER": "other-secret"},
		Service:     "lambda",
		MaxBody:     64,
		Now:         now,
		Deny: func(w http.ResponseWriter, r *http.Request, e *AuthError) {
			b, _ := json.Marshal(map[string]string{"type": e.Type, "message": e.Message})
			WriteJSON(w, http.StatusForbidden, b)
		},
		Refuse: func(w http.ResponseWriter, status int, message string) { http.Error(w, message, status) },
	}
	srv := httptest.NewServer(s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})))
	t.Cleanup(srv.Close)
	return srv
}

// signed is a request to url signed for real by aws-sdk-go-v2's signer.
func signed(t *testing.T, url, body, id, secret, service string, at time.Time) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Invocation-Type", "RequestResponse")
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), service, "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestSigV4Matrix: a request signed with a configured pair passes, with
// its body intact; every other gets AWS's error.
func TestSigV4Matrix(t *testing.T) {
	t.Parallel()
	now := time.Now()
	srv := sigv4Server(t, func() time.Time { return now })
	path := srv.URL + "/2015-03-31/functions/my%3Afn/invocations?Qualifier=live"
	for _, c := range []struct {
		name     string
		req      func() *http.Request
		wantType string // "" for success
	}{
		{"good", func() *http.Request { return signed(t, path, `{"a":1}`, "AKIDGOOD", "good-secret", "lambda", now) }, ""},
		{"second profile", func() *http.Request { return signed(t, path, `{}`, "AKIDOTHER", "other-secret", "lambda", now) }, ""},
		{"empty body", func() *http.Request { return signed(t, path, ``, "AKIDGOOD", "good-secret", "lambda", now) }, ""},
		{"within the skew", func() *http.Request {
			return signed(t, path, `{}`, "AKIDGOOD", "good-secret", "lambda", now.Add(-4*time.Minute))
		}, ""},
		{"wrong secret", func() *http.Request { return signed(t, path, `{}`, "AKIDGOOD", "bad-secret", "lambda", now) }, ErrInvalidSignature},
		{"unknown key", func() *http.Request { return signed(t, path, `{}`, "AKIDNOBODY", "good-secret", "lambda", now) }, ErrUnrecognizedClient},
		{"stale date", func() *http.Request {
			return signed(t, path, `{}`, "AKIDGOOD", "good-secret", "lambda", now.Add(-6*time.Minute))
		}, ErrInvalidSignature},
		{"future date", func() *http.Request {
			return signed(t, path, `{}`, "AKIDGOOD", "good-secret", "lambda", now.Add(6*time.Minute))
		}, ErrInvalidSignature},
		{"other service", func() *http.Request { return signed(t, path, `{}`, "AKIDGOOD", "good-secret", "s3", now) }, ErrInvalidSignature},
		{"no auth", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(`{}`))
			return req
		}, ErrMissingAuthToken},
		{"not sigv4", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
			return req
		}, ErrIncompleteSignature},
		{"body changed after signing", func() *http.Request {
			req := signed(t, path, `{"amount":1}`, "AKIDGOOD", "good-secret", "lambda", now)
			req.Body = io.NopCloser(strings.NewReader(`{"amount":9}`))
			return req
		}, ErrInvalidSignature},
		{"query changed after signing", func() *http.Request {
			req := signed(t, path, `{}`, "AKIDGOOD", "good-secret", "lambda", now)
			req.URL.RawQuery = "Qualifier=1"
			return req
		}, ErrInvalidSignature},
		{"signed header changed", func() *http.Request {
			req := signed(t, path, `{}`, "AKIDGOOD", "good-secret", "lambda", now)
			req.Header.Set("X-Amz-Invocation-Type", "Event")
			return req
		}, ErrInvalidSignature},
		{"content hash header lies", func() *http.Request {
			req := signed(t, path, `{}`, "AKIDGOOD", "good-secret", "lambda", now)
			req.Header.Set(HeaderContentSHA256, strings.Repeat("0", 64))
			return req
		}, ErrInvalidSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := c.req()
			want, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(strings.NewReader(string(want)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if c.wantType == "" {
				if resp.StatusCode != 200 || string(body) != string(want) {
					t.Fatalf("got %d %s, want 200 and the body %s", resp.StatusCode, body, want)
				}
				return
			}
			var e struct{ Type, Message string }
			json.Unmarshal(body, &e)
			if resp.StatusCode != 403 || e.Type != c.wantType || e.Message == "" {
				t.Fatalf("got %d %s, want 403 %s", resp.StatusCode, body, c.wantType)
			}
			if c.name == "stale date" && !strings.HasPrefix(e.Message, "Signature expired: ") {
				t.Errorf("stale date: message %q", e.Message)
			}
		})
	}
}

// TestSigV4BodyLimit: a body over MaxBody is refused (413) unhashed.
func TestSigV4BodyLimit(t *testing.T) {
	t.Parallel()
	srv := sigv4Server(t, nil)
	req := signed(t, srv.URL+"/", strings.Repeat("x", 65), "AKIDGOOD", "good-secret", "lambda", time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

func TestLoadCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	creds, err := LoadCredentials(write("ok", `# the aws CLI's format
[default]
aws_access_key_id = AKIDONE
aws_secret_access_key = secret/one+
region = us-east-1

; another
[ci]
aws_access_key_id=AKIDTWO
aws_secret_access_key=two
aws_session_token = ignored
`))
	if err != nil || len(creds) != 2 || creds["AKIDONE"] != "secret/one+" || creds["AKIDTWO"] != "two" {
		t.Fatalf("%v %v", creds, err)
	}
	for name, text := range map[string]string{
		"half":    "[p]\naws_access_key_id = A\n",
		"empty":   "# nothing\n",
		"outside": "aws_access_key_id = A\n",
		"garbage": "[p]\nthis is not ini\n",
	} {
		if _, err := LoadCredentials(write(name, text)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := LoadCredentials(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

// TestRequestMetrics: every request is begun and done once, with the
// status it was answered (200 for an empty answer, 500 for a panic).
func TestRequestMetrics(t *testing.T) {
	t.Parallel()
	var begun int
	var done []int
	m := RequestMetrics{Begin: func() { begun++ }, Done: func(status int, d time.Duration) { done = append(done, status) }}
	for _, h := range []http.HandlerFunc{
		func(w http.ResponseWriter, r *http.Request) {},
		func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) },
		func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) },
	} {
		func() {
			defer func() { recover() }()
			m.Middleware(h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		}()
	}
	if begun != 3 || len(done) != 3 || done[0] != 200 || done[1] != 429 || done[2] != 500 {
		t.Fatalf("begun %d, done %v", begun, done)
	}
}

// BenchmarkSigV4 measures what authentication adds to a request: parsing,
// hashing a small body, and re-signing with aws-sdk-go-v2's signer.
func BenchmarkSigV4(b *testing.B) {
	s := SigV4{Credentials: Credentials{"AKIDGOOD": "good-secret"}, Service: "lambda", MaxBody: 1 << 20,
		Deny:   func(w http.ResponseWriter, r *http.Request, e *AuthError) { b.Fatal(e) },
		Refuse: func(w http.ResponseWriter, status int, message string) { b.Fatal(message) }}
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	body := `{"name":"bench"}`
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:3001/2015-03-31/functions/Hello/invocations", strings.NewReader(body))
	sum := sha256.Sum256([]byte(body))
	v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDGOOD", SecretAccessKey: "good-secret"},
		req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now())
	b.ReportAllocs()
	for b.Loop() {
		r := req.Clone(context.Background())
		r.Body = io.NopCloser(strings.NewReader(body))
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}
