package wasmhost

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// u32max is 2^32-1 as a LEB128.
const u32max = "\xff\xff\xff\xff\x0f"

// preflightHostile lists modules whose counts or lengths would make
// wazero v1.12 allocate far beyond their size (see preflight.go), one per
// allocation that preflight guards, with what preflight's error says.
var preflightHostile = []struct {
	name string
	bin  []byte
	want string
}{
	// The 15-byte reproducer: 2^32-1 imports, ~481 GB in wazero.
	{"imports", []byte("\x00asm\x01\x00\x00\x00\x02\x05" + u32max),
		"offset 0xa: declares 4294967295 imports but only 0 bytes remain in the import section, and each takes at least 4"},
	{"import module name", wasmbinModule("\x02\x01" + u32max + "abc"),
		"import module name of 4294967295 bytes, but only 3 bytes remain in the import section"},
	{"import name", wasmbinModule("\x02\x01\x01m" + u32max + "abc"),
		"import name of 4294967295 bytes, but only 3 bytes remain"},
	{"types", wasmbinModule("\x01" + u32max), "declares 4294967295 types but only 0 bytes remain in the type section"},
	{"parameter types", wasmbinModule("\x01\x01\x60" + u32max + "\x00"),
		"declares 4294967295 parameter types but only 1 bytes remain in the type section"},
	{"result types", wasmbinModule("\x01\x01\x60\x00\x80\x80\x04\x7f"), "declares 65536 result types but only 1 bytes remain"},
	{"rec group", wasmbinModule("\x01\x01\x4e" + u32max), "declares 4294967295 types in a rec group"},
	{"functions", wasmbinModule("\x03" + u32max + "\x00\x00"), "declares 4294967295 functions but only 2 bytes remain in the function section"},
	{"tables", wasmbinModule("\x04" + u32max), "declares 4294967295 tables"},
	{"table entries", wasmbinModule("\x04\x01\x70\x00\x80\x80\x80\x40"), // 2^27 entries: 1 GB at instantiation
		"table 0 of 134217728 entries makes 134217728 in the tables of the module (limit 10000000)"},
	{"tables' entries in all", wasmbinModule("\x04\x02\x70\x00\x80\xad\xe2\x04\x70\x00\x80\xad\xe2\x04"), // 2 × 10^7
		"table 1 of 10000000 entries makes 20000000 in the tables of the module"},
	{"memories", wasmbinModule("\x05" + u32max), "declares 4294967295 memories"},
	{"globals", wasmbinModule("\x06" + u32max + "\x7f\x00\x0b"), "declares 4294967295 globals but only 3 bytes remain"},
	{"tags", wasmbinModule("\x0d" + u32max), "declares 4294967295 tags"},
	{"exports", wasmbinModule("\x07" + u32max), "declares 4294967295 exports"},
	{"export name", wasmbinModule("\x07\x01" + u32max), "export name of 4294967295 bytes runs past the end of its section"},
	{"element segments", wasmbinModule("\x09" + u32max), "declares 4294967295 element segments"},
	{"element function indexes", wasmbinModule("\x09\x01\x00\x41\x00\x0b" + u32max),
		"declares 4294967295 function indexes in element segment 0 but only 0 bytes remain in the element section"},
	{"element function indexes, passive", wasmbinModule("\x09\x01\x01\x00" + u32max), "function indexes in element segment 0"},
	{"element function indexes, table index", wasmbinModule("\x09\x01\x02\x00\x41\x00\x0b\x00" + u32max),
		"function indexes in element segment 0"},
	{"element function indexes, declarative", wasmbinModule("\x09\x01\x03\x00" + u32max), "function indexes in element segment 0"},
	{"element expressions", wasmbinModule("\x09\x01\x04\x41\x00\x0b" + u32max), "declares 4294967295 expressions in element segment 0"},
	{"element expressions, passive", wasmbinModule("\x09\x01\x05\x70" + u32max), "expressions in element segment 0"},
	{"element expressions, table index", wasmbinModule("\x09\x01\x06\x00\x41\x00\x0b\x63\x70" + u32max), "expressions in element segment 0"},
	{"element expressions, declarative", wasmbinModule("\x09\x02\x07\x70\x00\x07\x70" + u32max), "expressions in element segment 1"},
	{"function bodies", wasmbinModule("\x0a" + u32max), "declares 4294967295 function bodies"},
	{"function body size", wasmbinModule("\x0a\x01" + u32max + "\x00\x0b"),
		"function body 0 of 4294967295 bytes, but only 2 bytes remain in the code section"},
	{"local declarations", wasmbinModule("\x0a\x01\x05" + u32max),
		"declares 4294967295 local declarations but only 0 bytes remain in the body of function 0"},
	{"locals", wasmbinModule("\x02\x01\x01m\x01f\x00\x00", "\x0a\x01\x08\x01"+u32max+"\x7f\x0b"),
		"function 1 declares 4294967295 locals (limit 50000)"},
	{"locals in all", wasmbinModule("\x0a\x01\x09\x02\xc0\xb8\x02\x7f\xc0\xb8\x02\x7e\x0b"), // 2 × 40,000
		"function 0 declares 80000 locals (limit 50000)"},
	// 50,000 locals take 3 bytes to declare, 400 kB in wazero.
	{"locals of the module", wasmbinModule("\x0a\x02" + strings.Repeat("\x06\x01\xd0\x86\x03\x7f\x0b", 2)),
		"function 1 brings the parameters and locals of the module's functions to 100000, more than 2 per byte of the code section plus 50000 (50030)"},
	{"parameters of the module", wasmbinModule(
		"\x01\x01\x60\xe8\x07"+strings.Repeat("\x7f", 1000)+"\x00",
		"\x03\x64"+strings.Repeat("\x00", 100),
		"\x0a\x64"+strings.Repeat("\x02\x00\x0b", 100)),
		"function 0 brings the parameters and locals of the module's functions to 100000"},
	{"reference local past its body", wasmbinModule("\x0a\x02\x03\x01\x01\x63\x70\x0b"),
		"truncated LEB128 local type"},
	{"data segments", wasmbinModule("\x0b" + u32max), "declares 4294967295 data segments but only 0 bytes remain in the data section"},
	{"data segment length", wasmbinModule("\x0b\x01\x01" + u32max + "ab"),
		"data segment 0 declares 4294967295 bytes but only 2 remain in the data section"},
	{"data segment length, active", wasmbinModule("\x0b\x02\x01\x00\x00\x41\x00\x0b" + u32max),
		"data segment 1 declares 4294967295 bytes but only 0 remain"},
	{"data segment length, memory index", wasmbinModule("\x0b\x01\x02\x00\x41\x00\x0b" + u32max), "data segment 0 declares 4294967295 bytes"},
	{"data count", wasmbinModule("\x0c" + u32max), "declares 4294967295 data segments but only 0 bytes remain in the module"},
	{"section size", []byte("\x00asm\x01\x00\x00\x00\x00" + u32max + "\x01x"),
		"offset 0x8: custom section declares 4294967295 bytes but only 2 remain in the module"},
	{"custom section name", wasmbinModule("\x00" + u32max + "xy"), "custom section name of 4294967295 bytes, but only 2 bytes remain"},
	{"name section subsection size", wasmbinModule("\x00\x04name\x01" + u32max),
		"name subsection 1 declares 4294967295 bytes but only 0 remain in the name section"},
	{"module name", wasmbinModule("\x00\x04name\x00\x05" + u32max), "module name of 4294967295 bytes, but only 0 bytes remain in the name section"},
	{"function names", wasmbinModule("\x00\x04name\x01\x05" + u32max), "declares 4294967295 function names but only 0 bytes remain in the name section"},
	{"function name", wasmbinModule("\x00\x04name\x01\x07\x01\x00" + u32max), "name of 4294967295 bytes, but only 0 bytes remain"},
	{"functions with local names", wasmbinModule("\x00\x04name\x02\x05" + u32max), "declares 4294967295 functions with local names"},
	{"local names", wasmbinModule("\x00\x04name\x02\x07\x01\x00" + u32max), "declares 4294967295 local names"},
	{"local name", wasmbinModule("\x00\x04name\x02\x09\x01\x00\x01\x00" + u32max), "name of 4294967295 bytes"},
	// wazero decodes the content of a subsection without bounding it by
	// its size: the next subsection would not start where preflight reads
	// it.
	{"name subsection shorter than its content", wasmbinModule("\x00\x04name\x01\x01\x01\x00\x01a"),
		"declares 1 function names but only 0 bytes remain in the name section"},
	{"name subsection longer than its content", wasmbinModule("\x00\x04name\x01\x04\x00\x02\x05" + u32max),
		"name subsection 1 has 3 bytes after its content"},
	// "name" with a non-minimal LEB128 length is the name section too.
	{"name section, long name length", wasmbinModule("\x00\x84\x80\x00name\x01\x05" + u32max), "declares 4294967295 function names"},
	{"unknown section", wasmbinModule("\x0e"), "unknown section id 14"},
	{"trailing bytes", wasmbinModule("\x03\x00\x00"), "function section has 1 bytes after its content"},
}

func TestPreflightHostile(t *testing.T) {
	t.Parallel()
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	for _, tc := range preflightHostile {
		t.Run(tc.name, func(t *testing.T) {
			err := preflight(tc.bin)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			f, lerr := h.Load(context.Background(), FunctionConfig{Name: "hostile"}, tc.bin)
			if f != nil {
				f.Close(context.Background())
			}
			var le *LoadError
			if !errors.As(lerr, &le) {
				t.Fatalf("Load: %v, want a *LoadError", lerr)
			}
			if !strings.HasPrefix(le.Reason, "invalid module: ") || le.Err == nil || le.Err.Error() != err.Error() {
				t.Errorf("Load: %v, want the preflight error %v", lerr, err)
			}
		})
	}
}

// TestPreflightFixtures checks that the modules of the package's tests and
// the C sample pass.
func TestPreflightFixtures(t *testing.T) {
	t.Parallel()
	var files []string
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".wasm") && d.Name() != "notwasm.wasm" {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "samples", "chello", "chello.wasm"))
	if len(files) < 30 {
		t.Fatalf("only %d fixtures: %v", len(files), files)
	}
	for _, file := range files {
		bin, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := preflight(bin); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// TestPreflightTruncated runs preflight on every prefix of the fixtures:
// it must not panic, and prefixes cut inside a section must fail. (A cut
// between sections may pass, or not: after a data count section, say.)
func TestPreflightTruncated(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "wasmbin", "*.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("testdata", "echo.wasm"))
	for _, file := range files {
		bin, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		ends := map[int]bool{8: true} // where sections end
		d := &decoder{b: bin, p: 8, end: len(bin)}
		for d.p < d.end {
			d.u8("id")
			size, err := d.u32("size")
			if err != nil {
				t.Fatal(err)
			}
			d.p += int(size)
			ends[d.p] = true
		}
		for n := range len(bin) {
			err := preflight(bin[:n])
			if !ends[n] && err == nil {
				t.Errorf("%s: first %d bytes: %v", file, n, err)
			}
		}
	}
}

func TestPreflightGoModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds samples/hello")
	}
	t.Parallel()
	bin := wasmbinGoHello(t)
	elapsed := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		if err := preflight(bin); err != nil {
			t.Fatal(err)
		}
		elapsed = min(elapsed, time.Since(start))
	}
	t.Logf("preflight of %d bytes in %v (best of 5)", len(bin), elapsed)
}

func BenchmarkPreflightGoModule(b *testing.B) {
	bin := wasmbinGoHello(b)
	b.SetBytes(int64(len(bin)))
	for b.Loop() {
		if err := preflight(bin); err != nil {
			b.Fatal(err)
		}
	}
}
