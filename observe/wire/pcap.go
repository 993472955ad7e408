package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// pcap magic numbers, as written in the file's own byte order.
const (
	magicMicro = 0xa1b2c3d4
	magicNano  = 0xa1b23c4d
)

// Link types ReadPcap understands (https://www.tcpdump.org/linktypes.html).
const (
	linkNull     = 0   // BSD loopback: 4-byte address family in host order
	linkEthernet = 1   // Ethernet II, possibly with 802.1Q tags
	linkRaw      = 101 // the IP packet itself; what PcapWriter writes
	linkSLL      = 113 // Linux cooked capture v1 (tcpdump -i any)
	linkIPv4     = 228
	linkIPv6     = 229
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

// ReadPcap reads a whole pcap file (microsecond or nanosecond timestamps,
// either byte order) and returns its TCP packets in file order, with Time
// set from the record. Records that are not TCP over IPv4 or IPv6 (ARP,
// UDP, ICMP, IP fragments) are skipped; a malformed TCP/IP packet is an
// error. Link types RAW, IPV4, IPV6, ETHERNET, NULL (BSD loopback) and
// Linux SLL and SLL2 are understood.
func ReadPcap(r io.Reader) ([]Packet, error) {
	br := bufio.NewReader(r)
	var h [24]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, fmt.Errorf("read pcap header: %w", noEOF(err))
	}
	var bo binary.ByteOrder
	var nano bool
	switch {
	case binary.LittleEndian.Uint32(h[:]) == magicMicro:
		bo = binary.LittleEndian
	case binary.LittleEndian.Uint32(h[:]) == magicNano:
		bo, nano = binary.LittleEndian, true
	case binary.BigEndian.Uint32(h[:]) == magicMicro:
		bo = binary.BigEndian
	case binary.BigEndian.Uint32(h[:]) == magicNano:
		bo, nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("read pcap header: magic %#08x is not pcap (pcapng files are not read)", binary.BigEndian.Uint32(h[:]))
	}
	// The top bits of the link type field carry FCS information (pcap
	// format spec, LinkType and additional information).
	link := bo.Uint32(h[20:]) & 0x0fffffff
	switch link {
	case linkNull, linkEthernet, linkRaw, linkSLL, linkIPv4, linkIPv6, linkSLL2:
	default:
		return nil, fmt.Errorf("read pcap header: link type %d (expected RAW 101, IPV4 228, IPV6 229, ETHERNET 1, NULL 0, LINUX_SLL 113 or LINUX_SLL2 276)", link)
	}
	var pkts []Packet
	for n := 1; ; n++ {
		var rh [16]byte
		if _, err := io.ReadFull(br, rh[:]); err == io.EOF {
			return pkts, nil
		} else if err != nil {
			return nil, fmt.Errorf("read pcap record %d: %w", n, noEOF(err))
		}
		sec, frac := bo.Uint32(rh[0:]), bo.Uint32(rh[4:])
		incl, orig := bo.Uint32(rh[8:]), bo.Uint32(rh[12:])
		if incl > maxRecord {
			return nil, fmt.Errorf("read pcap record %d: captured length %d exceeds %d", n, incl, maxRecord)
		}
		buf := make([]byte, incl)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, fmt.Errorf("read pcap record %d: %w", n, noEOF(err))
		}
		ip, ok := linkPayload(link, buf, bo)
		if !ok {
			continue
		}
		p, err := decode(ip, orig > incl)
		if errors.Is(err, ErrNotTCP) || errors.Is(err, ErrFragment) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read pcap record %d: %w", n, err)
		}
		nsec := int64(frac)
		if !nano {
			nsec *= 1000
		}
		p.Time = time.Unix(int64(sec), nsec)
		pkts = append(pkts, p)
	}
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

// linkPayload returns the IP packet inside a link-layer frame, and false for
// frames that carry something other than IPv4 or IPv6.
func linkPayload(link uint32, b []byte, bo binary.ByteOrder) ([]byte, bool) {
	var etype uint16
	switch link {
	case linkRaw, linkIPv4, linkIPv6:
		return b, true
	case linkNull:
		if len(b) < 4 {
			return nil, false
		}
		// The address family is in the capturing host's order, which need
		// not be the file's; AF_INET is 2 everywhere, AF_INET6 varies.
		af := bo.Uint32(b)
		if af > 0xffff {
			af = af>>24 | af>>8&0xff00
		}
		switch af {
		case 2, 10, 24, 28, 30:
			return b[4:], true
		}
		return nil, false
	case linkEthernet:
		if len(b) < 14 {
			return nil, false
		}
		etype, b = binary.BigEndian.Uint16(b[12:]), b[14:]
		for (etype == 0x8100 || etype == 0x88a8) && len(b) >= 4 {
			etype, b = binary.BigEndian.Uint16(b[2:]), b[4:]
		}
	case linkSLL:
		if len(b) < 16 {
			return nil, false
		}
		etype, b = binary.BigEndian.Uint16(b[14:]), b[16:]
	case linkSLL2:
		if len(b) < 20 {
			return nil, false
		}
		etype, b = binary.BigEndian.Uint16(b[0:]), b[20:]
	}
	if etype != 0x0800 && etype != 0x86dd {
		return nil, false
	}
	return b, true
}
