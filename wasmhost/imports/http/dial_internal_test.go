package http

import (
	"context"
	"errors"
	nethttp "net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// A name that resolves to an instance-metadata address is refused by the
// dialer, on the address: the allow-list admits the name, the DNS answer
// is what matters. The lookup is planted in the client's cache, so no
// packet leaves the machine.
func TestDialerRefusesMetadataByAddress(t *testing.T) {
	c, err := NewClient(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for name, addr := range map[string]string{"imds.test": "169.254.169.254", "imds6.test": "fd00:ec2::254", "mapped.test": "::ffff:169.254.169.254"} {
		c.resolver.entries[name] = dnsEntry{addrs: []netip.Addr{netip.MustParseAddr(addr)}, expires: time.Now().Add(time.Hour)}
		fn, _ := NewPolicy([]string{name})
		req, _ := nethttp.NewRequest("GET", "http://"+name+"/latest/meta-data/", nil)
		_, errno, err := c.do(context.Background(), fn, req, nil)
		var denied *DeniedError
		if errno != errnoDenied || !errors.As(err, &denied) || !strings.Contains(err.Error(), "resolves to") {
			t.Errorf("%s -> %s: errno %d, %v; want a refusal by the dialer", name, addr, errno, err)
		}
	}
}

func TestPolicyPatterns(t *testing.T) {
	p, err := NewPolicy([]string{"API.example.com", "*.svc.test", "10.0.0.1:8080", "[::1]", "169.254.169.254:80"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host string
		port int
		want bool
	}{
		{"api.example.com", 443, true},
		{"example.com", 443, false},
		{"a.svc.test", 80, true},
		{"svc.test", 80, false},
		{"10.0.0.1", 8080, true},
		{"10.0.0.1", 80, false},
		{"::1", 1, true},
	} {
		if got := p.allows(tc.host, tc.port); got != tc.want {
			t.Errorf("allows(%s, %d) = %v, want %v", tc.host, tc.port, got, tc.want)
		}
	}
	if md, err := check(nil, p, "169.254.169.254", 80); !md || err != nil {
		t.Errorf("a metadata address the list names: %v, %v", md, err)
	}
	if _, err := check(nil, p, "169.254.169.254", 81); err == nil {
		t.Error("the metadata address on a port the list does not name is allowed")
	}
	any, _ := NewPolicy([]string{"*"})
	if _, err := check(nil, any, "169.254.169.254", 80); err == nil {
		t.Error(`"*" allows the metadata address`)
	}
	for _, bad := range []string{"", "http://x", "a*.b", "x:0", "[::1"} {
		if _, err := NewPolicy([]string{bad}); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
}
