package lambdaenv

import (
	"strings"
	"testing"
)

func TestStandardAndMerge(t *testing.T) {
	std := Standard(Function{Name: "Hello", Region: "eu-west-1", MemoryMB: 256, Handler: "bootstrap"})
	for k, want := range map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "Hello",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/Hello",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"TZ":                              ":UTC",
		"AWS_SAM_LOCAL":                   "true",
		"_HANDLER":                        "bootstrap",
	} {
		if std[k] != want {
			t.Errorf("%s = %q, want %q", k, std[k], want)
		}
	}
	if _, ok := std["AWS_LAMBDA_RUNTIME_API"]; ok {
		t.Error("AWS_LAMBDA_RUNTIME_API set without a RuntimeAPI")
	}
	if !strings.HasSuffix(std["AWS_LAMBDA_LOG_STREAM_NAME"], "/[$LATEST]fresco") {
		t.Errorf("log stream %q", std["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	env := Merge(std, map[string]string{"TZ": "Europe/Paris", "A": "1"})
	if env[0] != [2]string{"A", "1"} {
		t.Errorf("first pair %v, want A=1 (sorted)", env[0])
	}
	for _, kv := range env {
		if kv[0] == "TZ" && kv[1] != "Europe/Paris" {
			t.Errorf("TZ = %s: the later layer must win", kv[1])
		}
	}
}
