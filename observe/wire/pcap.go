package wire

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
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
	// The mapped file while it is mapped. Once the mapping holds no whole
	// record more, the rest of the file (it may have grown since it was
	// mapped) is read from its offset through in.
	window
	in  *counter
	big bool // the file is big-endian
	// nsec is what the sub-second field is multiplied by: 1000 for a
	// microsecond file, 1 for a nanosecond one.
	nsec uint32
}

// newPcapRecords reads the records after a pcap file header whose magic is
// hdr's, with timestamps of the given resolution, from br, or from the
// mapping m after the header when m is not nil.
func newPcapRecords(br *bufio.Reader, m *mapping, in *counter, magic []byte, res gopacket.TimestampResolution) *pcapRecords {
	p := &pcapRecords{br: br, window: window{m: m}, in: in, nsec: 1}
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
		p.giveBack()
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
