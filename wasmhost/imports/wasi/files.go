package wasi

import (
	"io/fs"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// Where a guest finds its files, as on Lambda.
const (
	// TaskRoot is LAMBDA_TASK_ROOT: the function's CodeUri, read-only.
	TaskRoot = "/var/task"
	// Tmp is the writable, per-invocation /tmp.
	Tmp = "/tmp"
)

// TaskFS returns the read-only file system of dir, a function's code on
// the host; an empty one for "". wazero's DirFS resolves the guest's
// paths within dir (a path never climbs above it), and ReadFS refuses
// every write with EROFS.
func TaskFS(dir string) experimentalsys.FS {
	if dir == "" {
		return &sysfs.ReadFS{FS: NewTmpFS(0, nil)}
	}
	return &sysfs.ReadFS{FS: sysfs.DirFS(dir)}
}

// FSConfig mounts task at /var/task (descriptor 3) and tmp at /tmp (4),
// the layout FirstFD assumes, for one instance: the two together let its
// guest hold at most MaxOpenFiles files open at once.
func FSConfig(task experimentalsys.FS, tmp *TmpFS) wazero.FSConfig {
	open := new(int)
	c := wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(&limitFS{FS: task, open: open}, TaskRoot)
	return c.(sysfs.FSConfig).WithSysFSMount(&limitFS{FS: tmp, open: open}, Tmp)
}

// MaxOpenFiles bounds the files an instance holds open, as Lambda bounds a
// function's descriptors (1,024): /var/task's are the host's own
// descriptors, which a guest must not exhaust. Past it, opening fails
// with EAGAIN (wazero's errnos have no EMFILE).
const MaxOpenFiles = 1024

// limitFS counts the files opened through it, with the other mount of the
// same instance, and refuses more than MaxOpenFiles. One goroutine at a
// time uses it, the one running the instance's guest.
type limitFS struct {
	experimentalsys.FS
	open *int
}

func (l *limitFS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	if *l.open >= MaxOpenFiles {
		return nil, experimentalsys.EAGAIN
	}
	f, errno := l.FS.OpenFile(path, flag, perm)
	if errno != 0 {
		return nil, errno
	}
	*l.open++
	return &countedFile{File: f, open: l.open}, 0
}

// countedFile gives its count back when closed (once).
type countedFile struct {
	experimentalsys.File
	open   *int
	closed bool
}

func (f *countedFile) Close() experimentalsys.Errno {
	if !f.closed {
		f.closed = true
		*f.open--
	}
	return f.File.Close()
}
