package wasmhost

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// hugeCode asks for transparent huge pages over the compiled code of the
// host's modules. wazero maps each module's machine code anonymously
// (~54 MB for a Go guest), and an invocation runs code spread over all of
// it: in 4 KB pages that is thousands of TLB entries, each miss a nested
// page walk on a virtual machine, and over HTTP, where the guest meets
// cold caches, the guest ran ~10% faster in 2 MB pages
// (../shared/PERF-NOTES.md, section 7d). wazero has no option for it, so
// after a load the host finds the executable anonymous mappings in
// /proc/self/maps (the Go binary's own code is file-backed) and advises
// them once: MADV_HUGEPAGE, then MADV_COLLAPSE (Linux 6.1+) to have them
// collapsed now rather than whenever khugepaged gets to them. Failures
// are ignored: the code runs the same in small pages.
var hugeCode struct {
	mu      sync.Mutex
	advised map[[2]uintptr]bool
}

func adviseHugeCode() {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	hugeCode.mu.Lock()
	defer hugeCode.mu.Unlock()
	seen := map[[2]uintptr]bool{} // the mappings there now: freed ones are forgotten
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// start-end perms offset dev inode [path]
		f := bytes.Fields(sc.Bytes())
		if len(f) != 5 || string(f[1]) != "r-xp" || string(f[4]) != "0" {
			continue
		}
		start, end, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		lo, err1 := strconv.ParseUint(string(start), 16, 64)
		hi, err2 := strconv.ParseUint(string(end), 16, 64)
		const huge = 2 << 20
		if err1 != nil || err2 != nil || hi-lo < huge {
			continue
		}
		r := [2]uintptr{uintptr(lo), uintptr(hi)}
		seen[r] = true
		if hugeCode.advised[r] {
			continue
		}
		if madvise(r, unix.MADV_HUGEPAGE) == nil {
			_ = madvise(r, unix.MADV_COLLAPSE)
		}
	}
	hugeCode.advised = seen
}

// madvise advises the range r of memory that is not the Go heap's (so not
// a slice of Go's to hand to unix.Madvise).
func madvise(r [2]uintptr, advice int) error {
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, r[0], r[1]-r[0], uintptr(advice)); e != 0 {
		return e
	}
	return nil
}
