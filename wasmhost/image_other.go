//go:build !linux

package wasmhost

import "errors"

// Images are mapped copy-on-write from a memfd on Linux only; elsewhere
// every instance holds a copy of its image.

type imageFile struct{ mem []byte }

var errImageUnsupported = errors.New("images are shared between instances on Linux only")

func newImageFile(string, []byte) (*imageFile, error) { return nil, errImageUnsupported }

func (*imageFile) mapInto([]byte) error { return errImageUnsupported }

func (*imageFile) close() {}

func dropMapping([]byte) error { return errImageUnsupported }
