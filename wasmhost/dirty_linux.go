//go:build linux

package wasmhost

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Dirty-page tracking with userfaultfd's asynchronous write protection and
// PAGEMAP_SCAN (Linux 6.7 and later). An instance's memory is registered
// with a userfaultfd in write-protect mode with UFFD_FEATURE_WP_ASYNC: a
// write to a protected page is resolved by the kernel itself (no handler
// thread, no signal), which unprotects the page, and PAGEMAP_SCAN then
// lists the pages that are no longer protected: those written since they
// were last protected, by the guest or by the host's own writes into
// guest memory. A reset copies exactly those pages back from the image and
// protects them again. The image stays the only truth: every page not
// listed is still protected, so nothing has written it since it was last
// restored from the image.
//
// The constants are those of linux/userfaultfd.h and linux/fs.h, which
// golang.org/x/sys does not have yet; the ioctl numbers encode the sizes
// of the structures below and are the same on amd64 and arm64.
const (
	uffdUserModeOnly        = 1 // userfaultfd(2) flag
	uffdAPI                 = 0xAA
	uffdFeatureWPUnpopulate = 1 << 13
	uffdFeatureWPAsync      = 1 << 15
	uffdioAPI               = 0xc018aa3f // _IOWR(0xAA, 0x3F, struct uffdio_api)
	uffdioRegister          = 0xc020aa00 // _IOWR(0xAA, 0x00, struct uffdio_register)
	uffdioWriteprotect      = 0xc018aa06 // _IOWR(0xAA, 0x06, struct uffdio_writeprotect)
	uffdioRegisterModeWP    = 1 << 1
	uffdioWriteprotectWP    = 1 << 0
	pagemapScan             = 0xc0606610 // _IOWR('f', 16, struct pm_scan_arg)
	pageIsWritten           = 1 << 1
	pageIsFile              = 1 << 2
	pageIsPresent           = 1 << 3
)

type uffdioAPIArg struct{ api, features, ioctls uint64 }

type uffdioRegisterArg struct{ start, len, mode, ioctls uint64 }

type uffdioWriteprotectArg struct{ start, len, mode uint64 }

// pageRegion is one run of pages PAGEMAP_SCAN reports.
type pageRegion struct{ start, end, categories uint64 }

type pmScanArg struct {
	size, flags, start, end, walkEnd, vec, vecLen, maxPages       uint64
	categoryInverted, categoryMask, categoryAnyofMask, returnMask uint64
}

// scanRegions bounds the runs of written pages one scan reports; a reset
// that finds more copies the whole image instead. A Go guest's invocation
// writes ~50 pages in under 20 runs.
const scanRegions = 256

// dirtyPages tracks the pages written in one instance's memory.
type dirtyPages struct {
	fd         int
	addr, size uint64
	// regions and arg are the scan's buffers, on the heap: the kernel
	// writes to them.
	regions []pageRegion
	arg     pmScanArg
	wp      uffdioWriteprotectArg
}

var pagemap struct {
	once sync.Once
	fd   int
	err  error
}

func pagemapFD() (int, error) {
	pagemap.once.Do(func() {
		pagemap.fd, pagemap.err = unix.Open("/proc/self/pagemap", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	})
	return pagemap.fd, pagemap.err
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) (uintptr, error) {
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// trackPages starts tracking the writes to mem, which must be page-aligned
// memory of an mmap of its own, and write-protects all of it.
func trackPages(mem []byte) (*dirtyPages, error) {
	page := uint64(os.Getpagesize())
	base := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(mem))))
	size := uint64(len(mem))
	if size == 0 || base%page != 0 || size%page != 0 {
		return nil, errors.New("memory is not page-aligned")
	}
	if _, err := pagemapFD(); err != nil {
		return nil, fmt.Errorf("open /proc/self/pagemap: %w", err)
	}
	fd, _, e := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|unix.O_NONBLOCK, 0, 0)
	if e == unix.EPERM {
		// vm.unprivileged_userfaultfd=0: user-mode faults only, which is
		// all asynchronous write protection needs.
		fd, _, e = unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|unix.O_NONBLOCK|uffdUserModeOnly, 0, 0)
	}
	if e != 0 {
		return nil, fmt.Errorf("userfaultfd: %w", e)
	}
	d := &dirtyPages{fd: int(fd), addr: base, size: size, regions: make([]pageRegion, scanRegions)}
	api := &uffdioAPIArg{api: uffdAPI, features: uffdFeatureWPAsync | uffdFeatureWPUnpopulate}
	if _, err := ioctl(d.fd, uffdioAPI, unsafe.Pointer(api)); err != nil {
		d.close()
		return nil, fmt.Errorf("UFFDIO_API with WP_ASYNC: %w", err)
	}
	reg := &uffdioRegisterArg{start: base, len: size, mode: uffdioRegisterModeWP}
	if _, err := ioctl(d.fd, uffdioRegister, unsafe.Pointer(reg)); err != nil {
		d.close()
		return nil, fmt.Errorf("UFFDIO_REGISTER: %w", err)
	}
	if err := d.protect(base, base+size, true); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// protect write-protects (or, on false, unprotects) the addresses
// [start, end).
func (d *dirtyPages) protect(start, end uint64, on bool) error {
	d.wp = uffdioWriteprotectArg{start: start, len: end - start}
	if on {
		d.wp.mode = uffdioWriteprotectWP
	}
	if _, err := ioctl(d.fd, uffdioWriteprotect, unsafe.Pointer(&d.wp)); err != nil {
		return fmt.Errorf("UFFDIO_WRITEPROTECT: %w", err)
	}
	return nil
}

// written returns the runs of pages written since they were protected, as
// offsets into the memory, and whether the list is complete (false: more
// runs than scanRegions).
func (d *dirtyPages) written() ([]pageRegion, bool, error) {
	fd, _ := pagemapFD()
	d.arg = pmScanArg{
		start: d.addr, end: d.addr + d.size,
		vec: uint64(uintptr(unsafe.Pointer(unsafe.SliceData(d.regions)))), vecLen: uint64(len(d.regions)),
		categoryMask: pageIsWritten, returnMask: pageIsWritten,
	}
	d.arg.size = uint64(unsafe.Sizeof(d.arg))
	n, err := ioctl(fd, pagemapScan, unsafe.Pointer(&d.arg))
	if err != nil {
		return nil, false, fmt.Errorf("PAGEMAP_SCAN: %w", err)
	}
	regs := d.regions[:n]
	for i := range regs {
		regs[i].start -= d.addr
		regs[i].end -= d.addr
	}
	return regs, d.arg.walkEnd >= d.arg.end, nil
}

// private is the bytes of the memory present and the instance's own:
// for a copy-on-write mapping of the image, the pages it has written
// (anonymous), not those it only read (the image's page cache).
func (d *dirtyPages) private() (uint64, error) {
	fd, _ := pagemapFD()
	var total uint64
	for start := d.addr; start < d.addr+d.size; {
		d.arg = pmScanArg{
			start: start, end: d.addr + d.size,
			vec: uint64(uintptr(unsafe.Pointer(unsafe.SliceData(d.regions)))), vecLen: uint64(len(d.regions)),
			categoryInverted: pageIsFile, categoryMask: pageIsPresent | pageIsFile, returnMask: pageIsPresent,
		}
		d.arg.size = uint64(unsafe.Sizeof(d.arg))
		n, err := ioctl(fd, pagemapScan, unsafe.Pointer(&d.arg))
		if err != nil {
			return 0, fmt.Errorf("PAGEMAP_SCAN: %w", err)
		}
		for _, r := range d.regions[:n] {
			total += r.end - r.start
		}
		if d.arg.walkEnd <= start {
			break
		}
		start = d.arg.walkEnd
	}
	return total, nil
}

func (d *dirtyPages) close() { unix.Close(d.fd) }

// base is the address of the memory's first byte.
func (d *dirtyPages) base() uint64 { return d.addr }

// probeDirtyPages checks that this kernel tracks writes as trackPages
// expects, on a mapping of its own: after protecting 16 pages and writing
// two, exactly those two are listed, and none once they are protected
// again.
func probeDirtyPages() error {
	page := os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 16*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return err
	}
	defer unix.Munmap(mem)
	d, err := trackPages(mem)
	if err != nil {
		return err
	}
	defer d.close()
	mem[3*page] = 1
	mem[7*page+5] = 1
	regs, complete, err := d.written()
	if err != nil {
		return err
	}
	want := []pageRegion{{uint64(3 * page), uint64(4 * page), pageIsWritten}, {uint64(7 * page), uint64(8 * page), pageIsWritten}}
	if !complete || len(regs) != 2 || regs[0] != want[0] || regs[1] != want[1] {
		return fmt.Errorf("PAGEMAP_SCAN listed %v after writes to pages 3 and 7", regs)
	}
	for _, r := range want {
		if err := d.protect(d.addr+r.start, d.addr+r.end, true); err != nil {
			return err
		}
	}
	if regs, _, err = d.written(); err != nil || len(regs) != 0 {
		return fmt.Errorf("PAGEMAP_SCAN listed %v (%v) with every page protected", regs, err)
	}
	return nil
}
