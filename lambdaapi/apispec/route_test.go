package apispec

import (
	"strings"
	"testing"
)

// FuzzParseRoutePath: route paths from templates are untrusted; parsing
// never panics and accepted paths round-trip.
func FuzzParseRoutePath(f *testing.F) {
	for _, p := range []string{"/", "/a/{b}/{c+}", "/{", "/a}", "/{+}", "//", "/{a}/{a}"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		segs, err := ParseRoutePath(path)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, s := range segs {
			b.WriteByte('/')
			switch s.Kind {
			case SegLiteral:
				b.WriteString(s.Text)
			case SegParam:
				b.WriteString("{" + s.Text + "}")
			case SegGreedy:
				b.WriteString("{" + s.Text + "+}")
			}
		}
		if got := b.String(); got != path && !(path == "/" && got == "") {
			t.Fatalf("%q parsed back as %q", path, got)
		}
	})
}
