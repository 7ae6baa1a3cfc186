package edge

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Refuse writes a surface's own answer to a request that the edge refuses
// before the surface's handler runs: the HTTP status the edge chose
// (http.StatusBadRequest for a malformed request, http.StatusForbidden for
// a Host or Origin refused, http.StatusRequestEntityTooLarge for a request
// over a limit) and a message for a human. Each surface maps the status to
// its own error names and body.
type Refuse func(w http.ResponseWriter, status int, message string)

// The browser's origin signals, and the log keys of a refusal.
const (
	HeaderOrigin       = "Origin"
	HeaderSecFetchSite = "Sec-Fetch-Site"
	KeyHost            = "host"
	KeyOrigin          = "origin"
)

// AnyHost in HostGuard.Hosts accepts every Host.
const AnyHost = "*"

const (
	secFetchCrossSite = "cross-site"
	secFetchSameSite  = "same-site"
	hostLocalhost     = "localhost"
	msgHostNotAllowed = "Host %q is not allowed: fresco answers requests for localhost, the loopback addresses and %s (see --allowed-hosts)"
	msgCrossOrigin    = "Cross-origin request refused (%s): fresco's Invoke API does not answer web pages of other origins"
)

// HostGuard refuses what a web page could send to a server on loopback:
// requests whose Host is not one of the server's own names (DNS
// rebinding), and, with SameOrigin, browser requests from another origin
// (blind cross-site requests, which a text/plain POST makes without a
// preflight). Clients that are not browsers (the AWS CLI, boto3, the SDKs,
// curl) send a Host naming the server and no Origin, and pass.
type HostGuard struct {
	// Hosts are the names and addresses accepted in Host besides the
	// loopback ones (localhost, 127.0.0.0/8, ::1), compared without their
	// port and case-insensitively; AnyHost ("*") accepts every Host, as
	// fits a server that listens on all interfaces.
	Hosts []string
	// SameOrigin refuses requests carrying an Origin other than the
	// server's own (the scheme http and the request's Host), "null"
	// included, and requests that the browser marks Sec-Fetch-Site:
	// cross-site or same-site.
	SameOrigin bool
	// Refuse writes the surface's answer; its status is 403.
	Refuse Refuse
	// Logger gets a warning for every refusal; nil discards them.
	Logger *slog.Logger
	// TLS tells that the server serves HTTPS: its own origin's scheme is
	// https.
	TLS bool
}

// Middleware returns the guard as a middleware.
func (g HostGuard) Middleware(next http.Handler) http.Handler {
	hosts := make([]string, 0, len(g.Hosts))
	for _, h := range g.Hosts {
		hosts = append(hosts, normalHost(h))
	}
	anyHost := slices.Contains(hosts, AnyHost)
	logger := g.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := ""
		switch {
		case !anyHost && !hostAllowed(r.Host, hosts):
			msg = fmt.Sprintf(msgHostNotAllowed, r.Host, describeHosts(g.Hosts))
		case g.SameOrigin:
			if why := crossOrigin(r, g.TLS); why != "" {
				msg = fmt.Sprintf(msgCrossOrigin, why)
			}
		}
		if msg == "" {
			next.ServeHTTP(w, r)
			return
		}
		logger.WarnContext(r.Context(), "refused request",
			KeyMethod, r.Method, KeyPath, r.URL.EscapedPath(), KeyHost, r.Host,
			KeyOrigin, r.Header.Get(HeaderOrigin), KeyError, msg)
		g.Refuse(w, http.StatusForbidden, msg)
	})
}

// hostAllowed reports whether a request's Host names this server: a
// loopback name or address, or one of hosts (normalised). An empty Host
// (an HTTP/1.0 request without one) is no browser's and passes.
func hostAllowed(host string, hosts []string) bool {
	if host == "" {
		return true
	}
	h := normalHost(host)
	if h == hostLocalhost || strings.HasSuffix(h, "."+hostLocalhost) {
		return true // RFC 6761: localhost and its subdomains are loopback
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return true
	}
	return slices.Contains(hosts, h)
}

// normalHost is a Host (or configured name) without its port, its IPv6
// brackets and a trailing dot, lower-cased; an IP address in its canonical
// form.
func normalHost(host string) string {
	h := strings.ToLower(host)
	if hp, _, err := net.SplitHostPort(h); err == nil {
		h = hp
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	h = strings.TrimSuffix(h, ".")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// crossOrigin says why r comes from a browser page of another origin, ""
// when it does not.
func crossOrigin(r *http.Request, tls bool) string {
	switch site := strings.ToLower(r.Header.Get(HeaderSecFetchSite)); site {
	case secFetchCrossSite, secFetchSameSite:
		return HeaderSecFetchSite + ": " + site
	}
	origin, ok := r.Header[HeaderOrigin]
	if !ok {
		return ""
	}
	if len(origin) != 1 || !sameOrigin(origin[0], r.Host, tls) {
		return HeaderOrigin + ": " + strings.Join(origin, ", ")
	}
	return ""
}

// sameOrigin reports whether origin is http://host (https://host with
// tls), the server's own, with the default port made explicit on both
// sides.
func sameOrigin(origin, host string, tls bool) bool {
	scheme, port := "http", "80"
	if tls {
		scheme, port = "https", "443"
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != scheme || u.Host == "" || u.Path != "" || u.User != nil {
		return false
	}
	return withPort(u.Host, port) == withPort(host, port)
}

// withPort is host:port lower-cased, with defaultPort when it has none.
func withPort(host, defaultPort string) string {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		h, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), defaultPort
	}
	return net.JoinHostPort(normalHost(h), port)
}

// describeHosts lists hosts for a message.
func describeHosts(hosts []string) string {
	if len(hosts) == 0 {
		return "no other name"
	}
	return strings.Join(hosts, ", ")
}
