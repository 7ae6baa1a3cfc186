package wasmbin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/wasmbin/wasmbintest"
)

// wasmbinFixture reads testdata/name.wasm (see its build.sh).
func wasmbinFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWasmbinFixtures(t *testing.T) {
	t.Parallel()
	type global struct {
		index uint32
		typ   byte
		value uint64 // as api.Global.Get returns it
	}
	tests := []struct {
		name                          string
		globals                       []global
		mutatesTables, dropsData      bool
		importsGlobals                bool
		funcs                         map[string]uint64 // exports to call, and their results
		noFuncs                       bool
		wantExportSection, hadExports bool
	}{
		{
			name: "globals",
			globals: []global{
				{1, 0x7F, api.EncodeI32(-5)},
				{3, 0x7E, 0x123456789a},
				{4, 0x7D, api.EncodeF32(1.5)},
				{6, 0x7C, api.EncodeF64(-0.25)},
				{7, 0x7B, 42}, // the low half of the v128
				{8, 0x70, 0},
				{9, 0x6F, 0},
				{10, 0x7F, 7}, // initialised from the imported global
			},
			importsGlobals: true,
			funcs:          map[string]uint64{"get_a": api.EncodeI32(-5)},
		},
		{
			name:    "noexport",
			globals: []global{{0, 0x7F, 4}, {1, 0x7E, api.EncodeI64(-1)}}, // 4: the start function ran
		},
		{name: "table_set", mutatesTables: true},
		{name: "table_grow", mutatesTables: true},
		{name: "table_fill", mutatesTables: true},
		{name: "table_copy", mutatesTables: true},
		{name: "table_init", mutatesTables: true},
		{name: "elem_drop", mutatesTables: true},
		{name: "table_read"},
		{name: "memory_init", dropsData: true},
		{name: "data_drop", dropsData: true},
		{name: "bulk"},
		{name: "simd", globals: []global{{0, 0x7B, 1 | 2<<32}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := wasmbinFixture(t, tc.name)
			m, err := parseSnapshotModule(bin)
			if err != nil {
				t.Fatal(err)
			}
			if m.MutatesTables != tc.mutatesTables || m.DropsData != tc.dropsData {
				t.Errorf("MutatesTables, DropsData = %v, %v, want %v, %v", m.MutatesTables, m.DropsData, tc.mutatesTables, tc.dropsData)
			}
			if m.ImportsGlobals != tc.importsGlobals || m.ImportsTables || m.ImportsMemory {
				t.Errorf("ImportsGlobals, ImportsTables, ImportsMemory = %v, %v, %v, want %v, false, false",
					m.ImportsGlobals, m.ImportsTables, m.ImportsMemory, tc.importsGlobals)
			}
			var want []Global
			for _, g := range tc.globals {
				want = append(want, Global{Index: g.index, Name: globalExportName(g.index), Type: g.typ})
			}
			if !slices.Equal(m.Globals, want) {
				t.Errorf("Globals = %+v, want %+v", m.Globals, want)
			}
			if len(want) == 0 && !bytes.Equal(m.Binary, bin) {
				t.Error("Binary changed though there is no mutable global")
			}

			// Parsing the result again finds the same, but the export
			// names are taken now.
			if len(want) > 0 {
				_, err := parseSnapshotModule(m.Binary)
				if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "already exports") {
					t.Errorf("parsing the rewritten binary: got %v, want an error about the existing export", err)
				}
			}

			ctx := context.Background()
			r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
			defer r.Close(ctx)
			if tc.importsGlobals {
				if _, err := r.InstantiateWithConfig(ctx, wasmbinFixture(t, "env"), wazero.NewModuleConfig().WithName("env")); err != nil {
					t.Fatal(err)
				}
			}
			mod, err := r.Instantiate(ctx, m.Binary)
			if err != nil {
				t.Fatalf("instantiate the rewritten binary: %v", err)
			}
			for _, g := range tc.globals {
				name := globalExportName(g.index)
				eg := mod.ExportedGlobal(name)
				if eg == nil {
					t.Errorf("no exported global %q", name)
					continue
				}
				if got := eg.Get(); got != g.value {
					t.Errorf("%s = %#x, want %#x", name, got, g.value)
				}
				if got := byte(eg.Type()); got != g.typ {
					t.Errorf("%s has type %#x, want %#x", name, got, g.typ)
				}
				mg, ok := eg.(api.MutableGlobal)
				if !ok {
					t.Errorf("%s is not an api.MutableGlobal", name)
					continue
				}
				if g.typ != 0x70 && g.typ != 0x6F && g.typ != 0x7B {
					mg.Set(g.value + 1)
					if got := mg.Get(); got != g.value+1 {
						t.Errorf("%s = %#x after Set(%#x)", name, got, g.value+1)
					}
					mg.Set(g.value)
				}
			}
			for name, want := range tc.funcs {
				res, err := mod.ExportedFunction(name).Call(ctx)
				if err != nil {
					t.Fatalf("call %s: %v", name, err)
				}
				if res[0] != want {
					t.Errorf("%s() = %#x, want %#x", name, res[0], want)
				}
			}
		})
	}
}

// checkGlobalExports checks that m.Binary exports each of m.Globals under
// its name.
func checkGlobalExports(t testing.TB, m *SnapshotModule) {
	t.Helper()
	exported := map[string]uint32{}
	d := &decoder{b: m.Binary, p: 8, end: len(m.Binary)}
	for d.p < d.end {
		id, _ := d.u8("section id")
		size, err := d.u32("section size")
		if err != nil {
			t.Fatal(err)
		}
		s := &decoder{b: m.Binary, p: d.p, end: d.p + int(size)}
		d.p = s.end
		if id != sectionExport {
			continue
		}
		n, err := s.u32("export count")
		for i := uint32(0); i < n && err == nil; i++ {
			var l, index uint32
			var kind byte
			l, err = s.u32("name length")
			name := string(m.Binary[s.p : s.p+int(l)])
			s.p += int(l)
			kind, _ = s.u8("kind")
			index, err = s.u32("index")
			if kind == 0x03 {
				exported[name] = index
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range m.Globals {
		if index, ok := exported[g.Name]; !ok || index != g.Index {
			t.Errorf("export %s: global %d, %v; want global %d", g.Name, index, ok, g.Index)
		}
	}
}

// TestWasmbinExportSectionPlacement checks where the export section goes
// when the module has none: after global, before start, element, code, data.
func TestWasmbinExportSectionPlacement(t *testing.T) {
	t.Parallel()
	m, err := parseSnapshotModule(wasmbinFixture(t, "noexport"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []byte
	d := &decoder{b: m.Binary, p: 8, end: len(m.Binary)}
	for d.p < d.end {
		id, _ := d.u8("id")
		size, err := d.u32("size")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		d.p += int(size)
	}
	if want := []byte{1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0}; !bytes.Equal(ids, want) {
		t.Errorf("section ids = %v, want %v", ids, want)
	}
}

// TestWasmbinToolchainOutputs parses wasmhost's fixtures and the C
// sample, and compiles what it makes of them.
func TestWasmbinToolchainOutputs(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "wasmhost", "testdata", "*.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "..", "samples", "chello", "chello.wasm"))
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			bin, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := parseSnapshotModule(bin)
			if filepath.Base(file) == "notwasm.wasm" {
				if err == nil || !strings.Contains(err.Error(), "magic") {
					t.Fatalf("got %v, want an error about the magic number", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d mutable globals, MutatesTables=%v DropsData=%v ImportsGlobals=%v ImportsTables=%v ImportsMemory=%v",
				len(m.Globals), m.MutatesTables, m.DropsData, m.ImportsGlobals, m.ImportsTables, m.ImportsMemory)
			c, err := r.CompileModule(ctx, m.Binary)
			if err != nil {
				t.Fatalf("compile the rewritten binary: %v", err)
			}
			defer c.Close(ctx)
			checkGlobalExports(t, m)
		})
	}
}

var goHello struct {
	once sync.Once
	bin  []byte
	err  error
}

// wasmbinGoHello builds samples/hello to a wasip1 reactor, once per test
// binary, and returns it. It skips t if there is no go command.
func wasmbinGoHello(t testing.TB) []byte {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	goHello.once.Do(func() {
		dir, err := os.MkdirTemp("", "fresco-wasmbin-")
		if err != nil {
			goHello.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "hello.wasm")
		cmd := exec.Command(goCmd, "build", "-buildmode=c-shared", "-trimpath", "-o", out, "./samples/hello")
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			goHello.err = errors.New("go build: " + err.Error() + "\n" + string(b))
			return
		}
		goHello.bin, goHello.err = os.ReadFile(out)
	})
	if goHello.err != nil {
		t.Fatal(goHello.err)
	}
	return goHello.bin
}

func TestWasmbinGoModule(t *testing.T) {
	t.Parallel()
	bin := wasmbinGoHello(t)
	m, err := parseSnapshotModule(bin)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		if _, err := parseSnapshotModule(bin); err != nil {
			t.Fatal(err)
		}
		elapsed = min(elapsed, time.Since(start))
	}
	t.Logf("parsed %d bytes in %v (best of 5): %d mutable globals, MutatesTables=%v DropsData=%v",
		len(bin), elapsed, len(m.Globals), m.MutatesTables, m.DropsData)
	if len(m.Globals) != 8 {
		t.Errorf("%d mutable globals, want 8: %+v", len(m.Globals), m.Globals)
	}
	for i, g := range m.Globals {
		if g.Index != uint32(i) {
			t.Errorf("Globals[%d].Index = %d", i, g.Index)
		}
	}
	if m.MutatesTables || m.DropsData || m.ImportsGlobals || m.ImportsTables || m.ImportsMemory {
		t.Errorf("flags: %+v", *m)
	}
	if len(m.Binary) <= len(bin) || !bytes.Equal(m.Binary[len(m.Binary)-100:], bin[len(bin)-100:]) {
		t.Error("the rewritten binary does not keep the input's tail")
	}
	// That the rewritten binary compiles and runs is shown by every Go
	// sample in the package's tests: Host.Load compiles the rewritten copy
	// (with the on-disk cache, which a compile here would not have: under
	// -race it took minutes).
	checkGlobalExports(t, m)
}

// parseSnapshotModule parses bin and returns its SnapshotModule.
func parseSnapshotModule(bin []byte) (*SnapshotModule, error) {
	m, err := Parse(bin)
	if err != nil {
		return nil, err
	}
	return m.SnapshotModule()
}

func BenchmarkWasmbinGoModule(b *testing.B) {
	bin := wasmbinGoHello(b)
	b.SetBytes(int64(len(bin)))
	for b.Loop() {
		if _, err := parseSnapshotModule(bin); err != nil {
			b.Fatal(err)
		}
	}
}

// wasmbinModule returns a module of the given sections, each an id byte
// followed by its content.
func wasmbinModule(sections ...string) []byte { return wasmbintest.Module(sections...) }

// wasmbinCode returns a module with one function, of type () -> (), whose
// body is body (after an empty locals vector).
func wasmbinCode(body string) []byte {
	return wasmbinModule(
		"\x01\x01\x60\x00\x00", // type: () -> ()
		"\x03\x01\x00",         // function 0 has type 0
		"\x0a\x01"+string(AppendU32(nil, uint32(len(body)+1)))+"\x00"+body,
	)
}

func TestWasmbinMalformed(t *testing.T) {
	t.Parallel()
	header := "\x00asm\x01\x00\x00\x00"
	tests := []struct {
		name        string
		bin         []byte
		want        string // in the error
		unsupported bool
	}{
		{"empty", nil, "offset 0x0: no \\0asm magic number", false},
		{"version", []byte("\x00asm\x02\x00\x00\x00"), "offset 0x4: version 02000000 is not 1", false},
		{"section past end", []byte(header + "\x01\x05\x00"), "offset 0x8: type section declares 5 bytes but only 1 remain in the module", false},
		{"truncated section size", []byte(header + "\x01\x80"), "offset 0x9: truncated LEB128 section size", false},
		{"overlong section size", []byte(header + "\x01\x80\x80\x80\x80\x80\x00"), "LEB128 section size overflows 32 bits", false},
		{"unknown section", wasmbinModule("\x0e"), "offset 0x8: unknown section id 14", false},
		{"out of order", wasmbinModule("\x06\x00", "\x02\x00"), "offset 0xb: section 2 out of order", false},
		{"duplicate", wasmbinModule("\x07\x00", "\x07\x00"), "section 7 out of order", false},
		{"bytes after content", wasmbinModule("\x02\x00\x00"), "offset 0xb: import section has 1 bytes after its content", false},
		{"huge global count", wasmbinModule("\x06\xff\xff\xff\xff\x0f"), "offset 0xa: declares 4294967295 globals but only 0 bytes remain in the global section", false},
		{"bad mutability", wasmbinModule("\x06\x01\x7f\x02\x41\x00\x0b"), "offset 0xc: invalid global mutability 0x02", false},
		{"const expr runs on", wasmbinModule("\x06\x01\x7f\x01\x41\x00"), "truncated global initialiser", false},
		{"bad const op", wasmbinModule("\x06\x01\x7f\x01\x01\x0b"), "offset 0xd: opcode 0x01 in global initialiser", false},
		{"bad import kind", wasmbinModule("\x02\x01\x00\x00\x07\x00"), "offset 0xd: invalid import kind 0x07", false},
		{"import name past end", wasmbinModule("\x02\x01\x09abc"), "import module name of 9 bytes, but only 3 bytes remain in the import section", false},
		{"body past section", wasmbinModule("\x0a\x01\x05\x00\x0b"), "offset 0xb: function body 0 of 5 bytes, but only 2 bytes remain in the code section", false},
		{"truncated i32.const", wasmbinCode("\x41\x80"), "offset 0x17: opcode 0x41: truncated LEB128 in its immediate (function body ends at 0x19)", false},
		{"truncated memarg", wasmbinCode("\x28\x02"), "opcode 0x28: truncated LEB128", false},
		{"overlong index", wasmbinCode("\x20\x80\x80\x80\x80\x80\x00\x0b"), "opcode 0x20: overlong LEB128", false},
		{"truncated f64.const", wasmbinCode("\x44\x00\x00\x0b"), "opcode 0x44: truncated immediate", false},
		{"truncated v128.const", wasmbinCode("\xfd\x0c\x00\x0b"), "opcode 0xfd: truncated immediate", false},
		{"br_table past end", wasmbinCode("\x0e\xff\xff\xff\xff\x0f\x00\x0b"), "opcode 0x0e: truncated LEB128", false},
		{"threads", wasmbinCode("\xfe\x03\x00\x0b"), "unsupported opcode 0xfe at offset 0x17", true},
		{"tail call", wasmbinCode("\x12\x00\x0b"), "unsupported opcode 0x12", true},
		{"misc 18", wasmbinCode("\xfc\x12\x0b"), "unsupported opcode 0xfc 18 at offset 0x17", true},
		{"reserved SIMD", wasmbinCode("\xfd\x9a\x01\x0b"), "unsupported opcode 0xfd 154", true},
		{"relaxed SIMD", wasmbinCode("\xfd\x80\x02\x0b"), "unsupported SIMD opcode encoding", true},
		{
			"export name taken",
			wasmbinModule("\x06\x01\x7f\x01\x41\x00\x0b", "\x07\x01\x0ffresco:global:0\x03\x00"),
			`unsupported: the module already exports "fresco:global:0"`, true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseSnapshotModule(tc.bin)
			if err == nil {
				t.Fatalf("no error: %+v", m)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if errors.Is(err, ErrUnsupported) != tc.unsupported {
				t.Errorf("errors.Is(%q, ErrUnsupported) = %v", err, !tc.unsupported)
			}
		})
	}
}

// TestWasmbinTruncated parses every prefix of every fixture: none may
// panic, and a cut inside a section must error.
func TestWasmbinTruncated(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		bin, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(bin) {
			if _, err := parseSnapshotModule(bin[:n]); err == nil && n < 8 {
				t.Errorf("%s: no error for its first %d bytes", file, n)
			}
		}
	}
}

// FuzzParseSnapshotModule checks that parseSnapshotModule never panics,
// that it handles whatever wazero compiles (or says it is unsupported), and
// that what it makes of such input compiles too.
func FuzzParseSnapshotModule(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.wasm"))
	if err != nil {
		f.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("..", "..", "wasmhost", "testdata", "*.wasm"))
	for _, file := range append(files, more...) {
		bin, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bin)
	}
	for _, tc := range wasmbintest.Hostile {
		f.Add(tc.Bin)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	f.Fuzz(func(t *testing.T, bin []byte) {
		m, err := parseSnapshotModule(bin)
		if err == nil && m.Binary == nil {
			t.Fatal("no error and no binary")
		}
		// wazero would die of "out of memory" on some input that
		// preflight rejects (preflight.go).
		if preflight(bin) != nil {
			return
		}
		c, cerr := r.CompileModule(ctx, bin)
		if cerr != nil {
			return
		}
		c.Close(ctx)
		if err != nil {
			if errors.Is(err, ErrUnsupported) {
				return
			}
			t.Fatalf("wazero compiles the input, but: %v", err)
		}
		if err := preflight(m.Binary); err != nil {
			t.Fatalf("the input passes preflight, but not the rewritten binary: %v", err)
		}
		c, err = r.CompileModule(ctx, m.Binary)
		if err != nil {
			t.Fatalf("wazero compiles the input, but not the rewritten binary: %v", err)
		}
		defer c.Close(ctx)
		checkGlobalExports(t, m)
	})
}
