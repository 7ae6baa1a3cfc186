package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	nethttp "net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/frescolabs/fresco/internal/invoke"
)

// Config configures the Client a Host shares among all its functions.
type Config struct {
	// RootCAs, if set, are the roots guests' HTTPS servers are verified
	// against, in place of the system's (tests use a CA they make).
	RootCAs *x509.CertPool
	// AllowedHosts, if not nil, restricts every function to these hosts
	// (patterns as in Policy); a function's own list restricts it further.
	AllowedHosts []string
	// Credentials, if set, are the host's AWS credentials: requests to AWS
	// endpoints that a guest signed (with its placeholders) are signed
	// again with them. Nil: such requests are refused, except to
	// LambdaEndpoint, which gets them as the guest sent them.
	Credentials aws.CredentialsProvider
	// LambdaEndpoint is the base URL of fresco's own Invoke API
	// (http://127.0.0.1:3001): guests find it in AWS_ENDPOINT_URL_LAMBDA,
	// and requests to it are signed like AWS's.
	LambdaEndpoint string
	// AWSEndpoints are more host:port pairs whose requests are signed like
	// AWS's (a local stack, a test server).
	AWSEndpoints []string
	// Invoke runs a function for the invoke call of the module (a direct
	// invocation of a sibling, without an HTTP hop). Nil: the call fails.
	Invoke Invoker
	// MaxIdleConnsPerHost bounds the idle connections kept for one host
	// (default 64), each for 90 s. The connections in use are not bounded
	// per host: a guest holding many open responses to a host must not
	// make the other functions wait for one.
	MaxIdleConnsPerHost int
}

// Invoker invokes the function name (a name, partial ARN or ARN, with an
// optional :qualifier) with payload, synchronously or (async) as an Event,
// on behalf of caller. A non-nil error is an *invoke.ServiceError, or an
// unexpected failure.
type Invoker func(ctx context.Context, caller, name string, payload []byte, async bool) (*invoke.Result, error)

// Client sends the guests' requests: one per Host, shared by all its
// functions and invocations. It is safe for concurrent use.
type Client struct {
	cfg Config
	// transport is the pool; metadata is the one allowed to dial the
	// instance-metadata addresses, for the functions that name them: a
	// connection made for one of those is never lent to another function.
	transport, metadata *nethttp.Transport
	resolver            *resolver
	creds               aws.CredentialsProvider
	// credsFailed: until then (Unix ns), the credentials are not asked
	// for again.
	credsFailed atomic.Int64
	server      *Policy
	lambdaHost  string
	awsHosts    map[string]bool
}

// NewClient returns a Client for cfg.
func NewClient(cfg Config) (*Client, error) {
	server, err := NewPolicy(cfg.AllowedHosts)
	if err != nil {
		return nil, fmt.Errorf("server allow-list: %w", err)
	}
	c := &Client{cfg: cfg, resolver: newResolver(), server: server, awsHosts: map[string]bool{}}
	if cfg.MaxIdleConnsPerHost <= 0 {
		cfg.MaxIdleConnsPerHost = 64
	}
	if cfg.Credentials != nil {
		c.creds = aws.NewCredentialsCache(cfg.Credentials)
	}
	if cfg.LambdaEndpoint != "" {
		h, err := endpointHost(cfg.LambdaEndpoint)
		if err != nil {
			return nil, fmt.Errorf("lambda endpoint: %w", err)
		}
		c.lambdaHost = h
		c.awsHosts[h] = true
	}
	for _, e := range cfg.AWSEndpoints {
		c.awsHosts[strings.ToLower(e)] = true
	}
	c.transport = c.newTransport(cfg, false)
	c.metadata = c.newTransport(cfg, true)
	return c, nil
}

// LambdaEndpoint is the base URL of fresco's Invoke API that guests'
// Lambda clients use, or "".
func (c *Client) LambdaEndpoint() string { return c.cfg.LambdaEndpoint }

// Close drops the idle connections.
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
	c.metadata.CloseIdleConnections()
}

func (c *Client) newTransport(cfg Config, metadata bool) *nethttp.Transport {
	d := &dialer{resolver: c.resolver, metadata: metadata, net: net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}}
	return &nethttp.Transport{
		DialContext:         d.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		// The guest sees the body as the server sent it: gzip is the
		// guest's business (Go's own transport in the guest would have
		// asked for it and decoded it; the adapter does that).
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxHead,
		TLSClientConfig: &tls.Config{
			RootCAs:            cfg.RootCAs,
			MinVersion:         tls.VersionTLS12,
			ClientSessionCache: tls.NewLRUClientSessionCache(256),
		},
	}
}

func endpointHost(u string) (string, error) {
	i := strings.Index(u, "://")
	if i < 0 {
		return "", fmt.Errorf("%q is not a URL", u)
	}
	rest := u[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	if rest == "" {
		return "", fmt.Errorf("%q has no host", u)
	}
	return strings.ToLower(rest), nil
}

// The cloud instance-metadata addresses (EC2's IMDS, IPv4 and IPv6; ECS's
// and others' sit at the IPv4 one too). On a cloud host they would hand a
// guest the host's role credentials.
var metadataAddrs = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}

func isMetadata(a netip.Addr) bool {
	a = a.Unmap()
	for _, m := range metadataAddrs {
		if a == m {
			return true
		}
	}
	return false
}

// DeniedError is a request the egress policy refuses.
type DeniedError struct{ Reason string }

func (e *DeniedError) Error() string { return "refused by the egress policy: " + e.Reason }

// dialer dials for the pool: it resolves names itself (cached), and
// refuses the instance-metadata addresses by the IP it would connect to,
// whatever name led there.
type dialer struct {
	resolver *resolver
	metadata bool
	net      net.Dialer
}

func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := d.resolver.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, a := range addrs {
		if isMetadata(a) && !d.metadata {
			if firstErr == nil {
				firstErr = &DeniedError{Reason: fmt.Sprintf("%s resolves to %s, a cloud instance-metadata address (name it in the allow-list to allow it)", host, a)}
			}
			continue
		}
		conn, err := d.net.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("lookup %s: no addresses", host)
	}
	return nil, firstErr
}

// resolver caches lookups for dnsTTL: every invocation of every function
// that calls the same host shares one answer.
type resolver struct {
	mu      sync.Mutex
	entries map[string]dnsEntry
}

type dnsEntry struct {
	addrs   []netip.Addr
	expires time.Time
}

const dnsTTL = 30 * time.Second

func newResolver() *resolver { return &resolver{entries: map[string]dnsEntry{}} }

func (r *resolver) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	now := time.Now()
	r.mu.Lock()
	e, ok := r.entries[host]
	r.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.addrs, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("lookup %s: no addresses", host)
	}
	r.mu.Lock()
	if len(r.entries) > 4096 {
		clear(r.entries)
	}
	r.entries[host] = dnsEntry{addrs: addrs, expires: now.Add(dnsTTL)}
	r.mu.Unlock()
	return addrs, nil
}

// errNoCredentials: a guest signed a request to AWS, and the host has no
// credentials to sign it with.
var errNoCredentials = errors.New("the host has no AWS credentials to sign this request with (configure the host's environment, profile or role)")
