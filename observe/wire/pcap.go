package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// pcap magic numbers, as written in the file's own byte order.
const (
	magicMicro = 0xa1b2c3d4
	magicNano  = 0xa1b23c4d
)

// Link types of the tests' hand-made files (https://www.tcpdump.org/linktypes.html).
const (
	linkNull     = 0   // BSD loopback: 4-byte address family in host order
	linkEthernet = 1   // Ethernet II, possibly with 802.1Q tags
	linkRaw      = 101 // the IP packet itself; what PcapWriter writes
	linkSLL      = 113 // Linux cooked capture v1 (tcpdump -i any)
	linkSLL2     = 276 // Linux cooked capture v2
)

// maxRecord bounds a record's captured length; it is libpcap's largest snap
// length, so no real file exceeds it and a corrupt one cannot make ReadPcap
// allocate without bound.
const maxRecord = 262144

// PcapWriter writes packets to a pcap file with nanosecond timestamps and
// link type RAW, so that the file holds exactly the IP packets captured and
// opens in Wireshark and tcpdump.
type PcapWriter struct {
	w   io.Writer
	hdr [16]byte
}

// NewPcapWriter writes the pcap global header to w and returns a writer for
// the packets.
func NewPcapWriter(w io.Writer) (*PcapWriter, error) {
	var h [24]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], magicNano)
	le.PutUint16(h[4:], 2) // version 2.4
	le.PutUint16(h[6:], 4)
	le.PutUint32(h[16:], maxRecord) // snap length
	le.PutUint32(h[20:], linkRaw)
	if _, err := w.Write(h[:]); err != nil {
		return nil, fmt.Errorf("write pcap header: %w", err)
	}
	return &PcapWriter{w: w}, nil
}

// WritePacket appends p.Data, stamped with p.Time, to the file. A zero Time
// is written as the epoch.
func (pw *PcapWriter) WritePacket(p Packet) error {
	if len(p.Data) == 0 {
		return fmt.Errorf("write pcap record for %v: packet has no data", p)
	}
	if len(p.Data) > maxRecord {
		return fmt.Errorf("write pcap record for %v: %d bytes, at most %d fit", p, len(p.Data), maxRecord)
	}
	var sec, nsec int64
	if !p.Time.IsZero() {
		sec, nsec = p.Time.Unix(), int64(p.Time.Nanosecond())
	}
	if sec < 0 || sec > 1<<32-1 {
		return fmt.Errorf("write pcap record for %v: time %v outside what pcap can hold (1970 to 2106)", p, p.Time)
	}
	le := binary.LittleEndian
	le.PutUint32(pw.hdr[0:], uint32(sec))
	le.PutUint32(pw.hdr[4:], uint32(nsec))
	le.PutUint32(pw.hdr[8:], uint32(len(p.Data)))
	le.PutUint32(pw.hdr[12:], uint32(max(len(p.Data), ipLen(p.Data))))
	if _, err := pw.w.Write(pw.hdr[:]); err != nil {
		return fmt.Errorf("write pcap record: %w", err)
	}
	if _, err := pw.w.Write(p.Data); err != nil {
		return fmt.Errorf("write pcap record: %w", err)
	}
	return nil
}

// ipLen returns the length an IP packet's header gives, so that a packet
// whose payload a snap length cut is recorded with its original length.
func ipLen(b []byte) int {
	switch {
	case len(b) >= 4 && b[0]>>4 == 4:
		return int(binary.BigEndian.Uint16(b[2:]))
	case len(b) >= 6 && b[0]>>4 == 6:
		return 40 + int(binary.BigEndian.Uint16(b[4:]))
	}
	return 0
}

// noEOF turns a clean EOF inside a structure into the truncation it is.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
