package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	nethttp "net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// do sends req (body its bytes) for a function whose allow-list is fn:
// the policy first, then the host's signature for AWS endpoints, then the
// pool. It returns the response, or an errno and an error a person can
// read.
func (c *Client) do(ctx context.Context, fn *Policy, req *nethttp.Request, body []byte) (*nethttp.Response, int32, error) {
	host, port := hostPort(req.URL.Scheme, req.URL.Host)
	metadata, err := check(c.server, fn, host, port)
	if err != nil {
		return nil, errnoDenied, err
	}
	req = req.WithContext(ctx)
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	req.ContentLength = int64(len(body))
	if err := c.sign(ctx, req, host, port, body); err != nil {
		errno, e := classify(err)
		return nil, errno, e
	}
	t := c.transport
	if metadata {
		t = c.metadata
	}
	resp, err := t.RoundTrip(req)
	if err != nil {
		errno, e := classify(err)
		return nil, errno, fmt.Errorf("%s %s: %w", req.Method, redact(req), e)
	}
	return resp, 0, nil
}

// hostPort is the lower-case host (an address unmapped, unbracketed) and
// the port of a URL's host part.
func hostPort(scheme, hp string) (string, int) {
	host, port := hp, 0
	if i := strings.LastIndex(hp, ":"); i >= 0 && !strings.HasSuffix(hp, "]") {
		if n, err := strconv.Atoi(hp[i+1:]); err == nil {
			host, port = hp[:i], n
		}
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	}
	if port == 0 {
		port = 80
		if scheme == "https" {
			port = 443
		}
	}
	return host, port
}

// redact is the request's URL without its query (which may carry a
// presigned signature), for messages.
func redact(req *nethttp.Request) string {
	u := *req.URL
	u.RawQuery = ""
	return u.String()
}

// isAWS reports whether requests to host:port are signed by the host:
// AWS's endpoints and the configured ones.
func (c *Client) isAWS(host string, port int) bool {
	if strings.HasSuffix(host, ".amazonaws.com") || strings.HasSuffix(host, ".amazonaws.com.cn") || strings.HasSuffix(host, ".api.aws") {
		return true
	}
	return c.awsHosts[host+":"+strconv.Itoa(port)] || c.awsHosts[host]
}

// sign signs req again with the host's credentials when it goes to an AWS
// endpoint and the guest signed it (SigV4, with the guest's placeholders):
// the signature's region and service are the guest's, its credentials the
// host's. A request the guest left unsigned goes as it is (anonymous
// access). Without host credentials, a request to the local Lambda
// endpoint goes as the guest signed it; one to AWS is refused.
func (c *Client) sign(ctx context.Context, req *nethttp.Request, host string, port int, body []byte) error {
	if !c.isAWS(host, port) {
		return nil
	}
	auth := req.Header.Get("Authorization")
	region, service, ok := scope(auth)
	if !ok {
		return nil
	}
	local := c.lambdaHost == host+":"+strconv.Itoa(port)
	if c.creds == nil || time.Now().UnixNano() < c.credsFailed.Load() {
		if local {
			return nil
		}
		return errNoCredentials
	}
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		// Not asked again for a while: a chain that probes an instance
		// role may take seconds to fail.
		c.credsFailed.Store(time.Now().Add(credsRetry).UnixNano())
		if local {
			return nil
		}
		return fmt.Errorf("%w: %v", errNoCredentials, err)
	}
	payloadHash := req.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	req.Header.Del("Authorization")
	req.Header.Del("X-Amz-Security-Token")
	req.Header.Del("X-Amz-Date")
	return v4.NewSigner().SignHTTP(ctx, creds, req, payloadHash, service, region, time.Now())
}

// credsRetry is how long the host waits, after its credentials failed,
// before it asks for them again.
const credsRetry = 30 * time.Second

// scope returns the region and service of a SigV4 Authorization header
// ("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, ...").
func scope(auth string) (region, service string, ok bool) {
	rest, found := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !found {
		return "", "", false
	}
	i := strings.Index(rest, "Credential=")
	if i < 0 {
		return "", "", false
	}
	cred := rest[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[2] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[2], parts[3], true
}
