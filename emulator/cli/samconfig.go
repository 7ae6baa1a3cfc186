package cli

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// SAM's project configuration file, read as the SAM CLI reads it: a
// samconfig.toml (or samconfig.yaml|yml) beside the template, or the one
// --config-file names; the section of --config-env (default "default"):
//
//	version = 0.1
//	[default.global.parameters]
//	region = "eu-west-1"
//	[default.local_start_api.parameters]
//	port = 8080
//	parameter_overrides = "Stage=\"dev\" Table=\"t\""
//
// Keys are the command's long flag names in snake case. A command's own
// section wins over the global one, and the command line over both. Keys
// no flag of the command has are ignored, as SAM ignores them (a
// samconfig.toml holds deploy's settings too); Docker-only ones draw the
// same note as their flags.

// samConfigNames are the files SAM looks for beside the template, in its
// order.
var samConfigNames = []string{"samconfig.toml", "samconfig.yaml", "samconfig.yml"}

// samConfigVersion is the one version of the file's format SAM reads.
const samConfigVersion = 0.1

// samConfigSection is the section of a SAM command: `sam local start-api`
// reads local_start_api.
func samConfigSection(cmd string) string {
	return "local_" + strings.ReplaceAll(cmd, "-", "_")
}

// samConfigKeys maps samconfig keys whose snake-case form is no flag's name
// to the flag: click names --template's parameter template_file.
var samConfigKeys = map[string]string{"template_file": "template"}

// samConfigFlags are the flags that choose the file, which the file cannot
// set.
type samConfigFlags struct {
	file, env string
}

func (s *samConfigFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.file, "config-file", "", "SAM's configuration file (default: samconfig.toml, .yaml or .yml beside the template)")
	fs.StringVar(&s.env, "config-env", "default", "environment (top-level section) of the SAM configuration file")
}

// apply sets every flag of fs that the command line left unset from the
// SAM configuration file's sections for cmd, and returns the file read (""
// for none). dir is where the file is looked for when --config-file does
// not name it: the directory of -t/--template, else the working directory.
func (s *samConfigFlags) apply(fs *flag.FlagSet, cmd string, template string) (string, error) {
	path := s.file
	if path == "" {
		dir := "."
		if template != "" {
			dir = filepath.Dir(template)
		}
		for _, name := range samConfigNames {
			if p := filepath.Join(dir, name); fileExists(p) {
				path = p
				break
			}
		}
		if path == "" {
			if setOnCommandLine(fs, "config-env") {
				return "", &usageError{fmt.Sprintf("--config-env %s: no samconfig.toml, samconfig.yaml or samconfig.yml in %s", s.env, dir)}
			}
			return "", nil
		}
	}
	doc, err := readSAMConfig(path)
	if err != nil {
		return "", err
	}
	env, ok := doc[s.env]
	if !ok {
		if setOnCommandLine(fs, "config-env") || s.file != "" && s.env != "default" {
			return "", &usageError{fmt.Sprintf("%s: no environment %q (it has %s)", path, s.env, strings.Join(environments(doc), ", "))}
		}
		return path, nil
	}
	envTable, ok := env.(map[string]any)
	if !ok {
		return "", &usageError{fmt.Sprintf("%s: %s is not a table", path, s.env)}
	}
	// A flag is set when the command line gave it under any of its names
	// (-p or --port): the names share one variable, so their Values are
	// equal.
	var given []flag.Value
	fs.Visit(func(f *flag.Flag) { given = append(given, f.Value) })
	isSet := func(f *flag.Flag) bool {
		return slices.ContainsFunc(given, func(v flag.Value) bool {
			return reflect.TypeOf(v).Comparable() && v == f.Value
		})
	}
	// The command's section first: what it sets, the global one does not.
	var errs []error
	for _, section := range []string{samConfigSection(cmd), "global"} {
		params, err := sectionParameters(envTable, section)
		if err != nil {
			errs = append(errs, &usageError{fmt.Sprintf("%s: %s.%s: %v", path, s.env, section, err)})
			continue
		}
		for _, key := range slices.Sorted(func(yield func(string) bool) {
			for k := range params {
				if !yield(k) {
					return
				}
			}
		}) {
			name := samConfigKeys[key]
			if name == "" {
				name = strings.ReplaceAll(key, "_", "-")
			}
			f := fs.Lookup(name)
			if f == nil || isSet(f) || name == "config-file" || name == "config-env" || name == configFlag {
				continue
			}
			setting := fmt.Sprintf("%s: %s.%s.parameters.%s", path, s.env, section, key)
			v, err := samConfigValue(name, params[key])
			if err != nil {
				errs = append(errs, settingError(setting, "%v", err))
				continue
			}
			if err := fs.Set(name, v); err != nil {
				errs = append(errs, settingError(setting, "invalid value %q: %v", v, flagWant(f, err)))
				continue
			}
			given = append(given, f.Value)
		}
	}
	return path, errors.Join(errs...)
}

// setOnCommandLine says whether the command line gave fs the flag name.
func setOnCommandLine(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// readSAMConfig decodes a samconfig file (TOML, or YAML by its extension)
// and checks its version.
func readSAMConfig(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &usageError{fmt.Sprintf("--config-file %s: no such file", path)}
	}
	if err != nil {
		return nil, &usageError{fmt.Sprintf("--config-file: %v", err)}
	}
	doc := map[string]any{}
	switch ext := filepath.Ext(path); ext {
	case ".yaml", ".yml":
		err = yaml.Unmarshal(data, &doc)
	default:
		_, err = toml.Decode(string(data), &doc)
	}
	if err != nil {
		return nil, &usageError{fmt.Sprintf("%s: %v", path, err)}
	}
	switch v := doc["version"].(type) {
	case float64:
		if v == samConfigVersion {
			delete(doc, "version")
			return doc, nil
		}
	case nil:
		return nil, &usageError{fmt.Sprintf("%s: no version key; SAM's configuration files start with version = %v", path, samConfigVersion)}
	}
	return nil, &usageError{fmt.Sprintf("%s: version %v is not one SAM reads (want %v)", path, doc["version"], samConfigVersion)}
}

// environments are a samconfig's environment names, for an error.
func environments(doc map[string]any) []string {
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range doc {
			if !yield(k) {
				return
			}
		}
	})
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

// sectionParameters is env.SECTION.parameters, nil when absent.
func sectionParameters(env map[string]any, section string) (map[string]any, error) {
	raw, ok := env[section]
	if !ok {
		return nil, nil
	}
	cmd, ok := raw.(map[string]any)
	if !ok {
		return nil, errors.New("not a table")
	}
	raw, ok = cmd["parameters"]
	if !ok {
		return nil, nil
	}
	params, ok := raw.(map[string]any)
	if !ok {
		return nil, errors.New("parameters is not a table")
	}
	return params, nil
}

// samConfigValue is a samconfig value as the text flag name parses. SAM
// writes parameter_overrides as one string or a list of Key=Value
// strings; other lists join with commas as in fresco's own config file.
func samConfigValue(name string, v any) (string, error) {
	switch v := v.(type) {
	case int:
		return fmt.Sprint(v), nil // YAML's integers
	case float64:
		return fmt.Sprint(v), nil
	case []any:
		if name == "parameter-overrides" {
			return joinStrings(v, " ")
		}
	}
	return configValue(v)
}

// fileExists says whether path names a regular file.
func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
