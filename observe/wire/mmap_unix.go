//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package wire

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the whole of a regular file into memory, read-only, or
// returns nil when it cannot (not a regular file, empty, too large for the
// address space): the caller then reads the file.
func mapFile(f *os.File) []byte {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() <= 0 || st.Size() != int64(int(st.Size())) {
		return nil
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil
	}
	// Records are read once, in order.
	unix.Madvise(m, unix.MADV_SEQUENTIAL)
	return m
}

func unmapFile(m []byte) { unix.Munmap(m) }

// dropPages tells the kernel that the pages of m, which must start on a
// page boundary, will not be read again: they leave the process's resident
// set (they stay in the page cache).
func dropPages(m []byte) { unix.Madvise(m, unix.MADV_DONTNEED) }
