package wire

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// fast decodes the common frame, a TCP segment in IPv4 (without options)
// or IPv6 (without extension headers) over Ethernet, Linux cooked capture
// or raw IP, without going through gopacket's layers. It reports false for
// anything else, and for any frame whose headers are not plainly right, so
// that decodeFrom, which knows every case, decides: the result is always
// the one decodeFrom would give (TestFastAgrees checks it).
func (d *decoder) fast(lt layers.LinkType, frame []byte, rec *Record, checksums bool) (result, bool) {
	var ip []byte
	var ethType uint16
	switch lt {
	case layers.LinkTypeEthernet:
		if len(frame) < 14 {
			return 0, false
		}
		ethType, ip = binary.BigEndian.Uint16(frame[12:]), frame[14:]
	case layers.LinkTypeLinuxSLL:
		if len(frame) < 16 || binary.BigEndian.Uint16(frame[4:]) > 8 {
			return 0, false
		}
		ethType, ip = binary.BigEndian.Uint16(frame[14:]), frame[16:]
	case layers.LinkTypeLinuxSLL2:
		if len(frame) < 20 || frame[11] > 8 {
			return 0, false
		}
		ethType, ip = binary.BigEndian.Uint16(frame[0:]), frame[20:]
	case layers.LinkTypeIPv4:
		ethType, ip = 0x0800, frame
	case layers.LinkTypeIPv6:
		ethType, ip = 0x86dd, frame
	case layers.LinkTypeRaw, 12, 14: // as firstLayer: by the IP version
		ethType, ip = 0x0800, frame
		if len(frame) > 0 && frame[0]>>4 == 6 {
			ethType = 0x86dd
		}
	default:
		return 0, false
	}
	switch ethType {
	case 0x0800:
		return d.fast4(ip, rec, checksums)
	case 0x86dd:
		return d.fast6(ip, rec, checksums)
	}
	return 0, false
}

// fast4 is fast for an IPv4 packet.
func (d *decoder) fast4(ip []byte, rec *Record, checksums bool) (result, bool) {
	if len(ip) < 40 || ip[0] != 0x45 || ip[9] != protoTCP || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return 0, false
	}
	length := int(binary.BigEndian.Uint16(ip[2:]))
	if length < 40 {
		return 0, false
	}
	ip = ip[:min(length, len(ip))]
	seg := ip[20:]
	hlen := int(seg[12]>>4) * 4
	if hlen < 20 || hlen > len(seg) {
		return 0, false
	}
	src := netip.AddrFrom4([4]byte(ip[12:16]))
	dst := netip.AddrFrom4([4]byte(ip[16:20]))
	rec.TTL, rec.IPID = ip[8], binary.BigEndian.Uint16(ip[4:])
	if checksums && sum(0, ip[:20]) != 0xffff {
		rec.BadSum, rec.BadIPSum = true, true
	}
	d.fillTCP(rec, src, dst, ip, seg, length-20, hlen, checksums)
	return resultTCP, true
}

// fast6 is fast for an IPv6 packet.
func (d *decoder) fast6(ip []byte, rec *Record, checksums bool) (result, bool) {
	if len(ip) < 60 || ip[0]>>4 != 6 || ip[6] != protoTCP {
		return 0, false
	}
	plen := int(binary.BigEndian.Uint16(ip[4:]))
	if plen == 0 {
		return 0, false
	}
	ip = ip[:40+min(plen, len(ip)-40)]
	seg := ip[40:]
	if len(seg) < 20 {
		return 0, false
	}
	hlen := int(seg[12]>>4) * 4
	if hlen < 20 || hlen > len(seg) {
		return 0, false
	}
	rec.TTL = ip[7]
	d.fillTCP(rec, netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40])), ip, seg, plen, hlen, checksums)
	return resultTCP, true
}

// fillTCP fills rec from a TCP segment: seg is what was captured of it,
// seglen its length by the IP header, hlen its header length.
func (d *decoder) fillTCP(rec *Record, src, dst netip.Addr, ip, seg []byte, seglen, hlen int, checksums bool) {
	rec.Kind = KindTCP
	// Field by field rather than as one composite value: the compiler
	// builds that on the stack and copies it in 16-byte moves, each of
	// which waited for the narrower stores before it.
	p := &rec.TCP
	_ = seg[19] // one bounds check for the header fields below (hlen >= 20)
	p.Time = time.Time{}
	p.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(seg[0:]))
	p.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(seg[2:]))
	p.Seq = binary.BigEndian.Uint32(seg[4:])
	p.Ack = binary.BigEndian.Uint32(seg[8:])
	p.Flags = Flags(seg[13])
	p.Win = binary.BigEndian.Uint16(seg[14:])
	p.Len = seglen - hlen
	p.Data = ip
	if checksums && len(seg) >= seglen && tcpSum(src, dst, seg[:seglen]) != 0xffff {
		rec.BadSum = true
	}
}
