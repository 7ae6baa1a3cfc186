package sam

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEnvVarsPrecedence(t *testing.T) {
	t.Parallel()
	ev, err := LoadEnvVars(filepath.Join("testdata", "template", "envvars.json"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := mustLoadTemplate(t, testdataTemplate(t, "envvars.yaml"), TemplateOptions{EnvVars: ev})
	tests := []struct {
		id   string
		want map[string]string
	}{
		// template < Parameters < function entry; undeclared variables are
		// added; numbers and booleans become strings.
		{"First", map[string]string{
			"LEVEL": "function", "ONLY_TEMPLATE": "kept", "SHARED": "parameters", "ADDED_TO_ALL": "1.50",
			"NEW": "added", "PORT": "8080", "DEBUG": "false",
		}},
		// An entry keyed by FunctionName.
		{"Second", map[string]string{
			"LEVEL": "by-name", "ONLY_TEMPLATE": "kept", "SHARED": "parameters", "ADDED_TO_ALL": "1.50",
			"BY_NAME": "yes",
		}},
		// Both keys: the logical id's entry wins, the name's still adds.
		{"Third", map[string]string{
			"LEVEL": "by-id", "ONLY_TEMPLATE": "kept", "SHARED": "parameters", "ADDED_TO_ALL": "1.50",
			"NAME_ONLY": "yes",
		}},
	}
	for _, tt := range tests {
		fn := mustFunction(t, tmpl, tt.id)
		if !reflect.DeepEqual(fn.Env, tt.want) {
			t.Errorf("%s Env:\n got %v\nwant %v", tt.id, fn.Env, tt.want)
		}
	}
	if got, want := ev.Unmatched(tmpl.Functions), []string{"Typo"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Unmatched = %v, want %v", got, want)
	}
	if len(tmpl.Warnings) != 1 || !strings.Contains(tmpl.Warnings[0], `"Typo"`) {
		t.Errorf("Warnings = %q, want one about Typo", tmpl.Warnings)
	}
}

func TestEnvVarsParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		want    *EnvVars
		wantErr string
	}{
		{
			name: "values",
			json: `{"Fn": {"S": "s", "I": 42, "F": 0.5, "BIG": 12345678901234567890, "T": true, "N": null}}`,
			want: &EnvVars{Parameters: map[string]string{}, Functions: map[string]map[string]string{
				"Fn": {"S": "s", "I": "42", "F": "0.5", "BIG": "12345678901234567890", "T": "true", "N": ""},
			}},
		},
		{
			name: "parameters only",
			json: `{"Parameters": {"A": "b"}}`,
			want: &EnvVars{Parameters: map[string]string{"A": "b"}, Functions: map[string]map[string]string{}},
		},
		{name: "empty", json: `{}`, want: &EnvVars{Parameters: map[string]string{}, Functions: map[string]map[string]string{}}},
		{name: "not JSON", json: `{"Fn": `, wantErr: "invalid JSON"},
		{name: "not an object", json: `["Fn"]`, wantErr: "invalid JSON"},
		{name: "trailing data", json: `{} {}`, wantErr: "after the top-level object"},
		{name: "function not an object", json: `{"Fn": "x"}`, wantErr: `"Fn" must be an object`},
		{name: "function null", json: `{"Fn": null}`, wantErr: `"Fn" must be an object`},
		{name: "object value", json: `{"Fn": {"A": {"b": 1}}}`, wantErr: "Fn.A: must be a string, number or boolean, not an object"},
		{name: "array value", json: `{"Parameters": {"A": [1]}}`, wantErr: "Parameters.A: must be a string, number or boolean, not an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEnvVars(strings.NewReader(tt.json))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEnvVarsLoadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	if _, err := LoadEnvVars(missing); err == nil || err.Error() != "env vars file not found: "+missing {
		t.Errorf("missing file: err = %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{nope"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEnvVars(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad file: err = %v, want it to name the file", err)
	}
}

func TestEnvVarsNil(t *testing.T) {
	t.Parallel()
	var ev *EnvVars
	fn := &FunctionSpec{LogicalID: "A", Name: "A", Env: map[string]string{"K": "v"}}
	ev.Apply(fn)
	if !reflect.DeepEqual(fn.Env, map[string]string{"K": "v"}) || ev.Unmatched([]*FunctionSpec{fn}) != nil {
		t.Error("a nil *EnvVars changed something")
	}
}

// FuzzEnvVars checks that no input makes the parser panic and that what it
// accepts applies cleanly.
func FuzzEnvVars(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "template", "envvars.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"Parameters": {"A": 1e400}}`))
	f.Add([]byte(`{"A": {"B": null}, "Parameters": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ParseEnvVars(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		fn := &FunctionSpec{LogicalID: "A", Name: "a"}
		ev.Apply(fn)
		ev.Unmatched([]*FunctionSpec{fn})
	})
}
