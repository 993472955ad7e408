package wire

import (
	"os"
	"unsafe"

	"github.com/teardown-net/teardown/internal/prefetch"
)

// window is where a reader of a mapped file is: m is the mapping while it
// is mapped, and off where the next record starts in it.
type window struct {
	m   *mapping
	off int
	// dropped is where the pages not yet given back to the kernel start.
	dropped int
	// ahead is the start of the last page prefetched.
	ahead int
}

// giveBack gives the pages before off back to the kernel every dropEvery
// bytes: the records there are done with, and the resident set stays the
// size of a window, not of the file.
func (w *window) giveBack() {
	if w.off-w.dropped >= dropEvery {
		end := w.off &^ (os.Getpagesize() - 1)
		dropPages(w.m.mem[w.dropped:end])
		w.dropped = end
	}
}

// mapping is a file mapped into memory from its offset base on; mem is nil
// once it is unmapped.
type mapping struct {
	mem  []byte
	file *os.File
	base int64
}

// holds reports whether addr lies in the mapped memory.
func (m *mapping) holds(addr uintptr) bool {
	if len(m.mem) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(&m.mem[0]))
	return addr >= start && addr-start < uintptr(len(m.mem))
}

func (m *mapping) unmap() {
	if m.mem != nil {
		unmapFile(m.mem)
		m.mem = nil
	}
}

// dropEvery is how many bytes of a mapped file are read before the pages
// read are given back.
const dropEvery = 4 << 20

// prefetchHeaders is how much of the next record is prefetched: its
// record header and the link, IP and TCP headers of the usual frame, and
// more, since a run of lines asked for in a row sets the CPU's own
// prefetcher streaming ahead through the file (on the bench capture, whose
// records average 570 bytes, 256 took 4-6% less time than 128, which holds
// the headers, and 384 no less than 256). prefetchPage is the smallest
// page size, at which the next page is touched ahead.
const (
	prefetchHeaders = 256
	prefetchPage    = 4096
)

// advance moves on to the mapped record at off and prefetches it.
func (w *window) advance(off int) {
	w.off = off
	w.prefetch(off)
}

// prefetch asks for the record at off. The first read of each record
// waits for memory: the file is in the page cache, not in any CPU cache.
// A record's headers are asked for as soon as their place is known, a
// record's work before they are read, and the next page's address is
// translated while this one is read, so that the prefetch of its first
// record's headers is not dropped or delayed.
func (w *window) prefetch(off int) {
	mem := w.m.mem
	prefetch.ReadOnce(mem[off:min(off+prefetchHeaders, len(mem))])
	if pg := (off + prefetchPage) &^ (prefetchPage - 1); w.ahead < pg && pg < len(mem) {
		prefetch.ReadOnce(mem[pg : pg+1])
		w.ahead = pg
	}
}
