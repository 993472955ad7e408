package wire

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/teardown-net/teardown/internal/prefetch"
)

// pcapRecords reads the records of a classic pcap file in place: from the
// file mapped into memory when it can be, else out of the bufio.Reader's
// buffer. pcapgo's reader copies each record into a buffer of its own, and
// read(2) copies the whole file once more; on a large file those copies
// were a third of the time. It reads records as pcapgo does, with the same
// checks and errors; pcapgo still reads the file header (and compressed
// files, which this does not read).
type pcapRecords struct {
	br *bufio.Reader
	// m is the mapped file while it is mapped, and off where the next
	// record starts in it. Once the mapping holds no whole record more,
	// the rest of the file (it may have grown since it was mapped) is
	// read from that offset through in.
	m   *mapping
	off int
	// dropped is where the pages not yet given back to the kernel start.
	dropped int
	// ahead is the start of the last page prefetched.
	ahead int
	in    *counter
	big   bool // the file is big-endian
	// nsec is what the sub-second field is multiplied by: 1000 for a
	// microsecond file, 1 for a nanosecond one.
	nsec uint32
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
// record header and the link, IP and TCP headers of the usual frame.
// prefetchPage is the smallest page size, at which the next page is
// touched ahead.
const (
	prefetchHeaders = 128
	prefetchPage    = 4096
)

// newPcapRecords reads the records after a pcap file header whose magic is
// hdr's, with timestamps of the given resolution, from br, or from the
// mapping m after the header when m is not nil.
func newPcapRecords(br *bufio.Reader, m *mapping, in *counter, magic []byte, res gopacket.TimestampResolution) *pcapRecords {
	p := &pcapRecords{br: br, m: m, in: in, nsec: 1}
	if m != nil {
		p.off = int(m.base) + 24
	}
	p.big = magic[0] == 0xa1 // a1b2c3d4 or a1b23c4d written big end first
	if res == gopacket.TimestampResolutionMicrosecond {
		p.nsec = 1000
	}
	return p
}

func (p *pcapRecords) u32(b []byte) uint32 {
	if p.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// header reads a record header: the record's time and capture length.
func (p *pcapRecords) header(h []byte) (time.Time, int, error) {
	// The product is a uint32, as in pcapgo: a sub-second field too large
	// for its unit wraps the same way there.
	ts := time.Unix(int64(p.u32(h[0:4])), int64(p.u32(h[4:8])*p.nsec)).UTC()
	caplen, length := p.u32(h[8:12]), p.u32(h[12:16])
	if caplen > maxSnap {
		return ts, 0, fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, maxSnap)
	}
	if caplen > length {
		return ts, 0, fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, length)
	}
	return ts, int(caplen), nil
}

// next returns the next record's data, valid until the next call, and its
// time.
func (p *pcapRecords) next() ([]byte, time.Time, error) {
	if p.m != nil {
		if p.off-p.dropped >= dropEvery {
			// The records before off are done with: the resident set
			// stays the size of a window, not of the file.
			end := p.off &^ (os.Getpagesize() - 1)
			dropPages(p.m.mem[p.dropped:end])
			p.dropped = end
		}
		if h := p.m.mem[p.off:]; len(h) >= 16 {
			ts, n, err := p.header(h)
			if err != nil {
				return nil, ts, err
			}
			if len(h)-16 >= n {
				p.advance(p.off + 16 + n)
				return h[16 : 16+n : 16+n], ts, nil
			}
		}
		if err := p.readRest(); err != nil {
			return nil, time.Time{}, err
		}
	}
	h, err := p.br.Peek(16)
	if err != nil {
		return nil, time.Time{}, fullErr(len(h), err)
	}
	ts, n, err := p.header(h)
	if err != nil {
		return nil, ts, err
	}
	p.br.Discard(16)
	b, err := p.br.Peek(n)
	if err != nil {
		return nil, ts, fullErr(len(b), err)
	}
	p.br.Discard(n)
	return b, ts, nil
}

// advance moves on to the mapped record at off. The first read of each
// record waited for memory: the file is in the page cache, not in any CPU
// cache. The next record's headers are asked for as soon as their place
// is known, a record's work before they are read, and the next page's
// address is translated while this one is read, so that the prefetch of
// its first record's headers is not dropped or delayed.
func (p *pcapRecords) advance(off int) {
	p.off = off
	mem := p.m.mem
	prefetch.ReadOnce(mem[off:min(off+prefetchHeaders, len(mem))])
	if pg := (off + prefetchPage) &^ (prefetchPage - 1); p.ahead < pg && pg < len(mem) {
		prefetch.ReadOnce(mem[pg : pg+1])
		p.ahead = pg
	}
}

// readRest unmaps the file and goes on reading it, from the record the
// mapping holds no whole copy of.
func (p *pcapRecords) readRest() error {
	m := p.m
	p.m = nil
	m.unmap()
	if _, err := m.file.Seek(int64(p.off), io.SeekStart); err != nil {
		return fmt.Errorf("read past the mapped file: %w", err)
	}
	p.in.r, p.in.n = m.file, int64(p.off)
	p.br = bufio.NewReaderSize(p.in, 1<<20)
	return nil
}

// offset is how far into the input the records have been read.
func (p *pcapRecords) offset() int64 {
	if p.m != nil {
		return int64(p.off)
	}
	return p.in.n - int64(p.br.Buffered())
}

// release unmaps the file, if it is mapped; later records are read from
// the file.
func (p *pcapRecords) release() error {
	if p.m == nil {
		return nil
	}
	return p.readRest()
}

// counter counts the bytes read from r.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// fullErr is the error io.ReadFull gives when it read n bytes of more and
// the reader said err: a clean EOF only when nothing was read.
func fullErr(n int, err error) error {
	if n > 0 && err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
