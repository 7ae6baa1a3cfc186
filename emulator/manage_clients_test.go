package emulator_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestManageAWSCLI deploys with the aws CLI as a user would: create-function
// from fileb://, wait function-active-v2, invoke, update-function-code,
// publish-version, create-alias, list-functions, delete-function.
func TestManageAWSCLI(t *testing.T) {
	m := serveManaged(t, t.TempDir())
	aws := need(t, "aws")
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(aws, append([]string{"--endpoint-url", m.url, "--output", "json"}, args...)...)
		cmd.Env = clientEnv(t)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String()
	}
	version := run("--version")
	rawPayload := []string{}
	if !strings.HasPrefix(version, "aws-cli/1.") {
		rawPayload = []string{"--cli-binary-format", "raw-in-base64-out"}
	}
	zipPath := filepath.Join(dir, "function.zip")
	os.WriteFile(zipPath, zipOf(t, map[string][]byte{"chello.wasm": readFile(t, filepath.Join("..", "samples", "chello", "chello.wasm"))}), 0o644)
	shZip := filepath.Join(dir, "shell.zip")
	os.WriteFile(shZip, zipOf(t, map[string][]byte{
		"bootstrap": readFile(t, filepath.Join("..", "samples", "shellhello", "bootstrap")),
		"hello.sh":  readFile(t, filepath.Join("..", "samples", "shellhello", "hello.sh")),
	}), 0o644)

	var created struct{ State, FunctionArn string }
	json.Unmarshal([]byte(run("lambda", "create-function", "--function-name", "cli-hello", "--runtime", "provided.al2023",
		"--role", "arn:aws:iam::123456789012:role/lambda", "--handler", "chello", "--zip-file", "fileb://"+zipPath)), &created)
	if created.State != "Pending" || !strings.HasSuffix(created.FunctionArn, ":function:cli-hello") {
		t.Errorf("create-function = %+v", created)
	}
	run("lambda", "wait", "function-active-v2", "--function-name", "cli-hello")
	out := filepath.Join(dir, "out.json")
	run(append(append([]string{"lambda", "invoke", "--function-name", "cli-hello"}, rawPayload...), "--payload", `{"name":"CLI"}`, out)...)
	if b, _ := os.ReadFile(out); string(b) != `{"message":"Hello, CLI!"}` {
		t.Errorf("invoke = %s", b)
	}

	// A bootstrap (a custom runtime in bash) is a process function.
	run("lambda", "create-function", "--function-name", "cli-shell", "--runtime", "provided.al2023",
		"--role", "arn:aws:iam::123456789012:role/lambda", "--handler", "hello.handler", "--zip-file", "fileb://"+shZip)
	run("lambda", "wait", "function-active-v2", "--function-name", "cli-shell")
	run(append(append([]string{"lambda", "invoke", "--function-name", "cli-shell"}, rawPayload...), "--payload", `{"name":"sh"}`, out)...)
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "sh") {
		t.Errorf("invoke of the bootstrap = %s", b)
	}

	run("lambda", "update-function-code", "--function-name", "cli-hello", "--zip-file", "fileb://"+zipPath)
	run("lambda", "wait", "function-updated-v2", "--function-name", "cli-hello")
	var pub struct{ Version string }
	json.Unmarshal([]byte(run("lambda", "publish-version", "--function-name", "cli-hello")), &pub)
	if pub.Version != "1" {
		t.Errorf("publish-version = %+v", pub)
	}
	run("lambda", "create-alias", "--function-name", "cli-hello", "--name", "prod", "--function-version", "1")
	var meta struct{ ExecutedVersion string }
	json.Unmarshal([]byte(run(append(append([]string{"lambda", "invoke", "--function-name", "cli-hello", "--qualifier", "prod"}, rawPayload...), "--payload", `{}`, out)...)), &meta)
	if meta.ExecutedVersion != "1" {
		t.Errorf("invoke of the alias ran %q", meta.ExecutedVersion)
	}
	// The CLI pages by itself (--page-size is MaxItems).
	var list struct {
		Functions []struct{ FunctionName string }
	}
	json.Unmarshal([]byte(run("lambda", "list-functions", "--page-size", "1")), &list)
	if len(list.Functions) != 3 {
		t.Errorf("list-functions = %+v", list)
	}
	var got struct {
		Configuration struct{ State, LastUpdateStatus string }
		Tags          map[string]string
	}
	json.Unmarshal([]byte(run("lambda", "get-function", "--function-name", "cli-hello")), &got)
	if got.Configuration.State != "Active" || got.Configuration.LastUpdateStatus != "Successful" {
		t.Errorf("get-function = %+v", got)
	}
	run("lambda", "delete-function", "--function-name", "cli-shell")
	run("lambda", "delete-function", "--function-name", "cli-hello")
	json.Unmarshal([]byte(run("lambda", "list-functions")), &list)
	if len(list.Functions) != 1 {
		t.Errorf("list-functions after the deletes = %+v", list)
	}
}

const boto3ManageScript = `
import io, json, sys, zipfile
import boto3, botocore
c = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="us-east-1",
                 config=botocore.config.Config(retries={"max_attempts": 1}))
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.write(sys.argv[2], "chello.wasm")
code = buf.getvalue()
out = {}
r = c.create_function(FunctionName="py-hello", Runtime="provided.al2023", Role="arn:aws:iam::123456789012:role/x",
                      Handler="chello", Code={"ZipFile": code}, Environment={"Variables": {"K": "V"}})
out["created"] = r["State"]
c.get_waiter("function_active_v2").wait(FunctionName="py-hello", WaiterConfig={"Delay": 1})
r = c.invoke(FunctionName="py-hello", Payload=b'{"name":"boto3"}')
out["invoke"] = r["Payload"].read().decode()
try:
    c.create_function(FunctionName="py-hello", Runtime="provided.al2023", Role="r", Handler="h", Code={"ZipFile": code})
except c.exceptions.ResourceConflictException as e:
    out["duplicate"] = e.response["Error"]["Code"]
try:
    c.publish_version(FunctionName="py-hello", RevisionId="stale")
except c.exceptions.PreconditionFailedException as e:
    out["stale"] = e.response["Error"]["Code"]
try:
    c.get_function(FunctionName="nope")
except c.exceptions.ResourceNotFoundException as e:
    out["missing"] = e.response["Error"]["Code"]
c.publish_version(FunctionName="py-hello")
c.publish_version(FunctionName="py-hello", Description="same code: no new version")
out["versions"] = [v["Version"] for p in c.get_paginator("list_versions_by_function").paginate(FunctionName="py-hello", PaginationConfig={"PageSize": 1}) for v in p["Versions"]]
out["functions"] = [f["FunctionName"] for p in c.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 1}) for f in p["Functions"]]
out["env"] = c.get_function_configuration(FunctionName="py-hello")["Environment"]["Variables"]
out["account"] = c.get_account_settings()["AccountUsage"]["FunctionCount"]
c.delete_function(FunctionName="py-hello")
print(json.dumps(out))
`

// TestManageBoto3: boto3's typed exceptions match the control plane's
// errors, its waiters and paginators work.
func TestManageBoto3(t *testing.T) {
	m := serveManaged(t, t.TempDir())
	python := need(t, "python3")
	cmd := exec.Command(python, "-c", boto3ManageScript, m.url, filepath.Join("..", "samples", "chello", "chello.wasm"))
	cmd.Env = clientEnv(t)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, stderr.String())
	}
	var got struct {
		Created, Invoke, Duplicate, Stale, Missing string
		Versions, Functions                        []string
		Env                                        map[string]string
		Account                                    int
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if got.Created != "Pending" || got.Invoke != `{"message":"Hello, boto3!"}` || got.Duplicate != "ResourceConflictException" ||
		got.Stale != "PreconditionFailedException" || got.Missing != "ResourceNotFoundException" ||
		strings.Join(got.Versions, ",") != "$LATEST,1" || strings.Join(got.Functions, ",") != "TemplateHello,py-hello" ||
		got.Env["K"] != "V" || got.Account != 2 {
		t.Errorf("boto3 saw %+v", got)
	}
}
