package procpool

import (
	"maps"

	"os"

	"github.com/frescolabs/fresco/internal/lambdaenv"
)

// hostEnvForProcesses are the variables of fresco's own environment that
// a runtime process inherits: what a shell bootstrap needs to find its
// tools, and the caller's AWS credentials, which sam local also hands to
// functions.
var hostEnvForProcesses = []string{"PATH", "HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

// processEnv is a runtime process's environment, AWS_LAMBDA_RUNTIME_API
// aside (each process has its own): the standard Lambda variables (the
// table wasm guests get too, internal/lambdaenv), with the real paths;
// then the host's hostEnvForProcesses; then the function's Environment,
// which wins, as for wasm functions. Sorted, for a deterministic environ.
func processEnv(cfg Config, runtimeDir string) []string {
	std := lambdaenv.Standard(lambdaenv.Function{
		Name:       cfg.Name,
		Runtime:    cfg.Runtime,
		Handler:    cfg.Handler,
		Region:     cfg.Region,
		MemoryMB:   cfg.MemoryMB,
		TaskRoot:   cfg.Dir,
		RuntimeDir: runtimeDir,
	})
	host := map[string]string{}
	for _, k := range hostEnvForProcesses {
		if v, ok := os.LookupEnv(k); ok {
			host[k] = v
		}
	}
	fnEnv := maps.Clone(cfg.Env)
	delete(fnEnv, "AWS_LAMBDA_RUNTIME_API") // the process's own is added last
	pairs := lambdaenv.Merge(std, host, fnEnv)
	env := make([]string, len(pairs), len(pairs)+1)
	for i, kv := range pairs {
		env[i] = kv[0] + "=" + kv[1]
	}
	return env
}
