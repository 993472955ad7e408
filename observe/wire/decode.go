// Package wire holds what teardown knows about TCP packets on the wire: a
// decoder for IPv4 and IPv6 packets that carry TCP, their tcpdump-like text
// form, and pcap files that Wireshark and tcpdump open.
//
// It is portable and pure Go; the Linux capture that produces packets lives
// in observe/capture.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Errors that Decode wraps, to tell a malformed packet from one that is
// simply not TCP.
var (
	ErrTruncated = errors.New("truncated packet")
	ErrBadHeader = errors.New("bad header")
	ErrNotTCP    = errors.New("not a TCP packet")
	ErrFragment  = errors.New("IP fragment")
)

// Packet is one TCP segment as seen on the wire.
type Packet struct {
	// Time is when the packet was captured; Decode leaves it zero.
	Time     time.Time
	Src, Dst netip.AddrPort
	Flags    Flags
	Seq, Ack uint32
	Win      uint16 // the raw window field, before scaling
	Len      int    // TCP payload bytes, from the IP length fields
	// Data is the whole IP packet, for pcap files. Decode does not copy it:
	// it is the slice given to Decode, cut to the IP packet's length.
	Data []byte
}

// The IPv6 extension headers Decode walks through to find TCP.
const (
	protoHopByHop = 0
	protoTCP      = 6
	protoRouting  = 43
	protoFragment = 44
	protoAH       = 51
	protoDstOpts  = 60
)

// Decode decodes an IPv4 or IPv6 packet that carries TCP. It fails with an
// error wrapping ErrTruncated, ErrBadHeader, ErrNotTCP or ErrFragment; it
// never panics, whatever the bytes.
func Decode(ip []byte) (Packet, error) {
	return decode(ip, false)
}

// decode is Decode; snapped allows the packet to be shorter than its IP
// length fields say, as long as the headers are whole, for pcap records that
// a snap length cut.
func decode(ip []byte, snapped bool) (Packet, error) {
	if len(ip) == 0 {
		return Packet{}, fmt.Errorf("decode: empty packet: %w", ErrTruncated)
	}
	switch v := ip[0] >> 4; v {
	case 4:
		return decode4(ip, snapped)
	case 6:
		return decode6(ip, snapped)
	default:
		return Packet{}, fmt.Errorf("decode: IP version %d (expected 4 or 6): %w", v, ErrBadHeader)
	}
}

func decode4(ip []byte, snapped bool) (Packet, error) {
	if len(ip) < 20 {
		return Packet{}, fmt.Errorf("decode: %d bytes, IPv4 header needs 20: %w", len(ip), ErrTruncated)
	}
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	if ihl < 20 {
		return Packet{}, fmt.Errorf("decode: IPv4 header length %d (at least 20): %w", ihl, ErrBadHeader)
	}
	if total < ihl {
		return Packet{}, fmt.Errorf("decode: IPv4 total length %d shorter than its header (%d): %w", total, ihl, ErrBadHeader)
	}
	if len(ip) < ihl {
		return Packet{}, fmt.Errorf("decode: %d bytes, IPv4 header says %d: %w", len(ip), ihl, ErrTruncated)
	}
	if !snapped && len(ip) < total {
		return Packet{}, fmt.Errorf("decode: %d bytes, IPv4 total length says %d: %w", len(ip), total, ErrTruncated)
	}
	if frag := binary.BigEndian.Uint16(ip[6:8]); frag&0x3fff != 0 {
		return Packet{}, fmt.Errorf("decode: IPv4 offset %d more-fragments %t: %w", (frag&0x1fff)*8, frag&0x2000 != 0, ErrFragment)
	}
	if ip[9] != protoTCP {
		return Packet{}, fmt.Errorf("decode: IPv4 protocol %d: %w", ip[9], ErrNotTCP)
	}
	src, _ := netip.AddrFromSlice(ip[12:16])
	dst, _ := netip.AddrFromSlice(ip[16:20])
	data := ip[:min(total, len(ip))]
	return decodeTCP(data, ihl, total-ihl, src, dst)
}

func decode6(ip []byte, snapped bool) (Packet, error) {
	if len(ip) < 40 {
		return Packet{}, fmt.Errorf("decode: %d bytes, IPv6 header needs 40: %w", len(ip), ErrTruncated)
	}
	plen := int(binary.BigEndian.Uint16(ip[4:6]))
	if plen == 0 {
		// A jumbogram (RFC 2675) or garbage; neither is a packet a TCP
		// scenario makes.
		return Packet{}, fmt.Errorf("decode: IPv6 payload length 0: %w", ErrBadHeader)
	}
	total := 40 + plen
	if !snapped && len(ip) < total {
		return Packet{}, fmt.Errorf("decode: %d bytes, IPv6 payload length says %d: %w", len(ip), total, ErrTruncated)
	}
	src := netip.AddrFrom16([16]byte(ip[8:24]))
	dst := netip.AddrFrom16([16]byte(ip[24:40]))
	next, off := ip[6], 40
	for next != protoTCP {
		if off+8 > total {
			return Packet{}, fmt.Errorf("decode: IPv6 extension header %d past the payload length: %w", next, ErrBadHeader)
		}
		if off+8 > len(ip) {
			return Packet{}, fmt.Errorf("decode: IPv6 extension header %d: %w", next, ErrTruncated)
		}
		h := ip[off:]
		var n int
		switch next {
		case protoHopByHop, protoRouting, protoDstOpts:
			n = (int(h[1]) + 1) * 8
		case protoAH:
			n = (int(h[1]) + 2) * 4
		case protoFragment:
			if frag := binary.BigEndian.Uint16(h[2:4]); frag&0xfff9 != 0 {
				return Packet{}, fmt.Errorf("decode: IPv6 offset %d more-fragments %t: %w", frag&0xfff8, frag&1 != 0, ErrFragment)
			}
			// An atomic fragment (offset 0, no more fragments) holds the
			// whole packet.
			n = 8
		default:
			return Packet{}, fmt.Errorf("decode: IPv6 next header %d: %w", next, ErrNotTCP)
		}
		next, off = h[0], off+n
	}
	if off > total {
		return Packet{}, fmt.Errorf("decode: IPv6 extension headers end at %d, past the payload length %d: %w", off, total, ErrBadHeader)
	}
	data := ip[:min(total, len(ip))]
	return decodeTCP(data, off, total-off, src, dst)
}

// decodeTCP decodes the TCP header at ip[off:]; seglen is the segment length
// the IP header gives, which may exceed what was captured.
func decodeTCP(ip []byte, off, seglen int, src, dst netip.Addr) (Packet, error) {
	if seglen < 20 {
		return Packet{}, fmt.Errorf("decode: TCP segment of %d bytes, header needs 20: %w", seglen, ErrBadHeader)
	}
	if len(ip)-off < 20 {
		return Packet{}, fmt.Errorf("decode: %d bytes of TCP header, needs 20: %w", len(ip)-off, ErrTruncated)
	}
	t := ip[off:]
	doff := int(t[12]>>4) * 4
	if doff < 20 || doff > seglen {
		return Packet{}, fmt.Errorf("decode: TCP data offset %d in a %d-byte segment: %w", doff, seglen, ErrBadHeader)
	}
	if len(t) < doff {
		return Packet{}, fmt.Errorf("decode: %d bytes of TCP header, data offset says %d: %w", len(t), doff, ErrTruncated)
	}
	return Packet{
		Src:   netip.AddrPortFrom(src, binary.BigEndian.Uint16(t[0:2])),
		Dst:   netip.AddrPortFrom(dst, binary.BigEndian.Uint16(t[2:4])),
		Seq:   binary.BigEndian.Uint32(t[4:8]),
		Ack:   binary.BigEndian.Uint32(t[8:12]),
		Flags: Flags(t[13]),
		Win:   binary.BigEndian.Uint16(t[14:16]),
		Len:   seglen - doff,
		Data:  ip,
	}, nil
}

// String formats the packet like tcpdump does, with the addresses in Go's
// host:port form:
//
//	127.0.0.1:41234 > 127.0.0.1:20001 Flags [P.], seq 1:6, ack 1, win 512, length 5
//
// Sequence numbers are printed as they are in the packet; tcpdump's relative
// numbers are a matter of the caller subtracting the initial ones.
func (p Packet) String() string {
	var b strings.Builder
	b.WriteString(p.Src.String())
	b.WriteString(" > ")
	b.WriteString(p.Dst.String())
	b.WriteString(" Flags [")
	b.WriteString(p.Flags.String())
	b.WriteString("]")
	if p.Len > 0 || p.Flags&(SYN|FIN|RST) != 0 {
		b.WriteString(", seq ")
		b.WriteString(strconv.FormatUint(uint64(p.Seq), 10))
		if p.Len > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(uint64(p.Seq+uint32(p.Len)), 10))
		}
	}
	if p.Flags&ACK != 0 {
		b.WriteString(", ack ")
		b.WriteString(strconv.FormatUint(uint64(p.Ack), 10))
	}
	b.WriteString(", win ")
	b.WriteString(strconv.FormatUint(uint64(p.Win), 10))
	b.WriteString(", length ")
	b.WriteString(strconv.Itoa(p.Len))
	return b.String()
}
