package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/frescolabs/fresco"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// list runs go list over the module with env added (GOOS, GOARCH).
func list(t *testing.T, env ...string) map[string]*pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Deps", module+"/...")
	cmd.Env = append(cmd.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]*pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = &p
	}
	return pkgs
}

func under(path, dir string) bool {
	return path == module+"/"+dir || strings.HasPrefix(path, module+"/"+dir+"/")
}

func project(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

func TestImportRules(t *testing.T) {
	pkgs := list(t)
	for _, p := range pkgs {
		// ours are the project's packages p depends on, itself included.
		ours := []string{p.ImportPath}
		for _, d := range p.Deps {
			if project(d) {
				ours = append(ours, d)
			}
		}
		importsHTTP := func() (string, bool) {
			for _, o := range ours {
				if q := pkgs[o]; q != nil && slices.Contains(q.Imports, "net/http") {
					return o, true
				}
			}
			return "", false
		}
		switch {
		case under(p.ImportPath, "emulator/sam"), under(p.ImportPath, "emulator/functions"):
			if o, ok := importsHTTP(); ok {
				t.Errorf("%s imports net/http (through %s): it must not know HTTP", p.ImportPath, o)
			}
		case under(p.ImportPath, "lambdaapi"):
			for _, d := range p.Deps {
				if strings.HasPrefix(d, "github.com/tetratelabs/wazero") || under(d, "wasmhost") || under(d, "emulator") {
					t.Errorf("%s depends on %s: the HTTP front doors know nothing of how functions run", p.ImportPath, d)
				}
			}
		case under(p.ImportPath, "wasmhost/imports/http"):
			// The guests' outbound client (ARCHITECTURE: the pooled
			// client owned by Host): net/http as a client only.
			for _, d := range p.Deps {
				if under(d, "lambdaapi") || under(d, "emulator") {
					t.Errorf("%s depends on %s: the guests' HTTP client knows nothing of the front doors", p.ImportPath, d)
				}
			}
		case under(p.ImportPath, "wasmhost"):
			if slices.Contains(p.Imports, "net/http") {
				t.Errorf("%s imports net/http: the sandbox serves no HTTP", p.ImportPath)
			}
		case under(p.ImportPath, "internal"):
			for _, d := range p.Deps {
				if under(d, "emulator") || under(d, "lambdaapi") || under(d, "wasmhost") {
					t.Errorf("%s depends on %s: internal packages are leaves", p.ImportPath, d)
				}
			}
		}
		if p.ImportPath != module && !under(p.ImportPath, "emulator/cli") && slices.ContainsFunc(p.Imports, func(i string) bool { return under(i, "emulator/cli") }) {
			t.Errorf("%s imports the CLI: only the fresco command may", p.ImportPath)
		}
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages: the rules checked nothing", len(pkgs))
	}
}

// Guest code imports nothing of the host, on the guest's platform too.
func TestAdaptersImportNoHost(t *testing.T) {
	for _, env := range [][]string{nil, {"GOOS=wasip1", "GOARCH=wasm"}} {
		n := 0
		for _, p := range list(t, env...) {
			if !under(p.ImportPath, "adapters") {
				continue
			}
			n++
			for _, d := range p.Deps {
				if project(d) && !under(d, "adapters") {
					t.Errorf("%v: %s depends on %s: guest code imports nothing of the host", env, p.ImportPath, d)
				}
			}
		}
		if n == 0 {
			t.Fatalf("%v: no adapters package found", env)
		}
	}
}
