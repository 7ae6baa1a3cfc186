package emulator

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCodeStore: whatever bytes are uploaded, the code store writes
// nothing outside its folder, never panics, and leaves no partial entry.
func FuzzCodeStore(f *testing.F) {
	for _, files := range []map[string]string{
		{"a.wasm": "x"},
		{"../up.wasm": "x"},
		{"dir/../../up": "x"},
		{"bootstrap": "#!/bin/sh\n"},
		{`..\win.wasm`: "x"},
		{"a/b/c.wasm": "x", "a/b/d.wasm": "y"},
	} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for n, c := range files {
			w, _ := zw.Create(n)
			w.Write([]byte(c))
		}
		zw.Close()
		f.Add(buf.Bytes(), "c")
	}
	f.Fuzz(func(t *testing.T, data []byte, handler string) {
		parent := t.TempDir()
		cs := &codeStore{dir: filepath.Join(parent, "code")}
		c, err := cs.put(data, handler)
		if err == nil && !strings.HasPrefix(c.Artifact, cs.dir+string(filepath.Separator)) {
			t.Fatalf("artifact %s outside %s", c.Artifact, cs.dir)
		}
		filepath.Walk(parent, func(p string, info os.FileInfo, err error) error {
			if err != nil || p == parent || p == cs.dir {
				return nil
			}
			if !strings.HasPrefix(p, cs.dir) {
				t.Fatalf("written outside the code folder: %s", p)
			}
			if rel, _ := filepath.Rel(cs.dir, p); strings.HasPrefix(filepath.Base(rel), ".") && filepath.Dir(rel) == "." {
				t.Fatalf("partial entry left: %s", p)
			}
			return nil
		})
	})
}
