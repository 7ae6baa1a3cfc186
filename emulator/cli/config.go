package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// EnvPrefix starts the environment variable of every fresco start flag:
// --ready-memory-mb is FRESCO_READY_MEMORY_MB.
const EnvPrefix = "FRESCO_"

// configFlag names the config file; FRESCO_CONFIG also does.
const configFlag = "config"

// aliases are flags that set the same value as another; a value for them
// comes only from the command line, under either name.
var aliases = map[string]string{"t": "template", "shutdown-timeout": "drain-timeout"}

// lookupEnv reads the environment (a variable so that nothing else does).
var lookupEnv = os.LookupEnv

// envName is the environment variable of the flag name.
func envName(name string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// origins says where each flag's value came from, for errors that name the
// setting as the operator wrote it: "--port", "FRESCO_PORT" or
// "config: port".
type origins map[string]string

// of is the name of the setting that gave flag name its value; the flag
// itself when it kept its default.
func (o origins) of(name string) string {
	if s, ok := o[name]; ok {
		return s
	}
	return "--" + name
}

// settingError is a value that a setting cannot take; it is a usage
// error.
func settingError(setting, format string, args ...any) error {
	return &usageError{setting + ": " + fmt.Sprintf(format, args...)}
}

// applySettings gives every flag of fs that the command line did not set
// the value of its FRESCO_* environment variable or, failing that, of its
// key in the config file (--config, or FRESCO_CONFIG): flag > environment
// > file > default. Each value goes through the flag's own parser, so a
// bad one is refused as it would be on the command line, with the setting
// named. A key of the file that is no flag's is an error.
func applySettings(fs *flag.FlagSet, configPath string) (origins, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		set[canonical(f.Name)] = true
	})
	from := origins{}
	for name := range set {
		from[name] = "--" + name
	}
	if !set[configFlag] {
		if v, ok := lookupEnv(envName(configFlag)); ok {
			configPath = v
		}
	}
	file, err := readConfig(fs, configPath)
	if err != nil {
		return nil, err
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == configFlag || aliases[f.Name] != "" || set[f.Name] {
			return
		}
		if v, ok := lookupEnv(envName(f.Name)); ok {
			from[f.Name] = envName(f.Name)
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, settingError(envName(f.Name), "invalid value %q: %v", v, flagWant(f, err)))
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			from[f.Name] = "config: " + f.Name
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, settingError("config: "+f.Name, "invalid value %q: %v", v, flagWant(f, err)))
			}
		}
	})
	return from, errors.Join(errs...)
}

// canonical is the flag an alias stands for.
func canonical(name string) string {
	if c := aliases[name]; c != "" {
		return c
	}
	return name
}

// flagWant says what f takes, for the error of a value it could not parse
// (the flag package's own error says only "parse error").
func flagWant(f *flag.Flag, err error) string {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return err.Error()
	}
	switch g.Get().(type) {
	case int, int64, uint, uint64:
		return "want an integer"
	case bool:
		return "want true or false"
	case time.Duration:
		return "want a duration such as 30s or 2m"
	}
	return err.Error()
}

// readConfig reads the TOML config file at path ("" for none) as flag
// values by flag name. Keys are the flags' names (port, ready-memory-mb);
// values are strings, integers, booleans, or arrays of strings (joined by
// commas, for the list flags).
func readConfig(fs *flag.FlagSet, path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		return nil, &usageError{fmt.Sprintf("config %s: %v", path, err)}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]string{}
	var errs []error
	for _, k := range keys {
		if k == configFlag || aliases[k] != "" || fs.Lookup(k) == nil {
			errs = append(errs, &usageError{fmt.Sprintf("config %s: unknown key %q (keys are the names of fresco start's flags)", path, k)})
			continue
		}
		v, err := configValue(raw[k])
		if err != nil {
			errs = append(errs, settingError("config: "+k, "%v", err))
			continue
		}
		out[k] = v
	}
	return out, errors.Join(errs...)
}

// configValue is a TOML value as the text its flag parses.
func configValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case bool:
		return strconv.FormatBool(v), nil
	case []any:
		return joinStrings(v, ",")
	}
	return "", fmt.Errorf("want a string, an integer, a boolean or an array of strings, got %v (%T)", v, v)
}

// joinStrings joins a config array, whose elements must all be strings,
// with sep.
func joinStrings(v []any, sep string) (string, error) {
	parts := make([]string, 0, len(v))
	for _, e := range v {
		s, ok := e.(string)
		if !ok {
			return "", fmt.Errorf("want an array of strings, got an element %v (%T)", e, e)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, sep), nil
}
