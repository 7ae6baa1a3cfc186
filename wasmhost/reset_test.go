package wasmhost

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/frescolabs/fresco/internal/invoke"
)

// TestResets: a guest that writes a different set of pages at every
// invocation, after checking that each still holds the image's bytes, is
// reset correctly by both mechanisms: every answer is "clean" and every
// reset is compared with the image in full (VerifyResets panics on a
// difference). The writes cover no page, one run, scattered pages, a long
// run, and more runs than one scan reports (a full copy). On a kernel that
// has PAGEMAP_SCAN the host must use it; where the userfaultfd system call
// does not exist (ENOSYS: a kernel built without it, or qemu-user, which
// does not emulate it, as in the arm64 check under qemu-aarch64-static) it
// must fall back to full copies.
func TestResets(t *testing.T) {
	wasm, err := os.ReadFile(filepath.Join("testdata", "pages.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, full := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "FullResets"}[full], func(t *testing.T) {
			h, err := New(Config{VerifyResets: true, FullResets: full})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close(context.Background())
			wantDirty := !full && kernelAtLeast(6, 7) && userfaultfdExists()
			if h.dirty != wantDirty {
				t.Fatalf("resets: %s, want dirty pages: %v", h.ResetMechanism(), wantDirty)
			}
			f, err := h.Load(context.Background(), FunctionConfig{Name: "Pages"}, wasm)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close(context.Background())
			if f.snap == nil {
				t.Fatalf("no snapshot: %v", f.snapErr)
			}
			writes := [][3]uint32{{0, 0, 0}, {1, 10, 1}, {5, 40, 23}, {100, 600, 1}, {0, 300, 3}, {3, 3, 300}}
			for round := range 40 {
				for _, w := range writes {
					w[0] += uint32(round % 7)
					ev := binary.LittleEndian.AppendUint32(nil, w[0])
					ev = binary.LittleEndian.AppendUint32(ev, w[1])
					ev = binary.LittleEndian.AppendUint32(ev, w[2])
					res := f.Invoke(context.Background(), &invoke.Request{RequestID: "r", Payload: ev})
					if res.Kind != invoke.Success || string(res.Payload) != "clean" {
						t.Fatalf("round %d, writes %v: %v %s", round, w, res.Kind, res.Payload)
					}
				}
			}
			st := f.ResetStats()
			t.Logf("%s: %+v", h.ResetMechanism(), st)
			if wantDirty && (st.Dirty == 0 || st.HotPages == 0 || st.Full == 0) {
				t.Errorf("stats %+v: want dirty resets, a hot set, and full copies for the overflows", st)
			}
			if !wantDirty && st.Dirty != 0 {
				t.Errorf("stats %+v: dirty resets without tracking", st)
			}
		})
	}
}

// kernelAtLeast reports whether this is Linux major.minor or later.
func kernelAtLeast(major, minor int) bool {
	if runtime.GOOS != "linux" {
		return false
	}
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	parts := strings.SplitN(unix.ByteSliceToString(u.Release[:]), ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, _ := strconv.Atoi(parts[0])
	mi, _ := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return ma > major || ma == major && mi >= minor
}
