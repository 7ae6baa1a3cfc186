package wasmhost

import (
	"context"
	"encoding/binary"
	"errors"
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

// TestResetsOfSharedImage: where resets track written pages, a function's
// image is a sealed file that new instances map copy-on-write. Four
// instances made that way serve the same writes as TestResets, side by
// side, every reset compared with the image in full; each keeps a copy of
// only the pages it wrote (its mapping's private pages), and a discarded
// one gives its memory back to the pool as zeros, which the next instance
// maps the image over again.
func TestResetsOfSharedImage(t *testing.T) {
	if !kernelAtLeast(6, 7) || !userfaultfdExists() {
		t.Skip("no dirty-page tracking on this kernel: instances copy the image (TestResets covers it)")
	}
	h, err := New(Config{VerifyResets: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	f, err := h.Load(context.Background(), FunctionConfig{Name: "SharedPages"}, mustRead(t, filepath.Join("testdata", "pages.wasm")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	if f.snap == nil || f.snap.image == nil {
		t.Fatalf("the image is not shared (snapshot %v)", f.snapErr)
	}
	image := len(f.snap.mem)
	if got, err := f.Provision(context.Background(), 5); err != nil || got < 5 {
		t.Fatalf("provision: %d, %v", got, err)
	}
	if n := strings.Count(readProc(t, "maps"), "memfd:fresco-image:SharedPages"); n < 5 {
		t.Fatalf("%d mappings of the image (the file's own and 4 instances'), want 5", n)
	}
	for round := range 3 {
		done := make(chan string, 4)
		for g := range 4 {
			go func() {
				for i := range 10 {
					// Two pages at a time, a few dozen in all per instance.
					ev := binary.LittleEndian.AppendUint32(nil, uint32(g*40+i*3+round))
					ev = binary.LittleEndian.AppendUint32(ev, 2)
					ev = binary.LittleEndian.AppendUint32(ev, uint32(1+i%3))
					res := f.Invoke(context.Background(), &invoke.Request{RequestID: "r", Payload: ev})
					if res.Kind != invoke.Success || string(res.Payload) != "clean" {
						done <- string(res.Payload)
						return
					}
				}
				done <- ""
			}()
		}
		for range 4 {
			if msg := <-done; msg != "" {
				t.Fatalf("round %d: %s", round, msg)
			}
		}
	}
	// The instance init ran in, whose memory was all its own, maps the
	// image after its first reset, as every other does: reset them all.
	var ready []*instance
	for in := f.snap.ready.pop(); in != nil; in = f.snap.ready.pop() {
		ready = append(ready, in)
	}
	for _, in := range ready {
		f.snap.reset(in)
	}
	if n := len(imageMappings(t, "SharedPages")); n != 6 {
		t.Errorf("%d mappings of the image, want 6 (the file's own, the 4 new instances' and init's)", n)
	}
	// The ready budget counts each ready instance its own pages and the
	// overhead, as the page table said at its last count.
	f.snap.ready.mu.Lock()
	for _, in := range f.snap.ready.items {
		var own uint64
		err := errors.New("not tracked")
		if in.pages != nil {
			own, err = in.pages.private()
		}
		t.Logf("a ready instance holds %d KB of its own, counts %d KB", own>>10, in.charged>>10)
		if err != nil || in.charged < instanceOverhead || in.charged > int64(own)+instanceOverhead {
			t.Errorf("a ready instance counts %d bytes against the budget; it holds %d of its own (%v)", in.charged, own, err)
		}
	}
	f.snap.ready.mu.Unlock()
	// Every mapping of the image holds far less than the image privately:
	// the pages written, not the ones only read.
	for _, m := range imageMappings(t, "SharedPages") {
		t.Logf("a mapping of the %d KB image: %d KB resident, %d KB its own", image>>10, m.rss>>10, m.private>>10)
		if m.private > image/4 {
			t.Errorf("a mapping of the image holds %d private bytes of %d", m.private, image)
		}
	}
	// Discarded instances go back to the pool; new ones map the image
	// again, at the image.
	for in := f.snap.ready.pop(); in != nil; in = f.snap.ready.pop() {
		f.snap.discard(in)
	}
	for range 3 {
		if res := f.Invoke(context.Background(), &invoke.Request{RequestID: "again", Payload: make([]byte, 12)}); res.Kind != invoke.Success || string(res.Payload) != "clean" {
			t.Fatalf("after the discards: %v %s", res.Kind, res.Payload)
		}
	}
}

func readProc(t *testing.T, name string) string {
	b, err := os.ReadFile("/proc/self/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// imageMapping is what /proc/self/smaps says of a mapping of an image.
type imageMapping struct{ rss, private int }

// imageMappings lists the mappings of fn's image file.
func imageMappings(t *testing.T, fn string) []imageMapping {
	var out []imageMapping
	var cur *imageMapping
	for _, l := range strings.Split(readProc(t, "smaps"), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4:
			cur = nil
			if strings.Contains(l, "memfd:fresco-image:"+fn) {
				out = append(out, imageMapping{})
				cur = &out[len(out)-1]
			}
		case cur != nil && len(f) == 3 && f[2] == "kB":
			kb, _ := strconv.Atoi(f[1])
			switch f[0] {
			case "Rss:":
				cur.rss = kb << 10
			case "Private_Clean:", "Private_Dirty:":
				cur.private += kb << 10
			}
		}
	}
	return out
}
