package wire

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Encapsulations that gopacket's layers stop at and Zeek opens. Each is
// reached only from tunnel, when the parser has stopped without a TCP
// segment: the common frame never pays for them.

const (
	ethVNTag   = 0x8926 // Cisco VN-Tag (802.1Qbh)
	ethFabric  = 0x8903 // Cisco FabricPath: 2 bytes of tag, then the customer's Ethernet frame
	portTeredo = 3544   // RFC 4380
	greERSPAN  = 0x88be // ERSPAN type I (no GRE sequence) and II
	greERSPAN3 = 0x22eb
	pppIPv4    = 0x0021
	pppIPv6    = 0x0057
	pppMPLS    = 0x0281
	ethLLC     = 0 // gopacket's EthernetType for an 802.3 frame (a length, then LLC)
)

// etherLayer is the layer that a payload of EtherType typ starts with, for
// the layers decodeFrom has a parser for; LayerTypeZero for others.
func etherLayer(typ uint16) gopacket.LayerType {
	switch layers.EthernetType(typ) {
	case layers.EthernetTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.EthernetTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ:
		return layers.LayerTypeDot1Q
	case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
		return layers.LayerTypeMPLS
	case layers.EthernetTypePPPoESession:
		return layers.LayerTypePPPoE
	}
	return gopacket.LayerTypeZero
}

// vnTag opens a VN-Tag: four bytes of tag, then the EtherType of what
// follows.
func vnTag(b []byte) (gopacket.LayerType, []byte) {
	if len(b) < 6 {
		return 0, nil
	}
	first := etherLayer(binary.BigEndian.Uint16(b[4:]))
	if first == gopacket.LayerTypeZero {
		return 0, nil
	}
	return first, b[6:]
}

// teredo opens IPv6 in UDP (RFC 4380): an optional authentication header
// and an optional origin indication come before the IPv6 packet, whose
// header must be whole and whose length must fit. Off port 3544 it takes a
// payload for Teredo as Zeek's protocol detection does: when an indicator
// comes first, or when the IPv6 packet's source or destination is a Teredo
// address (2001:0::/32).
func teredo(b []byte, onPort bool) (gopacket.LayerType, []byte) {
	found := onPort
	if len(b) >= 13 && b[0] == 0 && b[1] == 1 { // authentication
		n := 4 + int(b[2]) + int(b[3]) + 8 + 1
		if len(b) < n {
			return 0, nil
		}
		b, found = b[n:], true
	}
	if len(b) >= 8 && b[0] == 0 && b[1] == 0 { // origin indication
		b, found = b[8:], true
	}
	if len(b) < 40 || b[0]>>4 != 6 || 40+int(binary.BigEndian.Uint16(b[4:])) > len(b) {
		return 0, nil
	}
	if !found && !teredoAddr(b[8:24]) && !teredoAddr(b[24:40]) {
		return 0, nil
	}
	return layers.LayerTypeIPv6, b
}

// teredoAddr reports whether an IPv6 address is in Teredo's prefix.
func teredoAddr(a []byte) bool { return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0 }

// greInner opens the GRE payloads gopacket's layers do not: PPP (PPTP's
// enhanced GRE, where Zeek takes the address and control bytes to be there
// and reads the protocol after them) and ERSPAN, whose type I has no header of its own (a GRE
// header without a sequence number), type II eight bytes and type III
// twelve, and eight more when its O flag says a platform subheader follows.
func greInner(g *layers.GRE) (gopacket.LayerType, []byte) {
	b := g.Payload
	switch g.Protocol {
	case layers.EthernetTypePPP:
		if len(b) < 4 {
			return 0, nil
		}
		if first, inner := pppProto(b[2:]); first != layers.LayerTypeMPLS {
			return first, inner // Zeek takes only IPv4 and IPv6 from PPTP
		}
	case greERSPAN:
		if g.SeqPresent {
			if len(b) < 8 {
				return 0, nil
			}
			b = b[8:]
		}
		return layers.LayerTypeEthernet, b
	case greERSPAN3:
		if len(b) < 12 {
			return 0, nil
		}
		n := 12
		if b[11]&1 != 0 {
			n += 8
		}
		if len(b) < n {
			return 0, nil
		}
		return layers.LayerTypeEthernet, b[n:]
	}
	return 0, nil
}

// llcSNAP opens the payload of an 802.3 frame (a length instead of an
// EtherType) that is LLC SNAP with a zero organization code: an EtherType
// follows, as in an Ethernet II frame.
func llcSNAP(b []byte) (gopacket.LayerType, []byte) {
	if len(b) < 8 || b[0] != 0xaa || b[1] != 0xaa || b[2] != 0x03 || b[3] != 0 || b[4] != 0 || b[5] != 0 {
		return 0, nil
	}
	first := etherLayer(binary.BigEndian.Uint16(b[6:]))
	if first == gopacket.LayerTypeZero {
		return 0, nil
	}
	return first, b[8:]
}
