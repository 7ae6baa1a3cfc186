package wasi

import (
	"io"
	"io/fs"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"

	"github.com/frescolabs/fresco/internal/abi"
)

const (
	rdwr   = experimentalsys.O_RDWR
	create = experimentalsys.O_CREAT | experimentalsys.O_RDWR
)

func mustOpen(t *testing.T, fsys *TmpFS, path string, flag experimentalsys.Oflag) experimentalsys.File {
	t.Helper()
	f, errno := fsys.OpenFile(path, flag, 0o600)
	if errno != 0 {
		t.Fatalf("open %s: %v", path, errno)
	}
	return f
}

func TestTmpFSFiles(t *testing.T) {
	fsys := NewTmpFS(1<<20, nil)
	if errno := fsys.Mkdir("d", 0o700); errno != 0 {
		t.Fatal(errno)
	}
	f := mustOpen(t, fsys, "d/a", create)
	if n, errno := f.Write([]byte("hello")); n != 5 || errno != 0 {
		t.Fatalf("write: %d %v", n, errno)
	}
	// A write past the end leaves a hole of zeros.
	if _, errno := f.Pwrite([]byte("!"), 8); errno != 0 {
		t.Fatal(errno)
	}
	buf := make([]byte, 16)
	if n, _ := f.Pread(buf, 0); string(buf[:n]) != "hello\x00\x00\x00!" {
		t.Fatalf("read %q", buf[:n])
	}
	if pos, _ := f.Seek(-1, io.SeekEnd); pos != 8 {
		t.Fatalf("seek to %d", pos)
	}
	// Shrink, then grow: the old bytes do not come back.
	f.Truncate(2)
	f.Truncate(6)
	if n, _ := f.Pread(buf, 0); string(buf[:n]) != "he\x00\x00\x00\x00" {
		t.Fatalf("after truncates %q", buf[:n])
	}
	f.Close()

	if _, errno := fsys.OpenFile("d/a", create|experimentalsys.O_EXCL, 0); errno != experimentalsys.EEXIST {
		t.Errorf("O_EXCL on an existing file: %v", errno)
	}
	if _, errno := fsys.OpenFile("d/a/", rdwr, 0); errno != experimentalsys.ENOTDIR {
		t.Errorf("a file with a trailing slash: %v", errno)
	}
	if _, errno := fsys.OpenFile("d", rdwr, 0); errno != experimentalsys.EISDIR {
		t.Errorf("a directory opened for writing: %v", errno)
	}
	if _, errno := fsys.OpenFile("nope/x", create, 0); errno != experimentalsys.ENOENT {
		t.Errorf("create in a missing directory: %v", errno)
	}
	if errno := fsys.Rmdir("d"); errno != experimentalsys.ENOTEMPTY {
		t.Errorf("rmdir of a full directory: %v", errno)
	}
	if errno := fsys.Rename("d/a", "b"); errno != 0 {
		t.Fatal(errno)
	}
	if errno := fsys.Rename("d", "d/sub"); errno != experimentalsys.EINVAL {
		t.Errorf("a directory renamed into itself: %v", errno)
	}
	if st, errno := fsys.Stat("b"); errno != 0 || st.Size != 6 || st.Mode.IsDir() {
		t.Errorf("stat b: %+v %v", st, errno)
	}
	root := mustOpen(t, fsys, ".", experimentalsys.O_RDONLY)
	ents, _ := root.Readdir(-1)
	if len(ents) != 2 || ents[0].Name != "b" || ents[1].Name != "d" || ents[1].Type != fs.ModeDir {
		t.Errorf("listing %+v", ents)
	}
	if errno := fsys.Unlink("b"); errno != 0 {
		t.Fatal(errno)
	}
	if errno := fsys.Rmdir("d"); errno != 0 {
		t.Fatal(errno)
	}
	if fsys.Used() != 0 {
		t.Errorf("an empty /tmp counts %d bytes", fsys.Used())
	}
}

// TestTmpFSBounds: the limit and the instance's memory both bound what
// /tmp holds, and a reset empties it, even for a root opened before.
func TestTmpFSBounds(t *testing.T) {
	mem := &abi.HostMemory{Limit: 1 << 20}
	fsys := NewTmpFS(64<<10, mem)
	f := mustOpen(t, fsys, "big", create)
	if _, errno := f.Write(make([]byte, 64<<10)); errno != errNoSpace {
		t.Errorf("a write past the limit: %v", errno)
	}
	if _, errno := f.Write(make([]byte, 32<<10)); errno != 0 {
		t.Fatal(errno)
	}
	if mem.Used() != fsys.Used() || mem.Used() < 32<<10 {
		t.Errorf("memory counts %d, /tmp %d", mem.Used(), fsys.Used())
	}
	other := &abi.HostMemory{Limit: 16 << 10}
	small := NewTmpFS(1<<20, other)
	g := mustOpen(t, small, "x", create)
	if _, errno := g.Write(make([]byte, 32<<10)); errno != errNoSpace {
		t.Errorf("a write past the memory: %v", errno)
	}

	root := mustOpen(t, fsys, ".", experimentalsys.O_RDONLY)
	fsys.Reset()
	mem.Reset()
	if ents, _ := root.Readdir(-1); len(ents) != 0 {
		t.Errorf("after reset the root lists %+v", ents)
	}
	if _, errno := fsys.Stat("big"); errno != experimentalsys.ENOENT {
		t.Errorf("after reset: %v", errno)
	}
	if fsys.Used() != 0 {
		t.Errorf("after reset /tmp counts %d", fsys.Used())
	}
	// Inode numbers start again: they do not count the last invocation's
	// files.
	fresh := NewTmpFS(1<<20, nil)
	a, _ := mustOpen(t, fresh, "a", create).Ino()
	b, _ := mustOpen(t, fsys, "a", create).Ino()
	if a != b {
		t.Errorf("the first file after a reset is inode %d, in a new /tmp %d", b, a)
	}
}

// TestOpenFilesAreBounded: an instance's two mounts together hold at most
// MaxOpenFiles files open; closing one makes room.
func TestOpenFilesAreBounded(t *testing.T) {
	open := new(int)
	task := &limitFS{FS: TaskFS(t.TempDir()), open: open}
	tmp := &limitFS{FS: NewTmpFS(1<<20, nil), open: open}
	var files []experimentalsys.File
	for i := range MaxOpenFiles {
		fsys := experimentalsys.FS(task)
		if i%2 == 1 {
			fsys = tmp
		}
		f, errno := fsys.OpenFile(".", experimentalsys.O_RDONLY, 0)
		if errno != 0 {
			t.Fatalf("open %d: %v", i, errno)
		}
		files = append(files, f)
	}
	if _, errno := tmp.OpenFile(".", experimentalsys.O_RDONLY, 0); errno != experimentalsys.EAGAIN {
		t.Fatalf("open past the bound: %v", errno)
	}
	files[0].Close()
	files[0].Close() // a second close gives nothing back
	if _, errno := task.OpenFile(".", experimentalsys.O_RDONLY, 0); errno != 0 {
		t.Fatalf("open after a close: %v", errno)
	}
	if _, errno := task.OpenFile(".", experimentalsys.O_RDONLY, 0); errno != experimentalsys.EAGAIN {
		t.Fatalf("open past the bound again: %v", errno)
	}
	for _, f := range files[1:] {
		f.Close()
	}
}
