package sam

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

func TestTemplateAPIEvents(t *testing.T) {
	t.Parallel()
	tmpl := mustLoadTemplate(t, filepath.Join("testdata", "apigw", "events.yaml"), TemplateOptions{})
	fn := mustFunction(t, tmpl, "Fn")
	wantEvents := []Event{
		// An HttpApi event without Path and Method is SAM's $default route.
		{Name: "CatchAll", Type: apispec.HTTPAPI, API: "ServerlessHttpApi", Route: testRoute(t, apispec.HTTPAPI, "ANY", "$default"), PayloadFormat: apispec.PayloadV2},
		{Name: "Explicit", Type: apispec.HTTPAPI, API: "MyHttpApi", Route: testRoute(t, apispec.HTTPAPI, "ANY", "/c/{id}"), PayloadFormat: apispec.PayloadV1},
		{Name: "Greedy", Type: apispec.RESTAPI, API: "MyApi", Route: testRoute(t, apispec.RESTAPI, "ANY", "/b/{proxy+}"), PayloadFormat: apispec.PayloadV1},
		{Name: "Implicit", Type: apispec.RESTAPI, API: "ServerlessRestApi", Route: testRoute(t, apispec.RESTAPI, "GET", "/a"), PayloadFormat: apispec.PayloadV1},
	}
	if !reflect.DeepEqual(fn.Events, wantEvents) {
		t.Errorf("events:\n got %+v\nwant %+v", fn.Events, wantEvents)
	}
	if ev := mustFunction(t, tmpl, "NoEvents").Events; ev != nil {
		t.Errorf("NoEvents has events %+v", ev)
	}

	intp := func(n int) *int { return &n }
	wantAPIs := []*API{
		{LogicalID: "MyApi", Type: apispec.RESTAPI, StageName: "dev",
			StageVariables:   map[string]string{"color": "blue"},
			BinaryMediaTypes: []string{"image/png", "application/octet-stream"},
			Cors: &apispec.CORS{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "POST"},
				AllowHeaders: []string{"Content-Type", "X-Tag"}, MaxAge: intp(600), AllowCredentials: true}},
		{LogicalID: "MyHttpApi", Type: apispec.HTTPAPI, StageName: "v1",
			StageVariables: map[string]string{"tier": "gold"},
			Cors: &apispec.CORS{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "POST"},
				AllowHeaders: []string{"content-type"}, ExposeHeaders: []string{"x-tag"}, MaxAge: intp(300)}},
		// Implicit APIs take Globals and SAM's stages.
		{LogicalID: "ServerlessRestApi", Type: apispec.RESTAPI, Implicit: true, StageName: "Prod",
			BinaryMediaTypes: []string{"image/png", "application/octet-stream"},
			Cors:             &apispec.CORS{AllowOrigins: []string{"*"}}},
		{LogicalID: "ServerlessHttpApi", Type: apispec.HTTPAPI, Implicit: true, StageName: "$default",
			Cors: &apispec.CORS{AllowOrigins: []string{"*"}}},
	}
	if len(tmpl.APIs) != len(wantAPIs) {
		t.Fatalf("APIs: got %d, want %d: %+v", len(tmpl.APIs), len(wantAPIs), tmpl.APIs)
	}
	for i, want := range wantAPIs {
		if got := tmpl.APIs[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("API %d:\n got %+v (cors %+v)\nwant %+v (cors %+v)", i, got, got.Cors, want, want.Cors)
		}
	}
	for _, w := range tmpl.Warnings {
		if strings.Contains(w, "TimeoutInMillis") || strings.Contains(w, "Upload") {
			t.Errorf("unexpected warning %q", w)
		}
	}
}

func TestTemplateAPIEventErrors(t *testing.T) {
	t.Parallel()
	const head = "Transform: AWS::Serverless-2016-10-31\nResources:\n"
	fn := func(events string) string {
		return "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn\n      Events:\n" + events
	}
	tests := []struct {
		name, body, want string
	}{
		{"Api without Method", fn("        E:\n          Type: Api\n          Properties:\n            Path: /a\n"), "Path and Method are required"},
		{"Api without Properties", fn("        E:\n          Type: Api\n"), "Path and Method are required"},
		{"HttpApi with Path only", fn("        E:\n          Type: HttpApi\n          Properties:\n            Path: /a\n"), "Path and Method go together"},
		{"bad path", fn("        E:\n          Type: Api\n          Properties:\n            Path: a/b\n            Method: GET\n"), "must start with /"},
		{"greedy in the middle", fn("        E:\n          Type: HttpApi\n          Properties:\n            Path: /{p+}/x\n            Method: GET\n"), "greedy parameter"},
		{"bad method", fn("        E:\n          Type: Api\n          Properties:\n            Path: /a\n            Method: FETCH\n"), `method "FETCH"`},
		{"bad payload version", fn("        E:\n          Type: HttpApi\n          Properties:\n            Path: /a\n            Method: GET\n            PayloadFormatVersion: \"3.0\"\n"), "PayloadFormatVersion"},
		{"$default on a REST API", fn("        E:\n          Type: Api\n          Properties:\n            Path: $default\n            Method: ANY\n"), "only HTTP APIs"},
		{"RestApiId to nothing", fn("        E:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Missing\n            Path: /a\n            Method: GET\n"), "property Events.E.Properties.RestApiId: Missing names no parameter, pseudo parameter or resource"},
		{"RestApiId to an HttpApi", fn("        E:\n          Type: Api\n          Properties:\n            RestApiId: !Ref H\n            Path: /a\n            Method: GET\n") +
			"  H:\n    Type: AWS::Serverless::HttpApi\n", "H is not an AWS::Serverless::Api"},
		{"ApiId to a bucket", fn("        E:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref B\n            Path: /a\n            Method: GET\n") +
			"  B:\n    Type: AWS::S3::Bucket\n", "B is not an AWS::Serverless::HttpApi"},
		{"bad Cors", "  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: x\n      Cors:\n        AllowMethods: \"'GET'\"\n        Bogus: 1\n", "Cors"},
		{"Cors without origin", "  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: x\n      Cors:\n        AllowOrigin: \"''\"\n", "AllowOrigin is required"},
		{"credentials with any origin", "  A:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration:\n        AllowOrigins: ['*']\n        AllowCredentials: true\n", "AllowCredentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTemplate([]byte(head+tc.body), "t.yaml", t.TempDir(), TemplateOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "template t.yaml: ") {
				t.Errorf("error does not name the template: %v", err)
			}
		})
	}
}

// testRoute is the route key apispec makes of method and path.
func testRoute(t *testing.T, kind apispec.APIKind, method, path string) apispec.RouteKey {
	t.Helper()
	key, err := apispec.ParseRoute(kind, method, path)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
