package storage

import "syscall"

// freeSpace is the room left for an unprivileged writer on the file
// system that holds dir; ok is false when it cannot be told.
func freeSpace(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * st.Bsize, true
}
