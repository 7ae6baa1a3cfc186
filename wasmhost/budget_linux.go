package wasmhost

import "golang.org/x/sys/unix"

// defaultReadyMemory is a quarter of the machine's memory, at most 4 GB.
func defaultReadyMemory() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 1 << 30
	}
	return min(int64(si.Totalram)*int64(si.Unit)/4, 4<<30)
}
