package wire

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Link types that gopacket's layers do not decode and Zeek reads, each
// opened as Zeek's packet analyzer for it does. firstLayer gives none for
// them, so the frames of the common link types never come here.
const (
	linkPPP       layers.LinkType = 9   // PPP, with or without HDLC framing
	linkFDDI      layers.LinkType = 10  // FDDI
	linkPPPSerial layers.LinkType = 50  // PPP in HDLC-like framing (Cisco HDLC too)
	link80211     layers.LinkType = 105 // 802.11
	linkRadiotap  layers.LinkType = 127 // radiotap, then 802.11
	linkNFLOG     layers.LinkType = 239 // Linux netfilter log
)

// otherLink reports whether lt is one of the link types of decodeLink.
func otherLink(lt layers.LinkType) bool {
	switch lt {
	case linkPPP, linkFDDI, linkPPPSerial, link80211, linkRadiotap, linkNFLOG:
		return true
	}
	return false
}

// decodeLink decodes a frame of one of the link types of otherLink.
func (d *decoder) decodeLink(lt layers.LinkType, frame []byte, rec *Record, checksums bool) result {
	var first gopacket.LayerType
	var b []byte
	switch lt {
	case linkPPP:
		// RFC 1662 framing when the frame starts with 0xff 0x03, none
		// otherwise (tcpdump's LINKTYPE_PPP).
		if len(frame) >= 2 && frame[0] == 0xff && frame[1] == 0x03 {
			frame = frame[2:]
		}
		first, b = pppProto(frame)
	case linkPPPSerial:
		if len(frame) < 4 {
			return resultDamaged
		}
		first, b = pppProto(frame[2:])
	case linkFDDI:
		// Zeek skips the FDDI header and the LLC SNAP header after it
		// and takes what follows for IP.
		if len(frame) <= 13+8 {
			return resultDamaged
		}
		first, b = ipByVersion(frame[13+8:]), frame[13+8:]
	case linkRadiotap:
		if len(frame) < 4 {
			return resultDamaged
		}
		n := int(binary.LittleEndian.Uint16(frame[2:]))
		if n >= len(frame) {
			return resultDamaged
		}
		frame = frame[n:]
		fallthrough
	case link80211:
		d.pending = dot11(frame, 0, d.pending)
		if len(d.pending) == 0 {
			return resultOther
		}
		return d.decodePending(rec, checksums)
	case linkNFLOG:
		first, b = nflog(frame)
	}
	if b == nil {
		return resultOther
	}
	return d.decodeFrom(first, b, rec, checksums, 0)
}

// pppProto reads a PPP protocol field of two bytes (Zeek, like RFC 1662
// framing, takes no compressed one) and opens IPv4, IPv6 or MPLS after it.
func pppProto(b []byte) (gopacket.LayerType, []byte) {
	if len(b) < 2 {
		return 0, nil
	}
	switch binary.BigEndian.Uint16(b) {
	case pppIPv4:
		return layers.LayerTypeIPv4, b[2:]
	case pppIPv6:
		return layers.LayerTypeIPv6, b[2:]
	case pppMPLS:
		return layers.LayerTypeMPLS, b[2:]
	}
	return 0, nil
}

// ipByVersion is the IP layer a packet starts with, by its version nibble.
func ipByVersion(b []byte) gopacket.LayerType {
	if len(b) > 0 && b[0]>>4 == 6 {
		return layers.LayerTypeIPv6
	}
	return layers.LayerTypeIPv4
}

// nflog finds the packet in a netfilter log record: a 4-byte header
// (address family, version 0, resource id), then type-length-value
// attributes, each padded to 4 bytes, up to the payload's (type 9), which
// runs to the end of the frame. Type and length are in the capturing
// host's byte order; little-endian is taken, as on the hosts that write
// nearly all such captures.
func nflog(b []byte) (gopacket.LayerType, []byte) {
	if len(b) <= 4 || b[1] != 0 {
		return 0, nil
	}
	var first gopacket.LayerType
	switch b[0] {
	case 2: // AF_INET
		first = layers.LayerTypeIPv4
	case 10: // AF_INET6
		first = layers.LayerTypeIPv6
	default:
		return 0, nil
	}
	b = b[4:]
	for len(b) > 4 {
		n, typ := int(binary.LittleEndian.Uint16(b)), binary.LittleEndian.Uint16(b[2:])
		if typ == 9 {
			return first, b[4:]
		}
		if n < 4 {
			return 0, nil
		}
		n = (n + 3) &^ 3
		if n > len(b) {
			return 0, nil
		}
		b = b[n:]
	}
	return 0, nil
}
