package emulator

import (
	"maps"
	"slices"

	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/invoke"

	"os"
	"strconv"
	"time"
)

// hostEnvForProcesses are the variables of fresco's own environment that
// a runtime process inherits: what a shell bootstrap needs to find its
// tools, and the caller's AWS credentials, which sam local also hands to
// functions.
var hostEnvForProcesses = []string{"PATH", "HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

// processEnv is a runtime process's environment, AWS_LAMBDA_RUNTIME_API
// aside (each process has its own): the standard Lambda variables, as a wasm
// guest gets them but for the paths, which are real here; then the host's
// hostEnvForProcesses; then the function's Environment, which wins, as for
// wasm functions. Sorted, for a deterministic environ.
func processEnv(cfg *sam.FunctionSpec, taskRoot, runtimeDir string) []string {
	runtime := cfg.Runtime
	if runtime == "" {
		runtime = "provided.al2023"
	}
	std := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        cfg.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(cfg.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]fresco",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      invoke.RegionFromEnv(),
		"AWS_DEFAULT_REGION":              invoke.RegionFromEnv(),
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + runtime,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              runtimeDir,
		"TZ":                              ":UTC",
		"_HANDLER":                        cfg.Handler,
	}
	for _, k := range hostEnvForProcesses {
		if v, ok := os.LookupEnv(k); ok {
			std[k] = v
		}
	}
	for k, v := range cfg.Env {
		std[k] = v
	}
	delete(std, "AWS_LAMBDA_RUNTIME_API") // the process's own is added last
	env := make([]string, 0, len(std)+1)
	for _, k := range slices.Sorted(maps.Keys(std)) {
		env = append(env, k+"="+std[k])
	}
	return env
}
