package emulator_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Go application `sam init` creates (the hello-world template of the
// SAM CLI's Go runtimes): an API Gateway handler that fetches the caller's
// address from checkip.amazonaws.com and greets it. The only change is
// where it fetches from: the test's loopback server, named in the
// template's environment, since tests reach only 127.0.0.1.
const samInitMain = `package main

import (
	"errors"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var (
	// DefaultHTTPGetAddress Default Address
	DefaultHTTPGetAddress = "https://checkip.amazonaws.com"

	// ErrNoIP No IP found in response
	ErrNoIP = errors.New("No IP in HTTP response")

	// ErrNon200Response non 200 status code in response
	ErrNon200Response = errors.New("Non 200 Response found")
)

func init() {
	if u := os.Getenv("CHECKIP_URL"); u != "" {
		DefaultHTTPGetAddress = u
	}
}

func handler(request events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	resp, err := http.Get(DefaultHTTPGetAddress)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}

	if resp.StatusCode != 200 {
		return events.APIGatewayProxyResponse{}, ErrNon200Response
	}

	ip, err := ioutil.ReadAll(resp.Body)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}

	if len(ip) == 0 {
		return events.APIGatewayProxyResponse{}, ErrNoIP
	}

	return events.APIGatewayProxyResponse{
		Body:       fmt.Sprintf("Hello, %v (%s)", string(ip), os.Getenv("PARAM1")),
		StatusCode: 200,
	}, nil
}

func main() {
	lambda.Start(handler)
}
`

// samInitTemplate is sam init's template.yaml for the Go hello-world, with
// its Globals, build metadata, implicit API and role in the Outputs.
const samInitTemplate = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: >
  sam-app

  Sample SAM Template for sam-app

Globals:
  Function:
    Timeout: 5
    MemorySize: 128
    LoggingConfig:
      LogFormat: JSON

Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: go1.x
    Properties:
      CodeUri: %s
      Handler: bootstrap
      Runtime: provided.al2023
      Architectures:
        - x86_64
      Events:
        CatchAll:
          Type: Api
          Properties:
            Path: /hello
            Method: GET
      Environment:
        Variables:
          PARAM1: VALUE
          CHECKIP_URL: %s

Outputs:
  HelloWorldAPI:
    Description: "API Gateway endpoint URL for Prod environment for First Function"
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/hello/"
  HelloWorldFunction:
    Description: "First Lambda Function ARN"
    Value: !GetAtt HelloWorldFunction.Arn
  HelloWorldFunctionIamRole:
    Description: "Implicit IAM Role created for Hello World function"
    Value: !GetAtt HelloWorldFunctionRole.Arn
`

// samInitLayout is where a project keeps its go.mod and its handler.
type samInitLayout struct {
	version      string // of aws-lambda-go in the go.mod
	goVersion    string // the go.mod's go directive
	templateName string // template.yaml or template.yml
	moduleDir    string // relative to the project: "hello-world" or "."
	codeURI      string // the function's CodeUri
}

// samInitProject writes a sam init Go project in layout l whose handler
// fetches from checkip, and returns its directory.
func samInitProject(t *testing.T, l samInitLayout, checkip string) string {
	t.Helper()
	dir := t.TempDir()
	var sum []byte
	for _, p := range []string{"legacy", "unchanged"} {
		b, err := os.ReadFile(filepath.Join("build", "testdata", "build", p, "go.sum"))
		if err != nil {
			t.Fatal(err)
		}
		sum = append(sum, b...)
	}
	gomod := fmt.Sprintf("module hello-world\n\ngo %s\n\nrequire github.com/aws/aws-lambda-go %s\n", l.goVersion, l.version)
	files := map[string]string{
		filepath.Join(l.moduleDir, "go.mod"):     gomod,
		filepath.Join(l.moduleDir, "go.sum"):     string(sum),
		filepath.Join(l.codeURI, "main.go"):      samInitMain,
		filepath.Join("events", "event.json"):    `{"body":"{\"message\": \"hello world\"}","resource":"/hello","path":"/hello","httpMethod":"GET","isBase64Encoded":false,"queryStringParameters":{"foo":"bar"},"headers":{"Accept":"*/*"},"requestContext":{"stage":"Prod","httpMethod":"GET","path":"/Prod/hello"}}`,
		l.templateName:                           fmt.Sprintf(samInitTemplate, l.codeURI+"/", checkip),
		"samconfig.toml":                         "version = 0.1\n[default.global.parameters]\nstack_name = \"sam-app\"\n[default.deploy.parameters]\ncapabilities = \"CAPABILITY_IAM\"\n",
		filepath.Join(l.moduleDir, "Makefile"):   "build-HelloWorldFunction:\n\tGOOS=linux go build -o $(ARTIFACTS_DIR)/bootstrap\n",
		filepath.Join(l.codeURI, "main_test.go"): "package main\n",
		filepath.Join(l.moduleDir, ".gitignore"): "bootstrap\n",
		filepath.Join(l.moduleDir, "README.md"):  "# sam-app\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkipServer answers as checkip.amazonaws.com does, on loopback.
func checkipServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "203.0.113.7\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// samInitGreeting is what the handler answers through API Gateway.
const samInitGreeting = "Hello, 203.0.113.7\n (VALUE)"

// TestSAMInitProjects: the Go application sam init creates, in the layouts
// real projects have (go.mod beside the handler or at the root with
// CodeUri naming a package; template.yaml or template.yml) and with the
// aws-lambda-go versions they pin, builds unchanged and answers through
// `fresco local invoke -e events/event.json`, its go.mod untouched.
func TestSAMInitProjects(t *testing.T) {
	checkip := checkipServer(t)
	cache := t.TempDir()
	for _, l := range []samInitLayout{
		{"v1.36.1", "1.20", "template.yaml", "hello-world", "hello-world"},
		{"v1.27.0", "1.16", "template.yml", ".", "functions/hello"},
		{"v1.40.0", "1.18", "template.yml", "hello-world", "hello-world"},
		// The newest aws-lambda-go's own go.mod says go 1.26.
		{"v1.55.1", "1.26", "template.yaml", ".", "cmd/hello"},
	} {
		t.Run(l.version, func(t *testing.T) {
			// Each compiles its own module (wazero, under -race): the
			// layouts share nothing but the caches, which take concurrent
			// builders.
			t.Parallel()
			dir := samInitProject(t, l, checkip)
			gomod, _ := os.ReadFile(filepath.Join(dir, l.moduleDir, "go.mod"))
			code, stdout, stderr := runCLI(t, "", "local", "invoke", "HelloWorldFunction",
				"-t", filepath.Join(dir, l.templateName), "-e", filepath.Join(dir, "events", "event.json"), "--cache-dir", cache)
			var res struct {
				StatusCode int    `json:"statusCode"`
				Body       string `json:"body"`
			}
			if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.StatusCode != 200 || res.Body != samInitGreeting {
				t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, l.moduleDir, "go.mod")); string(after) != string(gomod) {
				t.Errorf("go.mod was edited:\n%s", after)
			}
		})
	}
}

// TestSAMInitStartLambdaAndAPI: the same project served as SAM serves it,
// by the fresco command from the project's directory: `start-lambda`
// answers the aws CLI and boto3, `start-api` answers curl on /hello and
// /hello/.
func TestSAMInitStartLambdaAndAPI(t *testing.T) {
	aws, python, curl := need(t, "aws"), need(t, "python3"), need(t, "curl")
	dir := samInitProject(t, samInitLayout{"v1.36.1", "1.20", "template.yml", "hello-world", "hello-world"}, checkipServer(t))
	bin := buildBinary(t)
	cache := t.TempDir()
	serve := func(cmdName, addrKey string) string {
		cmd := exec.Command(bin, cmdName, "-p", "0", "--admin-addr", "off", "--cache-dir", cache, "--state-dir", t.TempDir())
		cmd.Dir = dir
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		})
		re := regexp.MustCompile(`(?:^|\s)` + addrKey + `=(http://127\.0\.0\.1:\d+)`)
		var seen []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			seen = append(seen, sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "serving") {
				go io.Copy(io.Discard, stderr)
				return m[1]
			}
		}
		t.Fatalf("%s never reported %s:\n%s", cmdName, addrKey, strings.Join(seen, "\n"))
		return ""
	}

	url := serve("start-lambda", "addr")
	out := filepath.Join(t.TempDir(), "out.json")
	// fileb:// is raw bytes in both major versions of the aws CLI.
	cmd := exec.Command(aws, "lambda", "invoke", "--endpoint-url", url, "--function-name", "HelloWorldFunction",
		"--payload", "fileb://"+filepath.Join(dir, "events", "event.json"), out)
	cmd.Env = clientEnv(t)
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), `"StatusCode": 200`) {
		t.Fatalf("aws lambda invoke: %v\n%s", err, b)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), `"statusCode":200`) || !strings.Contains(string(b), `Hello, 203.0.113.7\n (VALUE)`) {
		t.Errorf("aws lambda invoke answered %s", b)
	}
	script := `
import boto3, json, sys
c = boto3.client("lambda", endpoint_url=sys.argv[1])
r = c.invoke(FunctionName="HelloWorldFunction", Payload=json.dumps({"path": "/hello", "httpMethod": "GET"}))
print(json.dumps({"status": r["StatusCode"], "payload": json.loads(r["Payload"].read())}))
`
	cmd = exec.Command(python, "-c", script, url)
	cmd.Env = clientEnv(t)
	b, err := cmd.Output()
	var got struct {
		Status  int `json:"status"`
		Payload struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		} `json:"payload"`
	}
	if err != nil || json.Unmarshal(b, &got) != nil || got.Status != 200 || got.Payload.StatusCode != 200 || got.Payload.Body != samInitGreeting {
		t.Errorf("boto3: %v %s", err, b)
	}

	api := serve("start-api", "api_addr")
	for _, path := range []string{"/hello", "/hello/"} {
		b, err := exec.Command(curl, "-sS", "-w", " %{http_code}", api+path).CombinedOutput()
		if err != nil || string(b) != samInitGreeting+" 200" {
			t.Errorf("curl %s: %q, %v", path, b, err)
		}
	}
}
