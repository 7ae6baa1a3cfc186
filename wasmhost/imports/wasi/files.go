package wasi

import (
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
// the layout FirstFD assumes.
func FSConfig(task experimentalsys.FS, tmp *TmpFS) wazero.FSConfig {
	c := wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(task, TaskRoot)
	return c.(sysfs.FSConfig).WithSysFSMount(tmp, Tmp)
}
