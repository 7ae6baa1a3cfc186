package sam

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

func testdataTemplate(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", "template", name))
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoadTemplate(t *testing.T, path string, opts TemplateOptions) *Template {
	t.Helper()
	tmpl, err := LoadTemplate(path, opts)
	if err != nil {
		t.Fatalf("LoadTemplate(%s): %v", path, err)
	}
	return tmpl
}

func mustFunction(t *testing.T, tmpl *Template, name string) *FunctionSpec {
	t.Helper()
	fn, ok := tmpl.Function(name)
	if !ok {
		t.Fatalf("function %q not found", name)
	}
	return fn
}

func TestTemplateGlobalsAndDefaults(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(templateAbs(t, "testdata"), "template")
	tests := []struct {
		file string
		want *FunctionSpec
	}{
		{"globals.yaml", &FunctionSpec{
			LogicalID: "Merged", Name: "Merged",
			CodeURI: filepath.Join(dir, "code", "merged"),
			Handler: "bootstrap", Runtime: "provided.al2023", Architecture: "arm64",
			MemoryMB: 256, Timeout: 20 * time.Second, ReservedConcurrency: 7, EphemeralMB: 1024,
			Description: "from Globals",
			Env: map[string]string{
				"SHARED": "global", "OVERRIDDEN": "function", "OWN": "function",
				"PORT": "8080", "DEBUG": "true",
			},
		}},
		{"globals.yaml", &FunctionSpec{
			LogicalID: "Own", Name: "Own",
			CodeURI: filepath.Join(dir, "code", "own.wasm"),
			Handler: "main", Runtime: "go1.x", Architecture: "x86_64",
			MemoryMB: 1024, Timeout: 900 * time.Second, ReservedConcurrency: 0, EphemeralMB: 2048,
			Description: "its own",
			Env: map[string]string{
				"SHARED": "global", "OVERRIDDEN": "global", "PORT": "8080", "DEBUG": "true",
			},
		}},
		{"defaults.yaml", &FunctionSpec{
			LogicalID: "Plain", Name: "Plain",
			CodeURI:      filepath.Join(dir, "plain"),
			Architecture: "x86_64", MemoryMB: 128, Timeout: 3 * time.Second, EphemeralMB: 512,
			Env: map[string]string{},
		}},
		{"defaults.yaml", &FunctionSpec{
			LogicalID: "Modern", Name: "modern-fn",
			CodeURI:      filepath.Join(dir, "modern"),
			Architecture: "x86_64", MemoryMB: 128, Timeout: 3 * time.Second, EphemeralMB: 512,
			// A Ref to a resource is its logical id, as in sam local.
			Env: map[string]string{"TABLE": "Table"},
			// Its HttpApi event is a route of SAM's implicit HTTP API.
			Events: []Event{{Name: "Get", Type: apispec.HTTPAPI, API: "ServerlessHttpApi", Route: testRoute(t, apispec.HTTPAPI, "GET", "/hello"), PayloadFormat: apispec.PayloadV2}},
		}},
		{"template.json", &FunctionSpec{
			LogicalID: "Json", Name: "Json",
			CodeURI:      filepath.Join(dir, "json.wasm"),
			Architecture: "x86_64", MemoryMB: 128, Timeout: 3 * time.Second, EphemeralMB: 512,
			Env: map[string]string{"STAGE": "json", "SUB": "s-json"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.want.LogicalID, func(t *testing.T) {
			t.Parallel()
			tmpl := mustLoadTemplate(t, testdataTemplate(t, tt.file), TemplateOptions{})
			if tmpl.Dir != dir {
				t.Errorf("Dir = %q, want %q", tmpl.Dir, dir)
			}
			got := mustFunction(t, tmpl, tt.want.LogicalID)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("function:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestTemplateFunctionsSortedAndLookup(t *testing.T) {
	t.Parallel()
	tmpl := mustLoadTemplate(t, testdataTemplate(t, "envvars.yaml"), TemplateOptions{})
	var ids []string
	for _, f := range tmpl.Functions {
		ids = append(ids, f.LogicalID)
	}
	if want := []string{"First", "Second", "Third"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Functions = %v, want %v", ids, want)
	}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"First", "First", true},
		{"Second", "Second", true},
		{"second-fn", "Second", true},
		{"third-fn", "Third", true},
		{"second", "", false},
		{"Nope", "", false},
	}
	for _, tt := range tests {
		fn, ok := tmpl.Function(tt.name)
		if ok != tt.ok || (ok && fn.LogicalID != tt.want) {
			t.Errorf("Function(%q) = %v, %v; want %s, %v", tt.name, fn, ok, tt.want, tt.ok)
		}
	}
}

func TestTemplateParameters(t *testing.T) {
	// Not parallel: it sets AWS_REGION.
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	tests := []struct {
		name      string
		region    string
		overrides map[string]string
		wantName  string
		wantMem   int
		wantCode  string
		wantEnv   map[string]string
		wantDesc  string
	}{
		{
			name:     "defaults",
			wantName: "app-dev", wantMem: 256, wantCode: "app",
			wantDesc: "fresco in us-east-1",
			wantEnv: map[string]string{
				"STAGE": "dev", "REGION": "us-east-1", "ACCOUNT": "123456789012", "STACK": "fresco",
				"LONG_FORM": "long-dev", "NAMED": "app-dev", "LITERAL": "${NotAVariable}", "MEMORY": "256",
			},
		},
		{
			name:      "overridden",
			region:    "eu-west-3",
			overrides: map[string]string{"Stage": "prod", "Memory": "512", "Code": "other"},
			wantName:  "app-prod", wantMem: 512, wantCode: "other",
			wantDesc: "fresco in eu-west-3",
			wantEnv: map[string]string{
				"STAGE": "prod", "REGION": "eu-west-3", "ACCOUNT": "123456789012", "STACK": "fresco",
				"LONG_FORM": "long-prod", "NAMED": "other-prod", "LITERAL": "${NotAVariable}", "MEMORY": "512",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.region != "" {
				t.Setenv("AWS_REGION", tt.region)
			}
			path := testdataTemplate(t, "params.yaml")
			tmpl := mustLoadTemplate(t, path, TemplateOptions{Parameters: tt.overrides})
			fn := mustFunction(t, tmpl, "App")
			if fn.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", fn.Name, tt.wantName)
			}
			if got, ok := tmpl.Function(tt.wantName); !ok || got != fn {
				t.Errorf("Function(%q) does not find App", tt.wantName)
			}
			if fn.MemoryMB != tt.wantMem {
				t.Errorf("MemoryMB = %d, want %d", fn.MemoryMB, tt.wantMem)
			}
			if want := filepath.Join(filepath.Dir(path), tt.wantCode); fn.CodeURI != want {
				t.Errorf("CodeURI = %q, want %q", fn.CodeURI, want)
			}
			if fn.Description != tt.wantDesc {
				t.Errorf("Description = %q, want %q", fn.Description, tt.wantDesc)
			}
			if !reflect.DeepEqual(fn.Env, tt.wantEnv) {
				t.Errorf("Env:\n got %v\nwant %v", fn.Env, tt.wantEnv)
			}
			if len(tmpl.Warnings) != 0 {
				t.Errorf("Warnings = %q, want none", tmpl.Warnings)
			}
		})
	}
}

func TestTemplateWarnings(t *testing.T) {
	t.Parallel()
	path := writeTemplate(t, `
Parameters:
  NoDefault: {Type: String}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Tags: {Version: 1}
      Events: not-a-map
      Environment:
        Variables:
          EMPTY: !Ref NoDefault
Outputs:
  Url: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/${Nowhere}"
`)
	tmpl := mustLoadTemplate(t, path, TemplateOptions{Parameters: map[string]string{"Undeclared": "v"}})
	fn := mustFunction(t, tmpl, "Fn")
	if want := map[string]string{"EMPTY": ""}; !reflect.DeepEqual(fn.Env, want) {
		t.Errorf("Env = %v, want %v", fn.Env, want)
	}
	all := strings.Join(tmpl.Warnings, "\n")
	if strings.Contains(all, "Tags") {
		t.Errorf("numeric Tags were not coerced: %q", tmpl.Warnings)
	}
	for _, want := range []string{"Undeclared", "function Fn: property Environment.Variables.EMPTY: parameter NoDefault has no Default", "function Fn: property ignored: Events: "} {
		if !strings.Contains(all, want) {
			t.Errorf("Warnings %q do not mention %q", tmpl.Warnings, want)
		}
	}
	// Outputs are not fresco's to read: nothing there is reported, and
	// SAM's implicit API is a resource to reference.
	if strings.Contains(all, "Nowhere") || strings.Contains(all, "ServerlessRestApi") {
		t.Errorf("Warnings mention Outputs: %q", tmpl.Warnings)
	}
}

// TestTemplateIntrinsicErrors: what SAM refuses, fresco refuses, naming the
// function and the property: an intrinsic function that does not exist
// (short or long form), and a reference to nothing.
func TestTemplateIntrinsicErrors(t *testing.T) {
	t.Parallel()
	fn := func(env string) string {
		return "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn\n      Environment:\n        Variables:\n          " + env + "\n"
	}
	for _, tc := range []struct{ name, tmpl, path, want string }{
		{"unknown short form", fn("X: !FooBar x"), "t.yaml", "function Fn: property Environment.Variables.X: unknown intrinsic function !FooBar (line 8)"},
		{"unknown long form", fn("X: {Fn::FooBar: x}"), "t.yaml", "function Fn: property Environment.Variables.X: unknown intrinsic function Fn::FooBar"},
		{"unknown long form in JSON", `{"Resources":{"Fn":{"Type":"AWS::Serverless::Function","Properties":{"CodeUri":"fn","Timeout":{"Fn::Nope":[1]}}}}}`, "t.json", "function Fn: property Timeout: unknown intrinsic function Fn::Nope"},
		{"Ref to nothing", fn("X: !Ref Nowhere"), "t.yaml", "function Fn: property Environment.Variables.X: Nowhere names no parameter, pseudo parameter or resource"},
		{"Sub of nothing", fn(`X: !Sub "a-${Nowhere}"`), "t.yaml", "function Fn: property Environment.Variables.X: Nowhere names no parameter"},
		{"GetAtt of nothing", fn("X: !GetAtt Nope.Arn"), "t.yaml", "function Fn: property Environment.Variables.X: Fn::GetAtt Nope.Arn: the template has no resource Nope"},
		{"unknown condition", "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Condition: Nope\n    Properties:\n      CodeUri: fn\n", "t.yaml", "function Fn: Condition: Nope is not in the template's Conditions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTemplate([]byte(tc.tmpl), tc.path, "/t", TemplateOptions{})
			var te *TemplateError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a *TemplateError with %q", err, tc.want)
			}
		})
	}
}

// TestTemplateConditions: conditions are evaluated as CloudFormation does,
// with parameters and their overrides: Fn::If picks a value, !Condition
// and Fn::And combine them, AWS::NoValue removes a property, and a
// resource whose Condition is false is not there.
func TestTemplateConditions(t *testing.T) {
	t.Parallel()
	tmpl := `
Parameters:
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  DevAndUs: !And [!Condition IsDev, !Equals [!Ref "AWS::Region", us-east-1]]
Resources:
  Always:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a
      MemorySize: !If [IsProd, 1024, 256]
      Environment:
        Variables:
          MODE: !If [DevAndUs, dev-us, other]
          ONLY_PROD: !If [IsProd, "yes", !Ref "AWS::NoValue"]
  ProdOnly:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties:
      CodeUri: p
`
	for _, tc := range []struct {
		stage            string
		memory           int
		mode             string
		onlyProd, hasFun bool
	}{{"dev", 256, "dev-us", false, false}, {"prod", 1024, "other", true, true}} {
		t.Run(tc.stage, func(t *testing.T) {
			got, err := parseTemplate([]byte(tmpl), "t.yaml", "/t", TemplateOptions{Region: "us-east-1", Parameters: map[string]string{"Stage": tc.stage}})
			if err != nil {
				t.Fatal(err)
			}
			a := mustFunction(t, got, "Always")
			_, onlyProd := a.Env["ONLY_PROD"]
			if a.MemoryMB != tc.memory || a.Env["MODE"] != tc.mode || onlyProd != tc.onlyProd {
				t.Errorf("Always: memory %d, env %v; want %d, MODE %s, ONLY_PROD set %v", a.MemoryMB, a.Env, tc.memory, tc.mode, tc.onlyProd)
			}
			if _, ok := got.Function("ProdOnly"); ok != tc.hasFun {
				t.Errorf("ProdOnly present: %v, want %v", ok, tc.hasFun)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	fn := func(props string) string {
		return "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Properties:\n" + props
	}
	tests := []struct {
		name     string
		yaml     string
		wantID   string // the LogicalID the error must name, if any
		contains string
	}{
		{"invalid YAML", "Resources: [unclosed\n", "", "invalid YAML"},
		{"not a template", "- a\n- b\n", "", "not a CloudFormation template"},
		{"no CodeUri", fn("      Handler: x\n"), "Hello", "no CodeUri"},
		{"InlineCode", fn("      InlineCode: x\n"), "Hello", "InlineCode"},
		{"S3 CodeUri", fn("      CodeUri: {Bucket: b, Key: k}\n"), "Hello", "S3"},
		{"s3 URL CodeUri", fn("      CodeUri: s3://bucket/key.zip\n"), "Hello", "S3"},
		{"MemorySize too small", fn("      CodeUri: x\n      MemorySize: 64\n"), "Hello", "MemorySize 64 is outside 128..10240"},
		{"MaximumRetryAttempts 3", fn("      CodeUri: x\n      EventInvokeConfig: {MaximumRetryAttempts: 3}\n"), "Hello", "MaximumRetryAttempts 3 is outside 0..2"},
		{"MaximumEventAgeInSeconds 59", fn("      CodeUri: x\n      EventInvokeConfig: {MaximumEventAgeInSeconds: 59}\n"), "Hello", "MaximumEventAgeInSeconds 59 is outside 60..21600"},
		{"numeric AutoPublishAlias", fn("      CodeUri: x\n      AutoPublishAlias: '12'\n"), "Hello", `AutoPublishAlias "12": an alias name cannot be a number`},
		{"AutoPublishAlias with a dot", fn("      CodeUri: x\n      AutoPublishAlias: v1.0\n"), "Hello", `AutoPublishAlias "v1.0": an alias name has only letters`},
		{"MemorySize too large", fn("      CodeUri: x\n      MemorySize: 10241\n"), "Hello", "MemorySize 10241 is outside 128..10240"},
		{"MemorySize not a number", fn("      CodeUri: x\n      MemorySize: lots\n"), "Hello", "MemorySize"},
		{"EphemeralStorage too small", fn("      CodeUri: x\n      EphemeralStorage: {Size: 256}\n"), "Hello", "EphemeralStorage Size 256 is outside 512..10240"},
		{"EphemeralStorage too large", fn("      CodeUri: x\n      EphemeralStorage: {Size: 10241}\n"), "Hello", "EphemeralStorage Size 10241 is outside 512..10240"},
		{"Timeout zero", fn("      CodeUri: x\n      Timeout: 0\n"), "Hello", "Timeout 0 is outside 1..900"},
		{"Timeout too long", fn("      CodeUri: x\n      Timeout: 901\n"), "Hello", "Timeout 901 is outside 1..900"},
		{"Globals MemorySize", "Globals:\n  Function:\n    MemorySize: 1\n" + fn("      CodeUri: x\n"), "Hello", "MemorySize 1 is outside"},
		{"architecture", fn("      CodeUri: x\n      Architectures: [mips]\n"), "Hello", "x86_64 or arm64"},
		{"reserved concurrency", fn("      CodeUri: x\n      ReservedConcurrentExecutions: -1\n"), "Hello", "negative"},
		{"env var object", fn("      CodeUri: x\n      Environment: {Variables: {A: {B: c}}}\n"), "Hello", "Environment.Variables.A"},
		{"unknown FrescoMode", "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Metadata: {FrescoMode: docker}\n    Properties:\n      CodeUri: x\n",
			"Hello", `Metadata FrescoMode: unknown value "docker"`},
		{"FrescoMode not a string", "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Metadata: {FrescoMode: [native]}\n    Properties:\n      CodeUri: x\n",
			"Hello", "Metadata FrescoMode: want a string"},
		{"FrescoAllowedHosts not a list", "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Metadata: {FrescoAllowedHosts: example.com}\n    Properties:\n      CodeUri: x\n",
			"Hello", "Metadata FrescoAllowedHosts: want a list of hosts"},
		{"native .wasm", "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Metadata: {FrescoMode: native}\n    Properties:\n      CodeUri: x.wasm\n",
			"Hello", "needs a Go package directory"},
		{"duplicate FunctionName", fn("      CodeUri: x\n      FunctionName: Other\n") +
			"  Other:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: y\n", "Hello", `FunctionName "Other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeTemplate(t, tt.yaml)
			_, err := LoadTemplate(path, TemplateOptions{})
			if err == nil {
				t.Fatal("LoadTemplate succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("error %T is not a *TemplateError", err)
			}
			if te.LogicalID != tt.wantID {
				t.Errorf("LogicalID = %q, want %q", te.LogicalID, tt.wantID)
			}
			if tt.wantID != "" && !strings.Contains(err.Error(), "function "+tt.wantID+":") {
				t.Errorf("error %q does not name function %s", err, tt.wantID)
			}
		})
	}
}

// TestTemplateMode pins the rule of Mode: Metadata FrescoMode first, then
// an executable CodeUri/bootstrap, then wasm.
func TestTemplateMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"script": 0o755, "plain": 0o644} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "bootstrap"), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	fn := func(id, metadata, codeURI string) string {
		s := "  " + id + ":\n    Type: AWS::Serverless::Function\n"
		if metadata != "" {
			s += "    Metadata: {" + metadata + "}\n"
		}
		return s + "    Properties:\n      CodeUri: " + filepath.Join(dir, codeURI) + "\n"
	}
	path := writeTemplate(t, "Resources:\n"+
		fn("Wasm", "", "pkg")+
		fn("Native", "FrescoMode: native, BuildMethod: go1.x", "pkg")+
		fn("Bootstrap", "", "script")+
		fn("NotExecutable", "", "plain")+
		fn("ForcedWasm", "FrescoMode: wasm", "script")+
		fn("OtherMetadata", "BuildMethod: go1.x", "pkg"))
	tmpl := mustLoadTemplate(t, path, TemplateOptions{})
	for id, want := range map[string]Mode{
		"Wasm": ModeWasm, "Native": ModeNative, "Bootstrap": ModeBootstrap,
		"NotExecutable": ModeWasm, "ForcedWasm": ModeWasm, "OtherMetadata": ModeWasm,
	} {
		if got := mustFunction(t, tmpl, id).Mode; got != want {
			t.Errorf("%s: mode %v, want %v", id, got, want)
		}
	}
	// The default architecture (x86_64) is not this machine's on arm64 only.
	warned := strings.Contains(strings.Join(tmpl.Warnings, "\n"), "function Native: Architectures x86_64 is not honoured")
	if warned != (hostArchitecture() != "x86_64") {
		t.Errorf("warnings %q", tmpl.Warnings)
	}
}

func TestTemplateNotFound(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := LoadTemplate(path, TemplateOptions{})
	if !errors.Is(err, ErrTemplateNotFound) {
		t.Fatalf("err = %v, want ErrTemplateNotFound", err)
	}
	if want := "template not found: " + path; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

// TestTemplateRepository loads the repository's own template, which every
// sample and the README use.
func TestTemplateRepository(t *testing.T) {
	t.Parallel()
	tmpl := mustLoadTemplate(t, filepath.Join("..", "..", "template.yaml"), TemplateOptions{})
	if len(tmpl.Functions) == 0 {
		t.Fatal("no functions")
	}
	for _, f := range tmpl.Functions {
		if !filepath.IsAbs(f.CodeURI) || f.MemoryMB < MinMemoryMB || f.Timeout <= 0 {
			t.Errorf("function %s: %+v", f.LogicalID, f)
		}
	}
}

func writeTemplate(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func templateAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// FuzzTemplate checks that no template text makes the parser panic.
func FuzzTemplate(f *testing.F) {
	for _, name := range []string{"globals.yaml", "defaults.yaml", "params.yaml", "envvars.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "template", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("Resources: {A: {Type: AWS::Serverless::Function, Properties: {CodeUri: !Sub [\"${x}\", {x: 1}]}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tmpl, err := parseTemplate(data, "fuzz.yaml", "/fuzz", TemplateOptions{})
		if err != nil {
			return
		}
		for _, fn := range tmpl.Functions {
			if fn.MemoryMB < MinMemoryMB || fn.MemoryMB > MaxMemoryMB || fn.CodeURI == "" {
				t.Errorf("function %+v escaped validation", fn)
			}
		}
	})
}

// AutoPublishAlias, from the function or Globals.Function, and the
// properties that go with it.
func TestAutoPublishAlias(t *testing.T) {
	t.Parallel()
	data := []byte(`Globals:
  Function:
    AutoPublishAlias: live
    AutoPublishCodeSha256: abc
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a
      VersionDescription: first
  B:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: b
      AutoPublishAlias: prod
`)
	tmpl, err := parseTemplate(data, "t.yaml", "/t", TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustFunction(t, tmpl, "A"), mustFunction(t, tmpl, "B")
	if a.AutoPublishAlias != "live" || a.AutoPublishCodeSha256 != "abc" || a.VersionDescription != "first" {
		t.Errorf("A: %+v", a)
	}
	if b.AutoPublishAlias != "prod" || b.AutoPublishCodeSha256 != "abc" || b.VersionDescription != "" {
		t.Errorf("B: %+v", b)
	}
	for _, w := range tmpl.Warnings {
		if strings.Contains(w, "AutoPublish") || strings.Contains(w, "VersionDescription") {
			t.Errorf("warning: %s", w)
		}
	}
}

// DestinationConfig's Lambda destinations, named with !GetAtt Fn.Arn (the
// ARN carries FunctionName) or an ARN; other types are warned about.
func TestEventInvokeDestinations(t *testing.T) {
	t.Parallel()
	data := []byte(`Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess: {Type: Lambda, Destination: !GetAtt Named.Arn}
          OnFailure: {Type: SQS, Destination: arn:aws:sqs:us-east-1:123456789012:q}
  B:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: b
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: Lambda, Destination: "arn:aws:lambda:us-east-1:123456789012:function:A:live"}
  Named:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: n
      FunctionName: named-fn
`)
	tmpl, err := parseTemplate(data, "t.yaml", "/t", TemplateOptions{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustFunction(t, tmpl, "A"), mustFunction(t, tmpl, "B")
	if a.OnSuccess != "named-fn" || a.OnFailure != "" || b.OnFailure != "A:live" {
		t.Errorf("destinations: A %q/%q, B %q", a.OnSuccess, a.OnFailure, b.OnFailure)
	}
	warned := false
	for _, w := range tmpl.Warnings {
		warned = warned || strings.Contains(w, `destinations of Type "SQS" are not sent`)
	}
	if !warned {
		t.Errorf("no warning about the SQS destination: %q", tmpl.Warnings)
	}
	_, err = parseTemplate([]byte("Resources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: a\n      EventInvokeConfig:\n        DestinationConfig:\n          OnSuccess: {Type: Lambda, Destination: !GetAtt Nope.Arn}\n"),
		"t.yaml", "/t", TemplateOptions{})
	if err == nil || !strings.Contains(err.Error(), "function A: property EventInvokeConfig.DestinationConfig.OnSuccess.Destination: Fn::GetAtt Nope.Arn: the template has no resource Nope") {
		t.Errorf("a destination of an unknown function: %v", err)
	}
}

// EventInvokeConfig, from the function or Globals.Function.
func TestEventInvokeConfig(t *testing.T) {
	t.Parallel()
	data := []byte(`Globals:
  Function:
    EventInvokeConfig:
      MaximumRetryAttempts: 1
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a
  B:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: b
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        MaximumEventAgeInSeconds: 120
`)
	tmpl, err := parseTemplate(data, "t.yaml", "/t", TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustFunction(t, tmpl, "A"), mustFunction(t, tmpl, "B")
	if a.MaxRetries == nil || *a.MaxRetries != 1 || a.MaxEventAge != 0 {
		t.Errorf("A: retries %v, age %s; want 1 from Globals and the default age", a.MaxRetries, a.MaxEventAge)
	}
	if b.MaxRetries == nil || *b.MaxRetries != 0 || b.MaxEventAge != 2*time.Minute {
		t.Errorf("B: retries %v, age %s; want 0 and 2m", b.MaxRetries, b.MaxEventAge)
	}
}

// TestFindTemplate: as SAM, template.yaml, then template.yml, then
// template.json; template.yaml when there is none.
func TestFindTemplate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if got := FindTemplate(dir); got != filepath.Join(dir, "template.yaml") {
		t.Errorf("no template: %s", got)
	}
	for _, name := range []string{"template.json", "template.yml", "template.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := FindTemplate(dir); got != filepath.Join(dir, name) {
			t.Errorf("with %s: %s", name, got)
		}
	}
}

// TestNotEmulated: what a template asks for that fresco does not do is
// listed, function by function, with what fresco does instead; Api,
// HttpApi, Schedule and ScheduleV2 events and the properties fresco honours
// are not.
func TestNotEmulated(t *testing.T) {
	t.Parallel()
	tmpl, err := parseTemplate([]byte(`
Globals:
  Function:
    Layers: [arn:aws:lambda:us-east-1:123456789012:layer:shared:1]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      FunctionUrlConfig: {AuthType: NONE}
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 1}
      Events:
        Get: {Type: HttpApi, Properties: {Path: /a, Method: GET}}
        Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q}}
        Nightly: {Type: Schedule, Properties: {Schedule: rate(1 day)}}
        Retried: {Type: Schedule, Properties: {Schedule: rate(1 day), RetryPolicy: {MaximumRetryAttempts: 0}}}
        Flexible: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 day), FlexibleTimeWindow: {Mode: FLEXIBLE, MaximumWindowInMinutes: 5}}}
        Exact: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 day), FlexibleTimeWindow: {Mode: "OFF"}}}
        Unquoted: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 day), FlexibleTimeWindow: {Mode: OFF}}}
  Plain:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: p, Layers: []}
`), "t.yaml", "/t", TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range tmpl.NotEmulated {
		got = append(got, n.Function+" "+n.Feature)
		if n.Instead == "" {
			t.Errorf("%s %s: no word on what fresco does instead", n.Function, n.Feature)
		}
	}
	want := []string{"Fn Layers", "Fn ProvisionedConcurrencyConfig", "Fn event Flexible (ScheduleV2) FlexibleTimeWindow", "Fn event Queue (SQS)", "Fn event Retried (Schedule) RetryPolicy", "Plain Layers"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NotEmulated:\n got %q\nwant %q", got, want)
	}
}

// Metadata FrescoAllowedHosts is the function's allow-list: absent, any
// host (nil); a list, those hosts; an empty list, none.
func TestTemplateAllowedHosts(t *testing.T) {
	t.Parallel()
	path := writeTemplate(t, "Resources:\n"+
		"  Open:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: x\n"+
		"  Listed:\n    Type: AWS::Serverless::Function\n    Metadata: {FrescoAllowedHosts: [api.example.com, \"*.amazonaws.com:443\"]}\n    Properties:\n      CodeUri: x\n"+
		"  Closed:\n    Type: AWS::Serverless::Function\n    Metadata: {FrescoAllowedHosts: []}\n    Properties:\n      CodeUri: x\n")
	tmpl, err := LoadTemplate(path, TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range tmpl.Functions {
		got[f.LogicalID] = f.AllowedHosts
	}
	if got["Open"] != nil || len(got["Listed"]) != 2 || got["Listed"][1] != "*.amazonaws.com:443" || got["Closed"] == nil || len(got["Closed"]) != 0 {
		t.Errorf("allow-lists %q", got)
	}
}
