package manageapi

import "testing"

func TestParseName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, name, qualifier string }{
		{"f", "f", ""},
		{"f:live", "f", "live"},
		{"f:$LATEST", "f", "$LATEST"},
		{"123456789012:function:f", "f", ""},
		{"123456789012:function:f:2", "f", "2"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "f", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:live", "f", "live"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if n, q := ParseName(tc.in); n != tc.name || q != tc.qualifier {
				t.Errorf("ParseName(%q) = %q, %q; want %q, %q", tc.in, n, q, tc.name, tc.qualifier)
			}
		})
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"f", "f:q", "arn:aws:lambda:r:1:function:f:q", "1:function:f", ":", "arn:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, q := ParseName(s)
		if len(n)+len(q) > len(s) {
			t.Fatalf("ParseName(%q) = %q, %q: longer than its input", s, n, q)
		}
	})
}
