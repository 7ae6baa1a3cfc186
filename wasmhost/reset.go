package wasmhost

import (
	"context"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// How an instance is reset to its function's image. Two mechanisms, chosen
// once per host (New):
//
//   - dirty pages, where the kernel tracks writes (Linux 6.7 and later:
//     userfaultfd asynchronous write protection and PAGEMAP_SCAN,
//     dirty_linux.go): a reset copies back from the image only the pages
//     written since the last one, and protects them again. A Go guest
//     writes ~50 of its image's 2,400 pages per invocation, so a reset
//     costs microseconds instead of a 10 MB copy, and leaves the caches
//     to the next guest. The pages that every invocation writes (the hot
//     set, learnt from a function's first resets) are left unprotected
//     and copied at every reset, so that the guest does not take a fault
//     on each of them every time.
//   - a full copy of the image everywhere else, and whenever the dirty
//     list is in doubt: the scan overflowed, failed, or the instance has
//     no tracking.
//
// Where pages are tracked, a new instance does not copy the image: its
// memory maps the image's sealed file copy-on-write (shareImage), so its
// clean pages are the image's own, shared by all instances, and it holds a
// copy only of the pages it writes.
//
// Either way the image is the only truth: a page is skipped only while the
// kernel says nothing wrote it since it was copied from the image, and
// --verify-resets compares every reset instance with the image in full.

// learnResets is how many resets a function's hot set is learnt from: the
// pages written in every one of them.
const learnResets = 3

// hotSet is the pages of a function's image that every invocation writes.
type hotSet struct {
	page []bool     // by page index
	runs [][2]int64 // byte ranges of consecutive hot pages
}

// resetStats is what a snapshot counts of its resets (ResetStats).
type resetStats struct {
	dirty, full atomic.Int64
	// times holds the durations of the last len(times) timed resets (one
	// in timeEvery).
	times [1024]atomic.Int64
	next  atomic.Uint64
	count atomic.Uint64
}

// timeThis says whether to time the next reset: one in timeEvery, for
// clock reads cost a reset of a small image as much as the reset.
func (r *resetStats) timeThis() bool { return r.count.Add(1)%timeEvery == 1 }

const timeEvery = 8

// record counts a reset, and its duration since start when it was timed.
func (r *resetStats) record(dirty, timed bool, start time.Time) {
	if dirty {
		r.dirty.Add(1)
	} else {
		r.full.Add(1)
	}
	if timed {
		i := r.next.Add(1) - 1
		r.times[i%uint64(len(r.times))].Store(int64(time.Since(start)))
	}
}

// ResetStats reports how a function's instances were reset.
type ResetStats struct {
	// Mechanism is the host's (Host.ResetMechanism).
	Mechanism string
	// Dirty counts resets that copied only written pages; Full those that
	// copied the whole image.
	Dirty, Full int64
	// P50 is the median of the last 1,024 timed resets (one in eight).
	P50 time.Duration
	// HotPages is the size of the hot set, once learnt.
	HotPages int
}

// ResetStats reports how f's instances were reset; zero for a function
// without a snapshot.
func (f *Module) ResetStats() ResetStats {
	st := ResetStats{Mechanism: f.host.ResetMechanism()}
	s := f.snap
	if s == nil {
		return st
	}
	st.Dirty, st.Full = s.stats.dirty.Load(), s.stats.full.Load()
	n := min(s.stats.next.Load(), uint64(len(s.stats.times)))
	times := make([]int64, n)
	for i := range times {
		times[i] = s.stats.times[i].Load()
	}
	if n > 0 {
		slices.Sort(times)
		st.P50 = time.Duration(times[n/2])
	}
	if hot := s.hot.Load(); hot != nil {
		for _, h := range hot.page {
			if h {
				st.HotPages++
			}
		}
	}
	return st
}

// restoreMemory writes the image over buf, in's memory.
func (s *snapshot) restoreMemory(in *instance, buf []byte) {
	timed := s.stats.timeThis()
	var start time.Time
	if timed {
		start = time.Now()
	}
	if in.mapped {
		// A new instance, its memory the image mapped copy-on-write: at
		// the image already.
		in.mapped = false
		if s.f.host.dirty && len(s.mem) > trackAbove {
			s.startTracking(in, buf)
		}
		return
	}
	dirty := in.pages != nil && s.restoreDirty(in, buf)
	if !dirty {
		if in.pages != nil || !s.remap(buf) {
			copy(buf, s.mem)
		}
		switch {
		case in.pages != nil:
			s.protectAll(in)
		case s.f.host.dirty && len(s.mem) > trackAbove:
			s.startTracking(in, buf)
		}
	}
	s.stats.record(dirty, timed, start)
}

// remap maps the shared image copy-on-write over buf, an instance's memory
// whose pages are its own (the one init ran in, or one whose tracking was
// dropped): it is then at the image, and gives its copy back. False where
// the image is not shared, buf keeping what it held.
func (s *snapshot) remap(buf []byte) bool {
	m, ok := s.f.host.memory.(imageMapper)
	return ok && s.image != nil && m.mapImage(buf, s.image)
}

// trackAbove is the image size up to which resets copy the whole image
// even where pages can be tracked: a scan of the written pages (a system
// call, ~1 µs) costs as much as copying 64 KB, and a small image spares
// the guest its faults on the pages it writes.
const trackAbove = 256 << 10

// restoreDirty copies back the pages written since the last reset and
// protects them again. It reports false, having changed nothing, when the
// list of written pages is incomplete.
func (s *snapshot) restoreDirty(in *instance, buf []byte) bool {
	regs, complete, err := in.pages.written()
	if err != nil || !complete {
		return false
	}
	for _, r := range regs {
		copy(buf[r.start:r.end], s.mem[r.start:r.end])
	}
	hot := s.hot.Load()
	if hot == nil {
		hot = s.learn(regs)
	}
	for _, r := range regs {
		if !s.protectWritten(in, int64(r.start), int64(r.end), hot) {
			return true // tracking dropped: the next reset copies it all
		}
	}
	if hot != nil && !in.hotApplied {
		s.unprotectHot(in, hot)
	}
	return true
}

// protectWritten protects again the pages of [start, end), which were
// written and have been restored, except the hot ones.
func (s *snapshot) protectWritten(in *instance, start, end int64, hot *hotSet) bool {
	if hot == nil {
		return s.protect(in, start, end)
	}
	page := int64(pageSize)
	for p := start; p < end; {
		for p < end && hot.page[p/page] {
			p += page
		}
		q := p
		for q < end && !hot.page[q/page] {
			q += page
		}
		if q > p && !s.protect(in, p, q) {
			return false
		}
		p = q
	}
	return true
}

// protect write-protects [start, end) of in's memory. If the kernel
// refuses, the instance stops being tracked: its next reset is a full
// copy.
func (s *snapshot) protect(in *instance, start, end int64) bool {
	if err := in.pages.protect(in.pages.base()+uint64(start), in.pages.base()+uint64(end), true); err != nil {
		in.stopTracking()
		return false
	}
	return true
}

// protectAll protects all of in's memory, then unprotects the hot set.
func (s *snapshot) protectAll(in *instance) {
	if !s.protect(in, 0, int64(len(s.mem))) {
		return
	}
	in.hotApplied = false
	if hot := s.hot.Load(); hot != nil {
		s.unprotectHot(in, hot)
	}
}

// unprotectHot leaves the hot pages of in's memory unprotected: they are
// listed as written at every reset, so copied every time, and never fault.
func (s *snapshot) unprotectHot(in *instance, hot *hotSet) {
	for _, r := range hot.runs {
		if err := in.pages.protect(in.pages.base()+uint64(r[0]), in.pages.base()+uint64(r[1]), false); err != nil {
			in.stopTracking()
			return
		}
	}
	in.hotApplied = true
}

// startTracking starts tracking the writes to in's memory, buf, which is
// at the image. Where the kernel refuses, in is reset by full copies.
func (s *snapshot) startTracking(in *instance, buf []byte) {
	pages, err := trackPages(buf)
	if err != nil {
		s.trackErr.Do(func() {
			s.f.host.logger.Warn("resets copy the whole image", "function", s.f.cfg.Name, "error", err.Error())
		})
		return
	}
	in.pages = pages
	if hot := s.hot.Load(); hot != nil {
		s.unprotectHot(in, hot)
	}
}

// learn counts the pages of regs toward the hot set, and returns the set
// once learnResets resets have been counted (nil before).
func (s *snapshot) learn(regs []pageRegion) *hotSet {
	s.learnMu.Lock()
	defer s.learnMu.Unlock()
	if hot := s.hot.Load(); hot != nil {
		return hot
	}
	page := pageSize
	if s.seen == nil {
		s.seen = make([]uint8, uint64(len(s.mem))/page)
	}
	for _, r := range regs {
		for p := r.start / page; p < r.end/page; p++ {
			s.seen[p]++
		}
	}
	s.learnt++
	if s.learnt < learnResets {
		return nil
	}
	hot := &hotSet{page: make([]bool, len(s.seen))}
	for p, n := range s.seen {
		if int(n) != s.learnt {
			continue
		}
		hot.page[p] = true
		at := int64(uint64(p) * page)
		if k := len(hot.runs); k > 0 && hot.runs[k-1][1] == at {
			hot.runs[k-1][1] += int64(page)
		} else {
			hot.runs = append(hot.runs, [2]int64{at, at + int64(page)})
		}
	}
	s.seen = nil
	s.hot.Store(hot)
	return hot
}

// stopTracking drops in's tracking; its memory keeps its content.
func (in *instance) stopTracking() {
	if in.pages != nil {
		in.pages.close()
		in.pages = nil
	}
}

// close closes in's module, and its tracking first (the memory goes back
// to the pool, unregistered).
func (in *instance) close() {
	in.stopTracking()
	in.mod.Close(context.Background())
}

// resetMechanism is the host's choice of reset, and why.
func resetMechanism(cfg Config) (dirty bool, desc string) {
	if cfg.FullResets {
		return false, "full copy (FullResets)"
	}
	dirtyProbe.once.Do(func() { dirtyProbe.err = probeDirtyPages() })
	if err := dirtyProbe.err; err != nil {
		return false, "full copy (" + err.Error() + ")"
	}
	return true, "dirty pages (userfaultfd write-protect, PAGEMAP_SCAN)"
}

var dirtyProbe struct {
	once sync.Once
	err  error
}

var pageSize = uint64(os.Getpagesize())

// ResetMechanism says how the host resets instances to their image: by
// dirty pages, or by a full copy and why.
func (h *Host) ResetMechanism() string { return h.resetDesc }
