package sam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
)

// envVarsParameters is the --env-vars entry that applies to every function.
const envVarsParameters = "Parameters"

// EnvVars is a SAM --env-vars file:
//
//	{"Hello": {"GREETING": "hi"}, "Parameters": {"STAGE": "local"}}
//
// Precedence, lowest first: the template's Environment.Variables, the
// "Parameters" entry, the entry keyed by the function's FunctionName, the
// entry keyed by its logical id. Unlike sam, a variable the template does
// not declare is added rather than ignored.
type EnvVars struct {
	// Parameters apply to every function.
	Parameters map[string]string
	// Functions maps a logical id or FunctionName to its variables.
	Functions map[string]map[string]string
}

// LoadEnvVars reads a --env-vars JSON file.
func LoadEnvVars(path string) (*EnvVars, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("env vars file not found: %s", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read env vars: %w", err)
	}
	ev, err := ParseEnvVars(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("env vars file %s: %w", path, err)
	}
	return ev, nil
}

// ParseEnvVars decodes the JSON of a --env-vars file. Values may be
// strings, numbers (kept as written: 8080, 1.50) or booleans (true, false);
// null is the empty string. Objects and arrays are errors.
func ParseEnvVars(r io.Reader) (*EnvVars, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("invalid JSON: data after the top-level object")
	}
	ev := &EnvVars{Parameters: map[string]string{}, Functions: map[string]map[string]string{}}
	for _, key := range slices.Sorted(maps.Keys(top)) {
		d := json.NewDecoder(bytes.NewReader(top[key]))
		d.UseNumber()
		var raw map[string]any
		if err := d.Decode(&raw); err != nil || raw == nil {
			return nil, fmt.Errorf("%q must be an object of variables", key)
		}
		vars := make(map[string]string, len(raw))
		for _, name := range slices.Sorted(maps.Keys(raw)) {
			s, err := scalarString(raw[name])
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", key, name, err)
			}
			vars[name] = s
		}
		if key == envVarsParameters {
			ev.Parameters = vars
		} else {
			ev.Functions[key] = vars
		}
	}
	return ev, nil
}

// Apply merges the variables for fn into fn.Env, in the order of
// precedence described on EnvVars. A nil EnvVars changes nothing.
func (e *EnvVars) Apply(fn *FunctionSpec) {
	if e == nil {
		return
	}
	if fn.Env == nil {
		fn.Env = map[string]string{}
	}
	layers := []map[string]string{e.Parameters}
	if fn.Name != fn.LogicalID {
		layers = append(layers, e.Functions[fn.Name])
	}
	layers = append(layers, e.Functions[fn.LogicalID])
	for _, vars := range layers {
		for k, v := range vars {
			fn.Env[k] = v
		}
	}
}

// Unmatched returns, sorted, the function entries whose key is neither the
// logical id nor the FunctionName of any of fns. They are ignored; the CLI
// reports them, since they are usually typos.
func (e *EnvVars) Unmatched(fns []*FunctionSpec) []string {
	if e == nil {
		return nil
	}
	known := map[string]bool{}
	for _, f := range fns {
		known[f.LogicalID] = true
		known[f.Name] = true
	}
	var out []string
	for _, key := range slices.Sorted(maps.Keys(e.Functions)) {
		if !known[key] {
			out = append(out, key)
		}
	}
	return out
}
