package wasmbin

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/wasmbin/wasmbintest"
)

// preflight runs the preflight: Parse.
func preflight(bin []byte) error {
	_, err := Parse(bin)
	return err
}

// TestPreflightHostile: the preflight refuses every hostile module, saying
// why. (wasmhost's TestLoadRejectsHostile checks that Load reports it.)
func TestPreflightHostile(t *testing.T) {
	t.Parallel()
	for _, tc := range wasmbintest.Hostile {
		t.Run(tc.Name, func(t *testing.T) {
			err := preflight(tc.Bin)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.Want) {
				t.Errorf("error %q does not contain %q", err, tc.Want)
			}
		})
	}
}

// TestPreflightFixtures checks that the modules of the package's tests, of
// wasmhost's and the C sample pass.
func TestPreflightFixtures(t *testing.T) {
	t.Parallel()
	var files []string
	for _, dir := range []string{"testdata", filepath.Join("..", "..", "wasmhost", "testdata")} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".wasm") && d.Name() != "notwasm.wasm" {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	files = append(files, filepath.Join("..", "..", "samples", "chello", "chello.wasm"))
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
	files, err := filepath.Glob(filepath.Join("testdata", "*.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "..", "wasmhost", "testdata", "echo.wasm"))
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
