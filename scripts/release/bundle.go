package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/frescolabs/fresco/emulator/build"
	"github.com/frescolabs/fresco/emulator/sam"
)

// bundle builds the template's functions to wasm, as fresco build does, and
// writes them with a copy of the template into a gzipped tar: template.yaml,
// where every function's CodeUri names its module, and the modules, as
// artifacts/SHA256.wasm. A server runs it with fresco start -t
// template.yaml from where it is unpacked, without a Go toolchain. Process
// functions (a bootstrap, FrescoMode native) run code built for one machine
// and are left out of the bundle (their names are returned). The archive is
// reproducible: sorted, zero times and owners.
func bundle(ctx context.Context, templatePath, out string) (dropped []string, err error) {
	tmpl, err := sam.LoadTemplate(templatePath, sam.TemplateOptions{})
	if err != nil {
		return nil, err
	}
	cache, err := os.MkdirTemp("", "fresco-bundle-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(cache)
	var wasmFns []*sam.FunctionSpec
	for _, fn := range tmpl.Functions {
		if fn.Mode == sam.ModeWasm {
			wasmFns = append(wasmFns, fn)
		} else {
			dropped = append(dropped, fn.LogicalID)
		}
	}
	// The go build cache makes a rebuild cheap; the artifacts go to a
	// directory of this run's, so that the bundle is what the sources make.
	built, err := (&build.Builder{CacheDir: cache}).Build(ctx, wasmFns)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	codeURI := map[string]string{}
	for id, path := range built {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		name := "artifacts/" + hex.EncodeToString(sum[:]) + ".wasm"
		files[name] = b
		codeURI[id] = name
	}
	src, err := os.ReadFile(templatePath)
	if err != nil {
		return nil, err
	}
	if files["template.yaml"], err = rewriteTemplate(src, codeURI, dropped); err != nil {
		return nil, fmt.Errorf("rewrite %s: %w", templatePath, err)
	}
	return dropped, writeTarGz(out, files)
}

// rewriteTemplate sets the CodeUri of the functions in codeURI and removes
// the resources named in drop, keeping the rest of the template (its tags,
// such as !Ref, and its comments) as it is.
func rewriteTemplate(src []byte, codeURI map[string]string, drop []string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a mapping")
	}
	resources := mapValue(doc.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("no Resources")
	}
	var kept []*yaml.Node
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if slices.Contains(drop, id) {
			continue
		}
		if uri, ok := codeURI[id]; ok && res.Kind == yaml.MappingNode {
			props := mapValue(res, "Properties")
			if props == nil {
				props = &yaml.Node{Kind: yaml.MappingNode}
				res.Content = append(res.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "Properties"}, props)
			}
			if v := mapValue(props, "CodeUri"); v != nil {
				*v = yaml.Node{Kind: yaml.ScalarNode, Value: uri}
			} else {
				props.Content = append(props.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "CodeUri"}, &yaml.Node{Kind: yaml.ScalarNode, Value: uri})
			}
		}
		kept = append(kept, resources.Content[i], res)
	}
	resources.Content = kept
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// mapValue is the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// writeTarGz writes files, sorted by name, with zero times and owners.
func writeTarGz(out string, files map[string][]byte) error {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf) // no name, no time: the bytes depend on the files only
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if d := filepath.Dir(name); d != "." && !dirs[d] {
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
				return err
			}
		}
		b := files[name]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			return err
		}
		if _, err := io.Copy(tw, bytes.NewReader(b)); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}
