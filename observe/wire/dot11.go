package wire

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// arubaGRE reports whether a GRE protocol type is one of Aruba's, which
// carry an 802.11 frame from an access point to its controller: 0x8200 to
// 0x82f0 and 0x8300 to 0x8370 in steps of 0x10, and 0x9000, as Zeek's GRE
// analyzer takes them.
func arubaGRE(p layers.EthernetType) bool {
	return p&0xff0f == 0x8200 || (p&0xff0f == 0x8300 && p <= 0x8370) || p == 0x9000
}

// inner is an IP packet found inside a frame, to be decoded at depth.
type inner struct {
	first gopacket.LayerType
	data  []byte
	depth int
}

// dot11 finds the IP packets in an 802.11 data frame as Zeek's IEEE802_11
// analyzer does: the data header (with the fourth address when To DS and
// From DS are both set, and the QoS field of QoS subtypes), then one LLC
// SNAP payload, or, in an A-MSDU, a list of subframes each holding one,
// padded to 4 bytes. Protected (encrypted) frames, frames without data and
// payloads other than IPv4 and IPv6 give nothing.
func dot11(b []byte, depth int, out []inner) []inner {
	hl := 24
	if len(b) <= hl {
		return out
	}
	fc := b[0]
	if (fc>>2)&0x02 == 0 || (fc>>4)&0x04 != 0 {
		return out // management or control, or a subtype without data
	}
	if b[1]&0x03 == 0x03 {
		hl += 6
	}
	if len(b) <= hl {
		return out
	}
	amsdu := false
	if (fc>>4)&0x08 != 0 {
		amsdu = b[hl]&0x80 != 0
		if b[1]&0x40 != 0 {
			return out
		}
		hl += 2
	}
	if len(b) <= hl {
		return out
	}
	b = b[hl:]
	if !amsdu {
		return snap(b, depth, out)
	}
	for len(b) > 0 {
		if len(b) < 14 {
			return out
		}
		n := int(binary.BigEndian.Uint16(b[12:]))
		if len(b) < 14+n {
			return out
		}
		out = snap(b[14:14+n], depth, out)
		b = b[14+n:]
		if pad := n % 4; len(b) >= pad {
			b = b[pad:]
		}
	}
	return out
}

// snap adds the IP packet in an LLC SNAP payload with a zero organization
// code (encapsulated Ethernet) to out.
func snap(b []byte, depth int, out []inner) []inner {
	if len(b) < 8 || b[0] != 0xaa || b[1] != 0xaa || b[2] != 0x03 || b[3] != 0 || b[4] != 0 || b[5] != 0 {
		return out
	}
	switch binary.BigEndian.Uint16(b[6:]) {
	case 0x0800:
		return append(out, inner{layers.LayerTypeIPv4, b[8:], depth})
	case 0x86dd:
		return append(out, inner{layers.LayerTypeIPv6, b[8:], depth})
	}
	return out
}
