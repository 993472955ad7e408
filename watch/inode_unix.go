//go:build unix

package watch

import (
	"io/fs"
	"syscall"
)

// inode returns a file's inode number: a cgroup's id, a namespace's number.
func inode(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Ino), true
}
