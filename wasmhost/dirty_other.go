//go:build !linux

package wasmhost

import "errors"

// Dirty-page tracking needs Linux's userfaultfd and PAGEMAP_SCAN; elsewhere
// every reset copies the whole image.

type pageRegion struct{ start, end, categories uint64 }

type dirtyPages struct{}

func trackPages([]byte) (*dirtyPages, error) { return nil, errDirtyUnsupported }

func (*dirtyPages) protect(start, end uint64, on bool) error { return errDirtyUnsupported }

func (*dirtyPages) written() ([]pageRegion, bool, error) { return nil, false, errDirtyUnsupported }

func (*dirtyPages) private() (uint64, error) { return 0, errDirtyUnsupported }

func (*dirtyPages) close() {}

func (*dirtyPages) base() uint64 { return 0 }

func probeDirtyPages() error { return errDirtyUnsupported }

var errDirtyUnsupported = errors.New("dirty-page tracking needs Linux 6.7 or later")
