package http

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Policy is an allow-list of hosts. A nil *Policy allows every host except
// the instance-metadata addresses.
//
// A pattern is a host name ("api.example.com"), a wildcard for its
// subdomains ("*.example.com", not example.com itself), an IP address
// ("127.0.0.1", "[::1]"), or "*" for any host, each optionally with a port
// ("api.example.com:8443"; without one, any port). Names compare without
// case. The instance-metadata addresses (169.254.169.254,
// fd00:ec2::254) are allowed only by a pattern that names them: "*" does
// not, and neither does a name that resolves to them.
type Policy struct {
	patterns []pattern
}

type pattern struct {
	host     string // lower case; "*" any; "*.x" subdomains of x
	port     int    // 0: any
	metadata bool   // host is an instance-metadata address
}

// NewPolicy parses patterns; nil patterns give a nil Policy (everything
// allowed but the metadata addresses). An empty, non-nil list allows
// nothing.
func NewPolicy(patterns []string) (*Policy, error) {
	if patterns == nil {
		return nil, nil
	}
	p := &Policy{patterns: []pattern{}}
	for _, s := range patterns {
		pt, err := parsePattern(s)
		if err != nil {
			return nil, err
		}
		p.patterns = append(p.patterns, pt)
	}
	return p, nil
}

func parsePattern(s string) (pattern, error) {
	orig := s
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return pattern{}, fmt.Errorf("allowed host %q is empty", orig)
	}
	if i := strings.Index(s, "://"); i >= 0 {
		return pattern{}, fmt.Errorf("allowed host %q: give a host, not a URL (e.g. %q)", orig, s[i+3:])
	}
	host, port := s, 0
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return pattern{}, fmt.Errorf("allowed host %q: unclosed [", orig)
		}
		host = s[1:end]
		if rest := s[end+1:]; rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return pattern{}, fmt.Errorf("allowed host %q: junk after ]", orig)
			}
			n, err := parsePort(rest[1:])
			if err != nil {
				return pattern{}, fmt.Errorf("allowed host %q: %w", orig, err)
			}
			port = n
		}
	case strings.Count(s, ":") == 1:
		i := strings.LastIndex(s, ":")
		n, err := parsePort(s[i+1:])
		if err != nil {
			return pattern{}, fmt.Errorf("allowed host %q: %w", orig, err)
		}
		host, port = s[:i], n
	}
	if strings.Contains(host, "*") && host != "*" && (!strings.HasPrefix(host, "*.") || strings.Contains(host[2:], "*")) {
		return pattern{}, fmt.Errorf("allowed host %q: a wildcard is \"*\" or a leading \"*.\"", orig)
	}
	if strings.ContainsAny(host, "/ @?#") {
		return pattern{}, fmt.Errorf("allowed host %q is not a host name or address", orig)
	}
	pt := pattern{host: host, port: port}
	if a, err := netip.ParseAddr(host); err == nil {
		pt.host = a.Unmap().String()
		pt.metadata = isMetadata(a)
	}
	return pt, nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not 1..65535", s)
	}
	return n, nil
}

// allows reports whether p admits host (lower case, an address unmapped
// and unbracketed) at port. A nil p admits any host.
func (p *Policy) allows(host string, port int) bool {
	if p == nil {
		return true
	}
	for _, pt := range p.patterns {
		if pt.port != 0 && pt.port != port {
			continue
		}
		switch {
		case pt.host == "*", pt.host == host:
			return true
		case strings.HasPrefix(pt.host, "*.") && strings.HasSuffix(host, pt.host[1:]):
			return true
		}
	}
	return false
}

// namesMetadata reports whether p names the metadata address host
// explicitly.
func (p *Policy) namesMetadata(host string, port int) bool {
	if p == nil {
		return false
	}
	for _, pt := range p.patterns {
		if pt.metadata && pt.host == host && (pt.port == 0 || pt.port == port) {
			return true
		}
	}
	return false
}

// check decides a request to host:port under the server's policy and the
// function's; metadata says whether it may reach the metadata addresses
// (both lists that exist name host, and at least one does).
func check(server, fn *Policy, host string, port int) (metadata bool, err error) {
	if !server.allows(host, port) {
		return false, &DeniedError{Reason: fmt.Sprintf("%s:%d is not in the server's allowed hosts", host, port)}
	}
	if !fn.allows(host, port) {
		return false, &DeniedError{Reason: fmt.Sprintf("%s:%d is not in the function's AllowedHosts", host, port)}
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !isMetadata(a) {
		return false, nil
	}
	named := (server != nil || fn != nil) &&
		(server == nil || server.namesMetadata(host, port)) &&
		(fn == nil || fn.namesMetadata(host, port))
	if !named {
		return false, &DeniedError{Reason: fmt.Sprintf("%s is a cloud instance-metadata address (name it in the allow-list to allow it)", host)}
	}
	return true, nil
}
