package manageapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frescolabs/fresco/internal/invoke"
)

// fakeBackend holds n functions and answers the rest with errors; a
// hand-written fake: only what the handler's own logic needs.
type fakeBackend struct {
	Backend // unimplemented operations panic (the Recoverer answers 500)
	n       int
}

func (f fakeBackend) ListFunctions(context.Context) ([]FunctionConfiguration, error) {
	out := make([]FunctionConfiguration, f.n)
	for i := range out {
		out[i] = FunctionConfiguration{FunctionName: fmt.Sprintf("f%d", i)}
	}
	return out, nil
}

func (fakeBackend) GetFunction(_ context.Context, name, qualifier string) (GetFunctionOutput, error) {
	return GetFunctionOutput{}, invoke.NotFound("Function not found: %s|%s", name, qualifier)
}

func (fakeBackend) CreateFunction(_ context.Context, in CreateFunctionInput) (FunctionConfiguration, error) {
	return FunctionConfiguration{FunctionName: in.FunctionName, CodeSize: int64(len(in.Code.ZipFile))}, nil
}

func TestHandler(t *testing.T) {
	t.Parallel()
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(NewHandler(Config{Backend: fakeBackend{n: 5}, Fallback: fallback}))
	defer srv.Close()
	for _, tc := range []struct {
		name, method, target, body string
		status                     int
		errType, contains          string
	}{
		{"first page", "GET", "/2015-03-31/functions/?MaxItems=2", "", 200, "", `"NextMarker":"2"`},
		{"last page", "GET", "/2015-03-31/functions/?MaxItems=2&Marker=4", "", 200, "", `"Functions":[{"FunctionName":"f4"`},
		{"bad MaxItems", "GET", "/2015-03-31/functions/?MaxItems=0", "", 400, "InvalidParameterValueException", "maxItems"},
		{"bad Marker", "GET", "/2015-03-31/functions/?Marker=x", "", 400, "InvalidParameterValueException", "Marker"},
		{"not found, escaped ARN", "GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af?Qualifier=2", "", 404, "ResourceNotFoundException", "arn:aws:lambda:us-east-1:123456789012:function:f|2"},
		{"create, base64 code", "POST", "/2015-03-31/functions", `{"FunctionName":"g","Code":{"ZipFile":"AAEC"}}`, 201, "", `"CodeSize":3`},
		{"bad JSON", "POST", "/2015-03-31/functions", `{`, 400, "InvalidParameterValueException", ""},
		{"too large", "POST", "/2015-03-31/functions", strings.Repeat(" ", MaxRequest+1), 413, ErrEntityTooLarge, "69905067 bytes for the CreateFunction operation"},
		{"invoke goes on", "POST", "/2015-03-31/functions/f/invocations", "{}", 418, "", ""},
		{"unknown goes on", "GET", "/nothing", "", 418, "", ""},
		{"panic is a 500", "DELETE", "/2015-03-31/functions/f", "", 500, "ServiceException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.target, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("x-amzn-ErrorType") != tc.errType || !strings.Contains(string(b), tc.contains) {
				t.Errorf("%s %s = %d %q %s", tc.method, tc.target, resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), b)
			}
			if tc.errType != "" {
				var e struct{ Type, Message string }
				if json.Unmarshal(b, &e) != nil || e.Type == "" || e.Message == "" {
					t.Errorf("error body %s", b)
				}
			}
		})
	}
}
