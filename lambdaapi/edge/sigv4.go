package edge

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credentials are the key pairs a SigV4-guarded API accepts: secret access
// keys by access key id.
type Credentials map[string]string

// LoadCredentials reads an aws CLI credentials file (~/.aws/credentials):
// INI sections, one per profile, each with aws_access_key_id and
// aws_secret_access_key; other keys (aws_session_token, region) are
// ignored. Every profile's pair is accepted. A profile without both keys,
// or a file with no pair, is an error.
func LoadCredentials(path string) (Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	creds := Credentials{}
	type profile struct{ name, id, secret string }
	var profiles []*profile
	var cur *profile
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%s:%d: bad section %q", path, n, line)
			}
			cur = &profile{name: strings.TrimSpace(line[1 : len(line)-1])}
			profiles = append(profiles, cur)
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want key = value, got %q", path, n, line)
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: %q is outside any [profile]", path, n, strings.TrimSpace(k))
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "aws_access_key_id":
			cur.id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			cur.secret = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for _, p := range profiles {
		if p.id == "" || p.secret == "" {
			return nil, fmt.Errorf("%s: profile [%s] needs aws_access_key_id and aws_secret_access_key", path, p.name)
		}
		creds[p.id] = p.secret
	}
	if len(creds) == 0 {
		return nil, fmt.Errorf("%s: no profile with aws_access_key_id and aws_secret_access_key", path)
	}
	return creds, nil
}

// AuthError is a SigV4 refusal: its AWS error type and message; the status
// is always 403.
type AuthError struct {
	Type, Message string
}

func (e *AuthError) Error() string { return e.Type + ": " + e.Message }

// AWS's names of SigV4 refusals.
const (
	ErrInvalidSignature    = "InvalidSignatureException"
	ErrUnrecognizedClient  = "UnrecognizedClientException"
	ErrMissingAuthToken    = "MissingAuthenticationTokenException"
	ErrIncompleteSignature = "IncompleteSignatureException"
)

// SigV4 headers and values.
const (
	HeaderAuthorization = "Authorization"
	HeaderAmzDate       = "X-Amz-Date"
	HeaderContentSHA256 = "X-Amz-Content-Sha256"
	HeaderSecurityToken = "X-Amz-Security-Token"
	sigV4Algorithm      = "AWS4-HMAC-SHA256"
	amzDateFormat       = "20060102T150405Z"
	unsignedPayload     = "UNSIGNED-PAYLOAD"
)

// MaxClockSkew is how far a request's X-Amz-Date may be from the server's
// clock, either way: AWS's five minutes.
const MaxClockSkew = 5 * time.Minute

const (
	msgMissingAuth   = "Missing Authentication Token"
	msgUnrecognized  = "The security token included in the request is invalid."
	msgBadSignature  = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgExpired       = "Signature expired: %s is now earlier than %s (%s - 5 min.)"
	msgNotYetValid   = "Signature not yet current: %s is still later than %s (%s + 5 min.)"
	msgBodyHash      = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgBadAuthHeader = "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of " + sigV4Algorithm + "."
)

// SigV4 authenticates requests signed with AWS Signature Version 4 (in the
// Authorization header) by one of Credentials' key pairs: it recomputes the
// signature of the request as received with aws-sdk-go-v2's signer and the
// configured secret, and compares the two in constant time. The body is
// read (at most MaxBody bytes) to hash it, and handed on to the handler.
type SigV4 struct {
	Credentials Credentials
	// Service is the signing name the credential scope must carry
	// ("lambda").
	Service string
	// MaxBody bounds the body read to hash it; a larger one gets Refuse's
	// 413 before the signature is checked.
	MaxBody int64
	// TLS tells that the server serves HTTPS (the scheme of the signed
	// request).
	TLS bool
	// Deny writes an AuthError (403, in the surface's error shape).
	Deny func(w http.ResponseWriter, r *http.Request, e *AuthError)
	// Refuse writes the surface's answer to a body over MaxBody.
	Refuse Refuse
	// Logger gets a warning for every refusal; nil discards them.
	Logger *slog.Logger
	// Now is the clock of the skew check; nil is time.Now.
	Now func() time.Time
}

// Middleware returns the authenticating middleware.
func (s SigV4) Middleware(next http.Handler) http.Handler {
	now := s.Now
	if now == nil {
		now = time.Now
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := s.verify(r, signer, now())
		if err == nil {
			if st := StateOf(r); st != nil {
				st.SetString(KeyAccessKey, key)
			}
			next.ServeHTTP(w, r)
			return
		}
		if errors.Is(err, ErrTooLarge) {
			AnswerUnread(w, r, func() {
				s.Refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Request must be smaller than %d bytes for the operation", s.MaxBody))
			})
			return
		}
		var ae *AuthError
		if !errors.As(err, &ae) {
			ae = &AuthError{Type: ErrInvalidSignature, Message: "The request body could not be read: " + err.Error()}
		}
		logger.WarnContext(r.Context(), "refused request", KeyMethod, r.Method, KeyPath, r.URL.EscapedPath(),
			KeyAccessKey, key, KeyError, ae.Error())
		s.Deny(w, r, ae)
	})
}

// KeyAccessKey is the log key of the access key id that signed a request.
const KeyAccessKey = "access_key"

// authHeader is a parsed SigV4 Authorization header.
type authHeader struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    string
}

// parseAuth parses "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=hex".
func parseAuth(v string) (authHeader, error) {
	var a authHeader
	alg, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	if alg != sigV4Algorithm {
		return a, &AuthError{ErrIncompleteSignature, "Unsupported authorization type: only " + sigV4Algorithm + " is accepted."}
	}
	var cred, signed string
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = val
		case "SignedHeaders":
			signed = val
		case "Signature":
			a.signature = val
		}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[0] == "" || signed == "" || a.signature == "" {
		return a, &AuthError{ErrIncompleteSignature, msgBadAuthHeader}
	}
	if scope[4] != "aws4_request" {
		return a, &AuthError{ErrInvalidSignature, "Credential should be scoped with a valid terminator: 'aws4_request', not '" + scope[4] + "'."}
	}
	a.keyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	a.signedHeaders = strings.Split(signed, ";")
	return a, nil
}

// verify checks r's signature and returns the access key id that signed
// it. On success, r's body is the bytes that were read and hashed.
func (s SigV4) verify(r *http.Request, signer *v4.Signer, now time.Time) (string, error) {
	h := r.Header.Get(HeaderAuthorization)
	if h == "" {
		if r.URL.Query().Has("X-Amz-Signature") {
			return "", &AuthError{ErrIncompleteSignature, "Presigned URLs are not accepted: sign the Authorization header."}
		}
		return "", &AuthError{ErrMissingAuthToken, msgMissingAuth}
	}
	a, err := parseAuth(h)
	if err != nil {
		return "", err
	}
	secret, ok := s.Credentials[a.keyID]
	if !ok {
		return a.keyID, &AuthError{ErrUnrecognizedClient, msgUnrecognized}
	}
	if a.service != s.Service {
		return a.keyID, &AuthError{ErrInvalidSignature, fmt.Sprintf("Credential should be scoped to correct service: '%s'.", s.Service)}
	}
	date := r.Header.Get(HeaderAmzDate)
	t, err := time.Parse(amzDateFormat, date)
	if err != nil {
		return a.keyID, &AuthError{ErrIncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}
	}
	nowS := now.UTC().Format(amzDateFormat)
	if t.Before(now.Add(-MaxClockSkew)) {
		return a.keyID, &AuthError{ErrInvalidSignature, fmt.Sprintf(msgExpired, date, now.Add(-MaxClockSkew).UTC().Format(amzDateFormat), nowS)}
	}
	if t.After(now.Add(MaxClockSkew)) {
		return a.keyID, &AuthError{ErrInvalidSignature, fmt.Sprintf(msgNotYetValid, date, now.Add(MaxClockSkew).UTC().Format(amzDateFormat), nowS)}
	}
	body, _, err := ReadLimited(r, s.MaxBody)
	if err != nil {
		return a.keyID, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if claimed := r.Header.Get(HeaderContentSHA256); claimed != "" && claimed != unsignedPayload && claimed != payloadHash {
		return a.keyID, &AuthError{ErrInvalidSignature, msgBodyHash}
	}

	// The request as the client signed it: its method, path, query and
	// the headers it lists in SignedHeaders, nothing else.
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	if s.TLS {
		u.Scheme = "https"
	}
	signed, _ := http.NewRequestWithContext(context.Background(), r.Method, u.String(), nil)
	signed.URL = &u
	signed.Host = r.Host
	for _, name := range a.signedHeaders {
		switch name {
		case "host":
		case "content-length":
			signed.ContentLength = r.ContentLength
		default:
			if vs := r.Header.Values(name); len(vs) > 0 {
				signed.Header[http.CanonicalHeaderKey(name)] = vs
			}
		}
	}
	if !slices.Contains(a.signedHeaders, "content-length") {
		signed.ContentLength = 0
	}
	hash := payloadHash
	if r.Header.Get(HeaderContentSHA256) == unsignedPayload {
		hash = unsignedPayload
	}
	creds := aws.Credentials{AccessKeyID: a.keyID, SecretAccessKey: secret, SessionToken: r.Header.Get(HeaderSecurityToken)}
	if err := signer.SignHTTP(context.Background(), creds, signed, hash, a.service, a.region, t); err != nil {
		return a.keyID, &AuthError{ErrInvalidSignature, "The request cannot be signed: " + err.Error()}
	}
	want, err := parseAuth(signed.Header.Get(HeaderAuthorization))
	if err != nil || subtle.ConstantTimeCompare([]byte(want.signature), []byte(a.signature)) != 1 {
		return a.keyID, &AuthError{ErrInvalidSignature, msgBadSignature}
	}
	return a.keyID, nil
}
