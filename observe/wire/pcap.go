package wire

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
)

// pcapRecords reads the records of a classic pcap file straight out of the
// bufio.Reader's buffer: pcapgo's reader copies each record into a buffer
// of its own, a copy of every byte of the file. It reads records as pcapgo
// does, with the same checks and errors; pcapgo still reads the file header
// (and compressed files, which this does not read).
type pcapRecords struct {
	br    *bufio.Reader
	order binary.ByteOrder
	// nsec is what the sub-second field is multiplied by: 1000 for a
	// microsecond file, 1 for a nanosecond one.
	nsec uint32
}

// newPcapRecords reads the records after a pcap file header whose magic is
// hdr's, with timestamps of the given resolution.
func newPcapRecords(br *bufio.Reader, magic []byte, res gopacket.TimestampResolution) *pcapRecords {
	p := &pcapRecords{br: br, order: binary.LittleEndian, nsec: 1}
	if magic[0] == 0xa1 { // a1b2c3d4 or a1b23c4d written big end first
		p.order = binary.BigEndian
	}
	if res == gopacket.TimestampResolutionMicrosecond {
		p.nsec = 1000
	}
	return p
}

// next returns the next record's data, valid until the next call, and its
// time.
func (p *pcapRecords) next() ([]byte, time.Time, error) {
	h, err := p.br.Peek(16)
	if err != nil {
		return nil, time.Time{}, fullErr(len(h), err)
	}
	o := p.order
	// The product is a uint32, as in pcapgo: a sub-second field too large
	// for its unit wraps the same way there.
	ts := time.Unix(int64(o.Uint32(h[0:4])), int64(o.Uint32(h[4:8])*p.nsec)).UTC()
	caplen, length := o.Uint32(h[8:12]), o.Uint32(h[12:16])
	if caplen > maxSnap {
		return nil, ts, fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, maxSnap)
	}
	if caplen > length {
		return nil, ts, fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, length)
	}
	p.br.Discard(16)
	n := int(caplen)
	b, err := p.br.Peek(n)
	if err != nil {
		return nil, ts, fullErr(len(b), err)
	}
	p.br.Discard(n)
	return b, ts, nil
}

// fullErr is the error io.ReadFull gives when it read n bytes of more and
// the reader said err: a clean EOF only when nothing was read.
func fullErr(n int, err error) error {
	if n > 0 && err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
