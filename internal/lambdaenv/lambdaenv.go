package lambdaenv

import (
	"maps"
	"slices"
	"strconv"
	"time"
)

// DefaultRuntime is the runtime a function without one is said to run.
const DefaultRuntime = "provided.al2023"

// Function is what the standard variables describe.
type Function struct {
	Name     string
	Version  string // default $LATEST
	Runtime  string // default DefaultRuntime
	Handler  string
	Region   string
	MemoryMB int
	// InitType is AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand" (default)
	// or "snap-start".
	InitType string
	// RuntimeAPI is AWS_LAMBDA_RUNTIME_API; left out when empty (a process
	// gets its own, added by whoever starts it).
	RuntimeAPI string
	// TaskRoot and RuntimeDir are LAMBDA_TASK_ROOT and LAMBDA_RUNTIME_DIR.
	TaskRoot, RuntimeDir string
}

// Standard returns the standard variables of f.
func Standard(f Function) map[string]string {
	if f.Version == "" {
		f.Version = "$LATEST"
	}
	if f.Runtime == "" {
		f.Runtime = DefaultRuntime
	}
	if f.InitType == "" {
		f.InitType = "on-demand"
	}
	std := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        f.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     f.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[" + f.Version + "]fresco",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  f.InitType,
		"AWS_REGION":                      f.Region,
		"AWS_DEFAULT_REGION":              f.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + f.Runtime,
		"LAMBDA_TASK_ROOT":                f.TaskRoot,
		"LAMBDA_RUNTIME_DIR":              f.RuntimeDir,
		"TZ":                              ":UTC",
		"_HANDLER":                        f.Handler,
		// As sam local sets it: functions use it to pick local endpoints.
		"AWS_SAM_LOCAL": "true",
	}
	if f.RuntimeAPI != "" {
		std["AWS_LAMBDA_RUNTIME_API"] = f.RuntimeAPI
	}
	return std
}

// Merge merges layers of variables, a later layer winning, into KEY=VALUE
// pairs sorted by key: a deterministic environ.
func Merge(layers ...map[string]string) [][2]string {
	all := map[string]string{}
	for _, l := range layers {
		maps.Copy(all, l)
	}
	env := make([][2]string, 0, len(all))
	for _, k := range slices.Sorted(maps.Keys(all)) {
		env = append(env, [2]string{k, all[k]})
	}
	return env
}
