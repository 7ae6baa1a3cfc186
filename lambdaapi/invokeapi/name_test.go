package invokeapi

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/frescolabs/fresco/internal/invoke"
)

func TestParseFunctionName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64)
	tests := []struct {
		in      string
		want    functionRef
		wantErr string // substring of the message; "" means success
	}{
		{in: "Hello", want: functionRef{Name: "Hello"}},
		{in: "my-function_2", want: functionRef{Name: "my-function_2"}},
		{in: "Hello:live", want: functionRef{Name: "Hello", Qualifier: "live"}},
		{in: "Hello:1", want: functionRef{Name: "Hello", Qualifier: "1"}},
		{in: "Hello:$LATEST", want: functionRef{Name: "Hello", Qualifier: "$LATEST"}},
		{in: "Hello:$LATEST.PUBLISHED", want: functionRef{Name: "Hello", Qualifier: "$LATEST.PUBLISHED"}},
		{in: "Hello%3A%24LATEST", want: functionRef{Name: "Hello", Qualifier: "$LATEST"}},
		{in: "Hello%3alive", want: functionRef{Name: "Hello", Qualifier: "live"}},
		{in: "%48ello", want: functionRef{Name: "Hello"}},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:Hello", want: functionRef{Name: "Hello"}},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:Hello:7", want: functionRef{Name: "Hello", Qualifier: "7"}},
		{in: "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3AHello%3A%24LATEST", want: functionRef{Name: "Hello", Qualifier: "$LATEST"}},
		{in: "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:Hello", want: functionRef{Name: "Hello"}},
		{in: "arn:aws-cn:lambda:cn-north-1:123456789012:function:Hello", want: functionRef{Name: "Hello"}},
		{in: "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:Hello", want: functionRef{Name: "Hello"}},
		{in: "123456789012:function:Hello", want: functionRef{Name: "Hello"}},
		{in: "123456789012:function:Hello:live", want: functionRef{Name: "Hello", Qualifier: "live"}},
		{in: "123456789012%3Afunction%3AHello", want: functionRef{Name: "Hello"}},
		{in: "arn", want: functionRef{Name: "arn"}},
		{in: "arn:1", want: functionRef{Name: "arn", Qualifier: "1"}},
		// The model's pattern allows '.', so the Backend answers 404.
		{in: "Hello.World", want: functionRef{Name: "Hello.World"}},
		{in: long, want: functionRef{Name: long}},

		{in: "", wantErr: "Member must have length greater than or equal to 1"},
		{in: long + "a", wantErr: "Member must have length less than or equal to 64"},
		{in: strings.Repeat("a", 257), wantErr: "Member must have length less than or equal to 256"},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:" + long + "a", wantErr: "less than or equal to 64"},
		{in: "Hello World", wantErr: "regular expression pattern"},
		{in: "Hello%20World", wantErr: "regular expression pattern"},
		{in: "Hello%2FWorld", wantErr: "regular expression pattern"},
		{in: "Héllo", wantErr: "regular expression pattern"},
		{in: "Hello:", wantErr: "regular expression pattern"},
		{in: ":live", wantErr: "regular expression pattern"},
		{in: "Hello:a:b", wantErr: "regular expression pattern"},
		{in: "Hello:$latest", wantErr: "regular expression pattern"},
		{in: "Hello:$1", wantErr: "regular expression pattern"},
		{in: "Hello:" + strings.Repeat("q", 129), wantErr: "regular expression pattern"},
		{in: "arn:aws:lambda:us-east-1:123456789012:function", wantErr: "regular expression pattern"},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:", wantErr: "regular expression pattern"},
		{in: "arn:aws:s3:us-east-1:123456789012:function:Hello", wantErr: "regular expression pattern"},
		{in: "arn:gcp:lambda:us-east-1:123456789012:function:Hello", wantErr: "regular expression pattern"},
		{in: "arn:aws:lambda:useast1:123456789012:function:Hello", wantErr: "regular expression pattern"},
		{in: "arn:aws:lambda:us-east-1:12345:function:Hello", wantErr: "regular expression pattern"},
		{in: "arn:aws:lambda:us-east-1:123456789012:layer:Hello", wantErr: "regular expression pattern"},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:Hello:1:2", wantErr: "regular expression pattern"},
		{in: "123456789012:function:Hello:1:2", wantErr: "regular expression pattern"},
		{in: "%zz", wantErr: "regular expression pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseFunctionName(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseFunctionName(%q): %v", tt.in, err)
				}
				if got != tt.want {
					t.Fatalf("parseFunctionName(%q) = %+v, want %+v", tt.in, got, tt.want)
				}
				return
			}
			var se *invoke.ServiceError
			if !errors.As(err, &se) {
				t.Fatalf("parseFunctionName(%q) = %+v, %v; want a service error", tt.in, got, err)
			}
			if se.Status != 400 || se.Type != "InvalidParameterValueException" || !strings.Contains(se.Message, tt.wantErr) {
				t.Fatalf("parseFunctionName(%q) error = %d %s %q; want 400 InvalidParameterValueException containing %q",
					tt.in, se.Status, se.Type, se.Message, tt.wantErr)
			}
			if !strings.HasPrefix(se.Message, "1 validation error detected: ") {
				t.Errorf("message %q is not worded as a validation error", se.Message)
			}
		})
	}
}

func TestResolveQualifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fromName, fromQuery string
		want                string
		wantErr             string
	}{
		{"", "", "", ""},
		{"live", "", "live", ""},
		{"", "live", "live", ""},
		{"live", "live", "live", ""},
		{"", "$LATEST", "$LATEST", ""},
		{"live", "1", "", msgQualifierMismatch},
		{"$LATEST", "1", "", msgQualifierMismatch},
		{"", "a b", "", "regular expression pattern"},
		{"", "a:b", "", "regular expression pattern"},
		{"", strings.Repeat("q", 129), "", "less than or equal to 128"},
	}
	for _, tt := range tests {
		got, err := resolveQualifier(tt.fromName, tt.fromQuery)
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("resolveQualifier(%q, %q) = %q, %v; want %q", tt.fromName, tt.fromQuery, got, err, tt.want)
			}
			continue
		}
		var se *invoke.ServiceError
		if !errors.As(err, &se) || se.Status != 400 || se.Type != "InvalidParameterValueException" || !strings.Contains(se.Message, tt.wantErr) {
			t.Errorf("resolveQualifier(%q, %q) = %q, %v; want InvalidParameterValueException containing %q", tt.fromName, tt.fromQuery, got, err, tt.wantErr)
		}
	}
}

// FuzzParseFunctionName checks that the parser never panics, that whatever it
// accepts is well formed and reads back the same however it is written
// (plain, percent-encoded, as a full or partial ARN), that every refusal is a
// 400 InvalidParameterValueException, and that sane names are accepted.
func FuzzParseFunctionName(f *testing.F) {
	for _, s := range []string{
		"Hello", "Hello:live", "Hello%3A%24LATEST", "Hello:$LATEST.PUBLISHED",
		"arn:aws:lambda:us-east-1:123456789012:function:Hello:1",
		"123456789012:function:Hello", "arn", "a.b", "", ":", "%", "%3A", "Hello:a:b",
		"arn:aws:lambda:us-east-1:123456789012:function:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := parseFunctionName(s)
		if err != nil {
			var se *invoke.ServiceError
			if !errors.As(err, &se) || se.Status != 400 || se.Type != "InvalidParameterValueException" {
				t.Fatalf("parseFunctionName(%q) error %v is not a 400 InvalidParameterValueException", s, err)
			}
		} else {
			if !reName.MatchString(ref.Name) || len(ref.Name) > maxFunctionName {
				t.Fatalf("parseFunctionName(%q) accepted bad name %q", s, ref.Name)
			}
			if ref.Qualifier != "" && (!reNameQualifier.MatchString(ref.Qualifier) || len(ref.Qualifier) > maxQualifier) {
				t.Fatalf("parseFunctionName(%q) accepted bad qualifier %q", s, ref.Qualifier)
			}
			forms := []string{
				ref.String(),
				url.PathEscape(ref.String()),
				strings.NewReplacer(":", "%3A", "$", "%24").Replace(ref.String()),
				"arn:aws:lambda:us-east-1:123456789012:function:" + ref.String(),
				"arn%3Aaws%3Alambda%3Aeu-west-3%3A123456789012%3Afunction%3A" + url.PathEscape(ref.String()),
				"123456789012:function:" + ref.String(),
			}
			for _, form := range forms {
				got, err := parseFunctionName(form)
				if err != nil || got != ref {
					t.Fatalf("parseFunctionName(%q) = %+v, but its form %q reads back as %+v, %v", s, ref, form, got, err)
				}
			}
		}

		// A sane name (the CreateFunction alphabet) is always accepted as is.
		if sane := saneName(s); sane != "" {
			for _, q := range []string{"", "$LATEST", "live", "42"} {
				want := functionRef{Name: sane, Qualifier: q}
				got, err := parseFunctionName(url.PathEscape(want.String()))
				if err != nil || got != want {
					t.Fatalf("sane %+v reads back as %+v, %v", want, got, err)
				}
			}
		}
	})
}

// saneName keeps the characters of s that a function name may have, cut to
// the name's length limit.
func saneName(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			b.WriteRune(c)
		}
		if b.Len() == maxFunctionName {
			break
		}
	}
	return b.String()
}
