//go:build linux

package wasmhost

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// imageFile holds a function's image in a sealed memfd, so that instances
// can map it copy-on-write instead of copying it: the pages an instance
// only reads are the image's own page-cache pages, one copy for all the
// function's instances and for the image the resets copy from; a page
// becomes the instance's own when it is first written. The seals (no
// write, no resize, no more seals) make the file the image for good:
// nothing, not the host either, can change it after load.
type imageFile struct {
	fd  int
	mem []byte // the file, mapped read-only and shared: the image
}

// newImageFile writes img to a sealed memfd named after the function.
func newImageFile(name string, img []byte) (*imageFile, error) {
	if len(img) == 0 || uint64(len(img))%pageSize != 0 {
		return nil, fmt.Errorf("image of %d bytes is not whole pages", len(img))
	}
	fd, err := unix.MemfdCreate("fresco-image:"+name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := &imageFile{fd: fd}
	for b := img; len(b) > 0; {
		n, err := unix.Write(fd, b)
		if err != nil {
			f.close()
			return nil, fmt.Errorf("write the image: %w", err)
		}
		b = b[n:]
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.close()
		return nil, fmt.Errorf("seal the image: %w", err)
	}
	if f.mem, err = unix.Mmap(fd, 0, len(img), unix.PROT_READ, unix.MAP_SHARED); err != nil {
		f.close()
		return nil, fmt.Errorf("map the image: %w", err)
	}
	return f, nil
}

// mapInto maps the image, copy-on-write, over buf: the first len(f.mem)
// bytes of an instance's memory mapping, page-aligned. What buf held is
// dropped.
func (f *imageFile) mapInto(buf []byte) error {
	if len(buf) != len(f.mem) {
		return fmt.Errorf("memory of %d bytes, image of %d", len(buf), len(f.mem))
	}
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	_, _, e := unix.Syscall6(unix.SYS_MMAP, addr, uintptr(len(buf)), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_FIXED, uintptr(f.fd), 0)
	if e != 0 {
		return fmt.Errorf("mmap the image over the instance's memory: %w", e)
	}
	return nil
}

// close unmaps the image and closes the file; the instances' mappings
// keep their pages.
func (f *imageFile) close() {
	if f.mem != nil {
		unix.Munmap(f.mem)
		f.mem = nil
	}
	unix.Close(f.fd)
}

// dropMapping replaces [buf) of a mapping with fresh anonymous memory
// (zero pages, nothing resident): how a memory that mapped an image is
// cleared for the pool.
func dropMapping(buf []byte) error {
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	_, _, e := unix.Syscall6(unix.SYS_MMAP, addr, uintptr(len(buf)), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED|mapNoReserve, ^uintptr(0), 0)
	if e != 0 {
		return e
	}
	return nil
}
