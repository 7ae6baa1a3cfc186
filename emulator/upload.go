package emulator

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/manageapi"
)

// codeStore keeps uploaded code by content hash: dir/<sha256 hex>.zip, the
// zip as uploaded, and dir/<sha256 hex>/, its files. Each is written
// atomically (a temporary file or folder, fsynced, then renamed), before
// the record that names it is committed, so that a kill never leaves a
// record naming code that is not whole.
type codeStore struct {
	dir string
}

// msgUnzippedTooLarge is Lambda's message for code over MaxUnzipped.
var msgUnzippedTooLarge = fmt.Sprintf("Unzipped size must be smaller than %d bytes", manageapi.MaxUnzipped)

// put stores zipped code and returns its Code, whose Artifact is the .wasm
// module (named by handler when there are several) or the bootstrap
// executable it holds.
func (cs *codeStore) put(zipped []byte, handler string) (functions.Code, error) {
	if len(zipped) == 0 {
		return functions.Code{}, invoke.InvalidParameter("Code.ZipFile is required: fresco takes code as a zip file (S3 and container images are not emulated).")
	}
	if len(zipped) > manageapi.MaxZipped {
		return functions.Code{}, &invoke.ServiceError{Status: 413, Type: manageapi.ErrEntityTooLarge,
			Message: fmt.Sprintf("Zipped size must be smaller than %d bytes", manageapi.MaxZipped)}
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		return functions.Code{}, invoke.InvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	sum := sha256.Sum256(zipped)
	hexSum := hex.EncodeToString(sum[:])
	root := filepath.Join(cs.dir, hexSum)
	if _, err := os.Stat(root); err != nil {
		if err := cs.extract(zr, root); err != nil {
			return functions.Code{}, err
		}
	}
	if err := writeAtomic(filepath.Join(cs.dir, hexSum+".zip"), zipped); err != nil {
		return functions.Code{}, err
	}
	artifact, err := pickArtifact(root, handler)
	if err != nil {
		return functions.Code{}, err
	}
	return functions.Code{
		Sha256:   base64.StdEncoding.EncodeToString(sum[:]),
		Size:     int64(len(zipped)),
		Artifact: artifact,
	}, nil
}

// extract writes zr's files under root, atomically: into a temporary
// folder renamed to root at the end. Paths that leave the root are
// refused, and the bytes written are counted as they are decompressed (a
// zip's declared sizes are not trusted), up to MaxUnzipped.
func (cs *codeStore) extract(zr *zip.Reader, root string) (err error) {
	if err := os.MkdirAll(cs.dir, 0o700); err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	tmp, err := os.MkdirTemp(cs.dir, ".extract-")
	if err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	budget := int64(manageapi.MaxUnzipped)
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		clean := path.Clean("/" + name)[1:]
		if name == "" || path.IsAbs(name) || strings.Contains(name, ":") || slices.Contains(strings.Split(name, "/"), "..") || clean == "" {
			return invoke.InvalidParameter("Could not unzip uploaded file: the path %q escapes the function's root.", f.Name)
		}
		dst := filepath.Join(tmp, filepath.FromSlash(clean))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("store code: %w", err)
			}
			continue
		}
		if !f.Mode().IsRegular() {
			return invoke.InvalidParameter("Could not unzip uploaded file: %q is not a regular file (links are not taken).", f.Name)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("store code: %w", err)
		}
		mode := os.FileMode(0o644)
		if f.Mode()&0o111 != 0 || clean == "bootstrap" {
			mode = 0o755
		}
		n, err := copyZipFile(f, dst, mode, budget)
		if err != nil {
			return err
		}
		budget -= n
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, root); err != nil {
		if _, statErr := os.Stat(root); statErr == nil {
			os.RemoveAll(tmp) // stored meanwhile by an upload of the same zip
			return nil
		}
		return fmt.Errorf("store code: %w", err)
	}
	return syncDir(cs.dir)
}

// copyZipFile decompresses f into dst, at most budget bytes.
func copyZipFile(f *zip.File, dst string, mode os.FileMode, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, invoke.InvalidParameter("Could not unzip uploaded file: %v", err)
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return 0, invoke.InvalidParameter("Could not unzip uploaded file: %q: %v", f.Name, err)
	}
	defer out.Close()
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if err != nil {
		return n, invoke.InvalidParameter("Could not unzip uploaded file: %q: %v", f.Name, err)
	}
	if n > budget {
		return n, invoke.InvalidParameter("%s", msgUnzippedTooLarge)
	}
	if err := out.Sync(); err != nil {
		return n, fmt.Errorf("store code: %w", err)
	}
	return n, out.Close()
}

// pickArtifact finds what runs in root: a bootstrap executable, or the
// .wasm module (the one Handler names when there are several).
func pickArtifact(root, handler string) (string, error) {
	var wasm []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".wasm") {
			rel, _ := filepath.Rel(root, p)
			wasm = append(wasm, filepath.ToSlash(rel))
		}
		return nil
	})
	if st, err := os.Stat(filepath.Join(root, "bootstrap")); err == nil && st.Mode().IsRegular() && len(wasm) == 0 {
		return filepath.Join(root, "bootstrap"), nil
	}
	switch {
	case len(wasm) == 1:
		return filepath.Join(root, filepath.FromSlash(wasm[0])), nil
	case len(wasm) == 0:
		return "", invoke.InvalidParameter("The zip file holds neither a .wasm module nor a bootstrap executable at its root.")
	}
	for _, w := range wasm {
		if h := strings.TrimSuffix(handler, ".wasm"); h != "" && (w == h+".wasm" || path.Base(w) == h+".wasm") {
			return filepath.Join(root, filepath.FromSlash(w)), nil
		}
	}
	return "", invoke.InvalidParameter("The zip file holds several .wasm modules (%s): the Handler must name one.", strings.Join(wasm, ", "))
}

// writeAtomic writes data to path through a temporary file, fsynced and
// renamed; nothing is written when path exists (content-addressed).
func writeAtomic(p string, data []byte) error {
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-")
	if err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("store code: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("store code: %w", err)
	}
	return syncDir(filepath.Dir(p))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	return nil
}

// newRevisionID is a fresh RevisionId (a UUID, as Lambda's).
func newRevisionID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
