package emulator_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// samValidate translates a template with the SAM translator (python3
// samtranslator), as `sam validate` does: local CodeUri paths are replaced
// by a placeholder S3 location first, since only `sam package` uploads them.
const samValidate = `
import json, sys
from samtranslator.yaml_helper import yaml_parse
from samtranslator.translator.transform import transform
from samtranslator.public.exceptions import InvalidDocumentException

class NoManagedPolicies:
    def load(self):
        return {}

with open(sys.argv[1]) as f:
    tmpl = yaml_parse(f.read())
for res in tmpl.get("Resources", {}).values():
    props = res.get("Properties") or {}
    if res.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str) \
            and not props["CodeUri"].startswith("s3://"):
        props["CodeUri"] = "s3://fresco-placeholder/" + props["CodeUri"]
try:
    out = transform(tmpl, {}, NoManagedPolicies())
except InvalidDocumentException as e:
    print(json.dumps({"errors": [str(c) for c in e.causes]}))
    sys.exit(0)
print(json.dumps({"functions": [k for k, v in out["Resources"].items() if v["Type"] == "AWS::Lambda::Function"]}))
`

func TestTemplateIsValidSAM(t *testing.T) {
	python := need(t, "python3")
	check := func(path string) (functions, errs []string) {
		cmd := exec.Command(python, "-c", samValidate, path)
		cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("samtranslator: %v\n%s", err, stderr.String())
		}
		var res struct{ Functions, Errors []string }
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		sort.Strings(res.Functions)
		return res.Functions, res.Errors
	}
	fns, errs := check(filepath.Join("..", "template.yaml"))
	if len(errs) > 0 {
		t.Fatalf("template.yaml is not valid SAM: %v", errs)
	}
	for _, want := range []string{"Api", "CHello", "CStdio", "Context", "Counter", "Echo", "Fail", "Hello", "Panic", "Sleep", "Spin"} {
		if i := sort.SearchStrings(fns, want); i == len(fns) || fns[i] != want {
			t.Errorf("translated template lacks function %s (has %v)", want, fns)
		}
	}
	// The check itself can fail: a broken template is reported.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("Transform: AWS::Serverless-2016-10-31\nResources:\n  Bad:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: provided.al2023\n"), 0o644)
	if _, errs := check(bad); len(errs) == 0 {
		t.Fatal("a function without code passed the SAM translator")
	}
}
