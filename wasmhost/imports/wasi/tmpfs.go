package wasi

import (
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"

	"github.com/frescolabs/fresco/internal/abi"
)

// TmpFS is an instance's /tmp: a file system in the host's memory, which
// the instance's reset empties (Reset) so that every invocation starts with
// an empty /tmp, as the issue of files on Lambda asks. It is bounded by the
// function's EphemeralStorage (Limit) and, with everything else the host
// holds for the instance, by its memory (abi.HostMemory).
//
// Why in memory rather than a directory on the host's disk: emptying it is
// dropping a map (nothing when the guest wrote nothing), its bytes are
// counted exactly where they are written, and a guest's paths never reach
// the host's file system. See RATIONALE.md ("/tmp in memory").
//
// One goroutine at a time uses it: the one running the instance's guest.
type TmpFS struct {
	experimentalsys.UnimplementedFS
	root *node
	// limit bounds the bytes held: file contents, and nodeCost plus the
	// name of every file and directory.
	limit, used int64
	mem         *abi.HostMemory
	nextIno     uint64
}

// nodeCost is what a file or directory costs beside its name and content.
const nodeCost = 128

type node struct {
	dir      bool
	data     []byte
	children map[string]*node
	ino      uint64
	mode     fs.FileMode
	atim     int64
	mtim     int64
	// cost is what the node counts (nodeCost and its name), given back
	// when it is removed.
	cost int64
}

// NewTmpFS returns an empty /tmp of at most limit bytes, whose bytes also
// count against mem (nil: only the limit).
func NewTmpFS(limit int64, mem *abi.HostMemory) *TmpFS {
	t := &TmpFS{limit: limit, mem: mem}
	t.root = t.newNode(true, 0)
	return t
}

// Reset empties the file system. Files still open keep their contents but
// are no longer in it; the instance is not reset while any is open.
func (t *TmpFS) Reset() {
	if len(t.root.children) == 0 && t.used == 0 && t.nextIno == t.root.ino {
		return
	}
	// The root is emptied in place: wazero keeps the preopen's open root
	// across invocations, and it must see the empty /tmp. Its times and
	// the inode numbers start again too, so that nothing tells how many
	// files the last invocation made, or when.
	clear(t.root.children)
	now := time.Now().UnixNano()
	t.root.atim, t.root.mtim = now, now
	t.nextIno = t.root.ino
	t.used = 0
}

// Used is the bytes the file system holds.
func (t *TmpFS) Used() int64 { return t.used }

func (t *TmpFS) newNode(dir bool, cost int64) *node {
	t.nextIno++
	now := time.Now().UnixNano()
	n := &node{dir: dir, ino: t.nextIno, atim: now, mtim: now, cost: cost, mode: 0o666}
	if dir {
		n.children = map[string]*node{}
		n.mode = fs.ModeDir | 0o777
	}
	return n
}

// errNoSpace is what a write past the bound fails with: wazero's errnos
// have no ENOSPC, so the guest sees EIO.
const errNoSpace = experimentalsys.EIO

// reserve counts n more bytes against the limit and the memory.
func (t *TmpFS) reserve(n int64) experimentalsys.Errno {
	if t.used+n > t.limit {
		return errNoSpace
	}
	if !t.mem.Reserve(n) {
		return errNoSpace
	}
	t.used += n
	return 0
}

func (t *TmpFS) release(n int64) {
	t.used = max(t.used-n, 0)
	t.mem.Release(n)
}

// split cleans a path wazero passes (fs.ValidPath, maybe a trailing
// slash) into its parent's components and its base name ("" for the
// root).
func split(path string) (dirs []string, base string, slash bool) {
	slash = strings.HasSuffix(path, "/")
	path = strings.TrimSuffix(path, "/")
	if path == "." || path == "" {
		return nil, "", slash
	}
	parts := strings.Split(path, "/")
	return parts[:len(parts)-1], parts[len(parts)-1], slash
}

// parent returns the directory holding path's base.
func (t *TmpFS) parent(dirs []string) (*node, experimentalsys.Errno) {
	n := t.root
	for _, d := range dirs {
		if d == "." {
			continue
		}
		c, ok := n.children[d]
		if !ok {
			return nil, experimentalsys.ENOENT
		}
		if !c.dir {
			return nil, experimentalsys.ENOTDIR
		}
		n = c
	}
	return n, 0
}

// lookup returns the node at path.
func (t *TmpFS) lookup(path string) (*node, experimentalsys.Errno) {
	dirs, base, slash := split(path)
	p, errno := t.parent(dirs)
	if errno != 0 {
		return nil, errno
	}
	if base == "" {
		return p, 0
	}
	n, ok := p.children[base]
	if !ok {
		return nil, experimentalsys.ENOENT
	}
	if slash && !n.dir {
		return nil, experimentalsys.ENOTDIR
	}
	return n, 0
}

// OpenFile implements experimentalsys.FS.
func (t *TmpFS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	dirs, base, slash := split(path)
	p, errno := t.parent(dirs)
	if errno != 0 {
		return nil, errno
	}
	access := flag & (experimentalsys.O_RDONLY | experimentalsys.O_RDWR | experimentalsys.O_WRONLY)
	writes := access == experimentalsys.O_RDWR || access == experimentalsys.O_WRONLY
	n := p
	if base != "" {
		var ok bool
		n, ok = p.children[base]
		switch {
		case !ok && flag&experimentalsys.O_CREAT == 0:
			return nil, experimentalsys.ENOENT
		case !ok:
			if slash || flag&experimentalsys.O_DIRECTORY != 0 {
				return nil, experimentalsys.EINVAL
			}
			cost := nodeCost + int64(len(base))
			if errno := t.reserve(cost); errno != 0 {
				return nil, errno
			}
			n = t.newNode(false, cost)
			n.mode = perm & fs.ModePerm
			if n.mode == 0 {
				n.mode = 0o666
			}
			p.children[base] = n
			p.mtim = n.mtim
		case flag&experimentalsys.O_CREAT != 0 && flag&experimentalsys.O_EXCL != 0:
			return nil, experimentalsys.EEXIST
		}
	}
	switch {
	case (slash || flag&experimentalsys.O_DIRECTORY != 0) && !n.dir:
		return nil, experimentalsys.ENOTDIR
	case n.dir && writes:
		return nil, experimentalsys.EISDIR
	}
	if flag&experimentalsys.O_TRUNC != 0 && writes && len(n.data) > 0 {
		t.release(int64(len(n.data)))
		n.data = nil
		n.mtim = time.Now().UnixNano()
	}
	return &tmpFile{fs: t, n: n, read: !writes || access == experimentalsys.O_RDWR, write: writes,
		append: flag&experimentalsys.O_APPEND != 0}, 0
}

func (n *node) stat() sys.Stat_t {
	st := sys.Stat_t{Ino: n.ino, Mode: n.mode, Nlink: 1, Size: int64(len(n.data)), Atim: n.atim, Mtim: n.mtim, Ctim: n.mtim}
	if n.dir {
		st.Size = int64(len(n.children))
		st.Nlink = 2
	}
	return st
}

// Stat implements experimentalsys.FS.
func (t *TmpFS) Stat(path string) (sys.Stat_t, experimentalsys.Errno) {
	n, errno := t.lookup(path)
	if errno != 0 {
		return sys.Stat_t{}, errno
	}
	return n.stat(), 0
}

// Lstat implements experimentalsys.FS: there are no links.
func (t *TmpFS) Lstat(path string) (sys.Stat_t, experimentalsys.Errno) { return t.Stat(path) }

// Mkdir implements experimentalsys.FS.
func (t *TmpFS) Mkdir(path string, perm fs.FileMode) experimentalsys.Errno {
	dirs, base, _ := split(path)
	p, errno := t.parent(dirs)
	if errno != 0 {
		return errno
	}
	if base == "" {
		return experimentalsys.EEXIST
	}
	if _, ok := p.children[base]; ok {
		return experimentalsys.EEXIST
	}
	cost := nodeCost + int64(len(base))
	if errno := t.reserve(cost); errno != 0 {
		return errno
	}
	n := t.newNode(true, cost)
	p.children[base] = n
	p.mtim = n.mtim
	return 0
}

// Chmod implements experimentalsys.FS.
func (t *TmpFS) Chmod(path string, perm fs.FileMode) experimentalsys.Errno {
	n, errno := t.lookup(path)
	if errno != 0 {
		return errno
	}
	n.mode = n.mode&fs.ModeType | perm&fs.ModePerm
	return 0
}

// remove unlinks path's node, a directory or not (dir), and gives back
// what it counted.
func (t *TmpFS) remove(path string, dir bool) experimentalsys.Errno {
	dirs, base, _ := split(path)
	p, errno := t.parent(dirs)
	if errno != 0 {
		return errno
	}
	if base == "" {
		return experimentalsys.EPERM
	}
	n, ok := p.children[base]
	switch {
	case !ok:
		return experimentalsys.ENOENT
	case dir && !n.dir:
		return experimentalsys.ENOTDIR
	case !dir && n.dir:
		return experimentalsys.EISDIR
	case dir && len(n.children) > 0:
		return experimentalsys.ENOTEMPTY
	}
	delete(p.children, base)
	t.release(n.cost + int64(len(n.data)))
	n.cost = 0
	n.data = nil // an open file of it reads nothing more: its bytes are given back
	p.mtim = time.Now().UnixNano()
	return 0
}

// Rmdir implements experimentalsys.FS.
func (t *TmpFS) Rmdir(path string) experimentalsys.Errno { return t.remove(path, true) }

// Unlink implements experimentalsys.FS.
func (t *TmpFS) Unlink(path string) experimentalsys.Errno { return t.remove(path, false) }

// Rename implements experimentalsys.FS.
func (t *TmpFS) Rename(from, to string) experimentalsys.Errno {
	fdirs, fbase, _ := split(from)
	tdirs, tbase, _ := split(to)
	fp, errno := t.parent(fdirs)
	if errno != 0 {
		return errno
	}
	tp, errno := t.parent(tdirs)
	if errno != 0 {
		return errno
	}
	if fbase == "" || tbase == "" {
		return experimentalsys.EPERM
	}
	n, ok := fp.children[fbase]
	if !ok {
		return experimentalsys.ENOENT
	}
	if fp == tp && fbase == tbase {
		return 0
	}
	if n.dir && isUnder(n, tp) {
		return experimentalsys.EINVAL // a directory into itself
	}
	if old, ok := tp.children[tbase]; ok {
		switch {
		case old.dir && !n.dir:
			return experimentalsys.EISDIR
		case !old.dir && n.dir:
			return experimentalsys.ENOTDIR
		case old.dir && len(old.children) > 0:
			return experimentalsys.ENOTEMPTY
		}
		t.release(old.cost + int64(len(old.data)))
		old.cost, old.data = 0, nil
	}
	delta := int64(len(tbase) - len(fbase))
	if delta > 0 {
		if errno := t.reserve(delta); errno != 0 {
			return errno
		}
	} else {
		t.release(-delta)
	}
	n.cost += delta
	delete(fp.children, fbase)
	tp.children[tbase] = n
	now := time.Now().UnixNano()
	fp.mtim, tp.mtim = now, now
	return 0
}

// isUnder reports whether d is dir or below it.
func isUnder(dir, d *node) bool {
	if dir == d {
		return true
	}
	for _, c := range dir.children {
		if c.dir && isUnder(c, d) {
			return true
		}
	}
	return false
}

// Utimens implements experimentalsys.FS.
func (t *TmpFS) Utimens(path string, atim, mtim int64) experimentalsys.Errno {
	n, errno := t.lookup(path)
	if errno != 0 {
		return errno
	}
	n.utimens(atim, mtim)
	return 0
}

func (n *node) utimens(atim, mtim int64) {
	// wazero resolves "now" before the call; UTIME_OMIT keeps a time.
	if atim != experimentalsys.UTIME_OMIT {
		n.atim = atim
	}
	if mtim != experimentalsys.UTIME_OMIT {
		n.mtim = mtim
	}
}

// tmpFile is an open file or directory of a TmpFS.
type tmpFile struct {
	experimentalsys.UnimplementedFile
	fs                  *TmpFS
	n                   *node
	pos                 int64
	read, write, append bool
	// names is a directory's listing, taken at its first Readdir.
	names []string
}

func (f *tmpFile) Dev() (uint64, experimentalsys.Errno)    { return 0, 0 }
func (f *tmpFile) Ino() (sys.Inode, experimentalsys.Errno) { return f.n.ino, 0 }
func (f *tmpFile) IsDir() (bool, experimentalsys.Errno)    { return f.n.dir, 0 }
func (f *tmpFile) IsAppend() bool                          { return f.append }
func (f *tmpFile) SetAppend(enable bool) experimentalsys.Errno {
	f.append = enable
	return 0
}
func (f *tmpFile) Stat() (sys.Stat_t, experimentalsys.Errno) { return f.n.stat(), 0 }

func (f *tmpFile) Read(buf []byte) (int, experimentalsys.Errno) {
	n, errno := f.Pread(buf, f.pos)
	f.pos += int64(n)
	return n, errno
}

func (f *tmpFile) Pread(buf []byte, off int64) (int, experimentalsys.Errno) {
	switch {
	case f.n.dir:
		return 0, experimentalsys.EISDIR
	case !f.read:
		return 0, experimentalsys.EBADF
	case off < 0:
		return 0, experimentalsys.EINVAL
	case off >= int64(len(f.n.data)):
		return 0, 0
	}
	return copy(buf, f.n.data[off:]), 0
}

// fileOffset is int64 under another name: vet's stdmethods check takes a
// method named Seek(int64, int) for io.Seeker's, which
// experimentalsys.File's is not (it returns an Errno).
type fileOffset = int64

func (f *tmpFile) Seek(offset fileOffset, whence int) (int64, experimentalsys.Errno) {
	if f.n.dir {
		if offset != 0 || whence != io.SeekStart {
			return 0, experimentalsys.EINVAL
		}
		f.names = nil
		return 0, 0
	}
	base := int64(0)
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = f.pos
	case io.SeekEnd:
		base = int64(len(f.n.data))
	default:
		return 0, experimentalsys.EINVAL
	}
	if base+offset < 0 {
		return 0, experimentalsys.EINVAL
	}
	f.pos = base + offset
	return f.pos, 0
}

func (f *tmpFile) Readdir(n int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	if !f.n.dir {
		return nil, experimentalsys.ENOTDIR
	}
	if f.names == nil {
		f.names = make([]string, 0, len(f.n.children))
		for name := range f.n.children {
			f.names = append(f.names, name)
		}
		slices.Sort(f.names)
	}
	var out []experimentalsys.Dirent
	for len(f.names) > 0 && (n <= 0 || len(out) < n) {
		name := f.names[0]
		f.names = f.names[1:]
		c, ok := f.n.children[name]
		if !ok {
			continue // removed since the listing
		}
		out = append(out, experimentalsys.Dirent{Ino: c.ino, Name: name, Type: c.mode.Type()})
	}
	return out, 0
}

func (f *tmpFile) Write(buf []byte) (int, experimentalsys.Errno) {
	if f.append {
		f.pos = int64(len(f.n.data))
	}
	n, errno := f.Pwrite(buf, f.pos)
	f.pos += int64(n)
	return n, errno
}

func (f *tmpFile) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	switch {
	case f.n.dir:
		return 0, experimentalsys.EISDIR
	case !f.write:
		return 0, experimentalsys.EBADF
	case off < 0:
		return 0, experimentalsys.EINVAL
	}
	end := off + int64(len(buf))
	if cur := int64(len(f.n.data)); end > cur {
		if errno := f.fs.reserve(end - cur); errno != 0 {
			return 0, errno
		}
		f.n.data = slices.Grow(f.n.data, int(end-cur))[:end]
		clear(f.n.data[cur:]) // a hole reads as zeros, never as old bytes
	}
	copy(f.n.data[off:], buf)
	f.n.mtim = time.Now().UnixNano()
	return len(buf), 0
}

func (f *tmpFile) Truncate(size int64) experimentalsys.Errno {
	switch {
	case f.n.dir:
		return experimentalsys.EISDIR
	case !f.write:
		return experimentalsys.EBADF
	case size < 0:
		return experimentalsys.EINVAL
	}
	cur := int64(len(f.n.data))
	if size > cur {
		if errno := f.fs.reserve(size - cur); errno != 0 {
			return errno
		}
		f.n.data = slices.Grow(f.n.data, int(size-cur))[:size]
		clear(f.n.data[cur:])
	} else {
		f.fs.release(cur - size)
		f.n.data = f.n.data[:size]
	}
	f.n.mtim = time.Now().UnixNano()
	return 0
}

func (f *tmpFile) Sync() experimentalsys.Errno     { return 0 }
func (f *tmpFile) Datasync() experimentalsys.Errno { return 0 }
func (f *tmpFile) Utimens(atim, mtim int64) experimentalsys.Errno {
	f.n.utimens(atim, mtim)
	return 0
}
func (f *tmpFile) Close() experimentalsys.Errno { return 0 }
