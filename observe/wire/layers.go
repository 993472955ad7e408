package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ICMP is an ICMP or ICMPv6 error message about a TCP segment: what a router
// or host sends back when it cannot deliver one.
type ICMP struct {
	V6         bool
	Type, Code uint8
	// From is the address that sent the error (a router, or the host).
	From, To netip.Addr
	// Src and Dst are the quoted segment's: the connection it is about, in
	// the direction of the segment that failed.
	Src, Dst netip.AddrPort
	// Seq is the quoted segment's sequence number.
	Seq uint32
}

type result uint8

const (
	resultOther result = iota
	resultTCP
	resultTCPCut
	resultICMP
	resultFragment
	resultDamaged
)

// decoder holds one gopacket layer of each kind, reused for every record, and
// a DecodingLayerParser per first layer: decoding allocates nothing.
type decoder struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	pppoe   pppoeSession
	mpls    mplsStack
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	ip6ext  layers.IPv6ExtensionSkipper
	ip6frag layers.IPv6Fragment
	tcp     tcpHeader
	udp     layers.UDP
	icmp4   layers.ICMPv4
	icmp6   layers.ICMPv6
	gre     layers.GRE
	vxlan   layers.VXLAN
	geneve  layers.Geneve
	gtp     layers.GTPv1U
	etherip layers.EtherIP

	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
	// pending are the packets of the current frame not yet decoded,
	// the subframes of an 802.11 A-MSDU; pendingBuf keeps its array.
	pending, pendingBuf []inner
	// frags holds the IP datagrams in reassembly.
	frags fragments
}

func (d *decoder) init() {
	d.parsers = make(map[gopacket.LayerType]*gopacket.DecodingLayerParser)
	for _, first := range []gopacket.LayerType{
		layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
		layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6, layers.LayerTypeGRE,
		// What a tunnel of tunnel's may hold (see etherLayer).
		layers.LayerTypeDot1Q, layers.LayerTypeMPLS, layers.LayerTypePPPoE,
	} {
		p := gopacket.NewDecodingLayerParser(first)
		p.IgnoreUnsupported = true
		// A slice indexed by layer type finds the next decoder faster
		// than the default map.
		dlc := gopacket.DecodingLayerContainer(gopacket.DecodingLayerSparse(nil))
		for _, l := range d.layers() {
			dlc = dlc.Put(l)
		}
		p.SetDecodingLayerContainer(dlc)
		d.parsers[first] = p
	}
	d.decoded = make([]gopacket.LayerType, 0, 16)
	d.pendingBuf = make([]inner, 0, 8)
	d.pending = d.pendingBuf
}

func (d *decoder) layers() []gopacket.DecodingLayer {
	return []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.pppoe, &d.mpls, &d.sll, &d.sll2, &d.loop,
		&d.ip4, &d.ip6, &d.ip6ext, &d.ip6frag, &d.tcp, &d.udp, &d.icmp4, &d.icmp6,
		&d.gre, &d.vxlan, &d.geneve, &d.gtp, &d.etherip}
}

// knownLink reports whether the Reader decodes frames of link type lt.
func knownLink(lt layers.LinkType) bool {
	return firstLayer(lt, nil) != gopacket.LayerTypeZero || otherLink(lt)
}

// readLinks names the link types knownLink takes, as tcpdump's LINKTYPE_
// names do, for the error that refuses another (TestReadLinks checks that
// the two agree).
var readLinks = []struct {
	lt   layers.LinkType
	name string
}{
	{0, "NULL"}, {1, "ETHERNET"}, {9, "PPP"}, {10, "FDDI"}, {12, "RAW (BSD)"}, {14, "RAW (BSD)"},
	{50, "PPP_HDLC"}, {101, "RAW"}, {105, "IEEE802_11"}, {108, "LOOP"}, {113, "LINUX_SLL"},
	{127, "IEEE802_11_RADIOTAP"}, {228, "IPV4"}, {229, "IPV6"}, {239, "NFLOG"}, {276, "LINUX_SLL2"},
}

// readLinkNames lists readLinks as "NAME number".
func readLinkNames() string {
	var b strings.Builder
	for i, l := range readLinks {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", l.name, uint32(l.lt))
	}
	return b.String()
}

// firstLayer is the layer a frame of link type lt starts with; for the raw
// link types it looks at the IP version.
func firstLayer(lt layers.LinkType, frame []byte) gopacket.LayerType {
	switch lt {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.LinkTypeRaw, 12, 14: // 12 and 14 are RAW on some BSDs
		if len(frame) > 0 && frame[0]>>4 == 6 {
			return layers.LayerTypeIPv6
		}
		return layers.LayerTypeIPv4
	}
	return gopacket.LayerTypeZero
}

// decode decodes one frame into rec.
func (d *decoder) decode(lt layers.LinkType, frame []byte, rec *Record, checksums bool) result {
	if r, ok := d.fast(lt, frame, rec, checksums); ok {
		return r
	}
	first := firstLayer(lt, frame)
	if first == gopacket.LayerTypeZero {
		return d.decodeLink(lt, frame, rec, checksums)
	}
	return d.decodeFrom(first, frame, rec, checksums, 0)
}

// maxNesting bounds how many tunnels decodeFrom opens inside one another.
const maxNesting = 4

func (d *decoder) decodeFrom(first gopacket.LayerType, frame []byte, rec *Record, checksums bool, depth int) result {
	p := d.parsers[first]
	if p == nil {
		return resultOther
	}
	err := p.DecodeLayers(frame, &d.decoded)
	// The innermost network layer is the one the segment or error is in.
	var net gopacket.LayerType
	var frag bool
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			net, frag = t, d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0
		case layers.LayerTypeIPv6:
			net, frag = t, false
		case layers.LayerTypeIPv6Fragment:
			frag = d.ip6frag.MoreFragments || d.ip6frag.FragmentOffset != 0
		case layers.LayerTypeTCP:
			if err != nil {
				return resultDamaged
			}
			return d.tcpRecord(net, rec, checksums)
		case layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
			if err != nil {
				return resultDamaged
			}
			return d.icmpRecord(t, rec)
		}
	}
	switch {
	case frag:
		return d.fragment(net, rec, checksums, depth)
	case err != nil:
		return resultDamaged
	}
	if depth >= maxNesting {
		return resultOther
	}
	if l := len(d.decoded); l > 0 && d.decoded[l-1] == layers.LayerTypeGRE && arubaGRE(d.gre.Protocol) {
		// An 802.11 frame may hold several packets (an A-MSDU): the
		// first is decoded now, the others are left for Next.
		d.pending = dot11(d.gre.Payload, depth+1, d.pending)
		if len(d.pending) == 0 {
			return resultOther
		}
		return d.decodePending(rec, checksums)
	}
	if next, inner := d.tunnel(); inner != nil {
		return d.decodeFrom(next, inner, rec, checksums, depth+1)
	}
	return resultOther
}

// decodePending decodes the first of the packets left in d.pending.
func (d *decoder) decodePending(rec *Record, checksums bool) result {
	p := d.pending[0]
	d.pending = d.pending[1:]
	if len(d.pending) == 0 {
		d.pending = d.pendingBuf[:0]
	}
	return d.decodeFrom(p.first, p.data, rec, checksums, p.depth)
}

// UDP ports of the tunnels gopacket's layers do not open.
const (
	portGREinUDP = 4754 // RFC 8086
	portAYIYA    = 5072 // Anything In Anything (SixXS)
)

// tunnel finds, where the parser stopped, a tunnel that gopacket's layers
// do not open: 802.1ah provider backbone bridging, VN-Tag, Cisco FabricPath, LLC SNAP, GRE in
// UDP, AYIYA, Teredo, and in GRE, PPP and ERSPAN. It returns the first
// layer inside and its bytes, or nil.
func (d *decoder) tunnel() (gopacket.LayerType, []byte) {
	if len(d.decoded) == 0 {
		return 0, nil
	}
	switch d.decoded[len(d.decoded)-1] {
	case layers.LayerTypeEthernet, layers.LayerTypeDot1Q:
		typ, b := d.eth.EthernetType, d.eth.Payload
		if d.decoded[len(d.decoded)-1] == layers.LayerTypeDot1Q {
			typ, b = d.dot1q.Type, d.dot1q.Payload
		}
		switch {
		case typ == 0x88e7 && len(b) >= 4+14: // I-TAG, then the customer's frame
			return layers.LayerTypeEthernet, b[4:]
		case typ == ethVNTag:
			return vnTag(b)
		case typ == ethFabric && d.decoded[len(d.decoded)-1] == layers.LayerTypeEthernet && len(b) > 2+14:
			// As Zeek's Ethernet analyzer: more than a whole Ethernet
			// header must follow the 16 bytes of FabricPath.
			return layers.LayerTypeEthernet, b[2:]
		case typ == ethLLC && d.decoded[len(d.decoded)-1] == layers.LayerTypeEthernet:
			return llcSNAP(b)
		}
	case layers.LayerTypeGRE:
		return greInner(&d.gre)
	case layers.LayerTypeUDP:
		b := d.udp.Payload
		switch {
		case d.udp.DstPort == portGREinUDP || d.udp.SrcPort == portGREinUDP:
			return layers.LayerTypeGRE, b
		case d.udp.DstPort == portTeredo || d.udp.SrcPort == portTeredo:
			return teredo(b, true)
		case d.udp.DstPort == portAYIYA || d.udp.SrcPort == portAYIYA:
			if len(b) < 8 {
				return 0, nil
			}
			// 8 bytes, an identity of 2^n bytes, a signature of 4m
			// bytes; only the "forward" operation carries a packet.
			n := 8 + 1<<(b[0]>>4) + 4*int(b[1]>>4)
			if len(b) < n || b[2]&0x0f != 1 {
				return 0, nil
			}
			switch b[3] {
			case 4:
				return layers.LayerTypeIPv4, b[n:]
			case 41:
				return layers.LayerTypeIPv6, b[n:]
			}
		default:
			return teredo(b, false)
		}
	}
	return 0, nil
}

func (d *decoder) tcpRecord(net gopacket.LayerType, rec *Record, checksums bool) result {
	t := &d.tcp
	hlen := len(t.header)
	captured := hlen + len(t.payload)
	var seglen int
	var ip []byte
	var src, dst netip.Addr
	switch net {
	case layers.LayerTypeIPv4:
		h := &d.ip4
		seglen = int(h.Length) - int(h.IHL)*4
		ip = h.Contents[:len(h.Contents)+len(h.Payload)]
		src, _ = netip.AddrFromSlice(h.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(h.DstIP.To4())
		rec.TTL, rec.IPID = h.TTL, h.Id
		if checksums {
			if sum(0, h.Contents) != 0xffff {
				rec.BadSum, rec.BadIPSum = true, true
			}
		}
	case layers.LayerTypeIPv6:
		h := &d.ip6
		hbh := 0
		if h.HopByHop != nil {
			hbh = h.HopByHop.ActualLength
		}
		ext := hbh + len(h.Payload) - captured
		seglen = int(h.Length) - ext
		ip = h.Contents[:len(h.Contents)+hbh+len(h.Payload)]
		src = netip.AddrFrom16([16]byte(h.SrcIP))
		dst = netip.AddrFrom16([16]byte(h.DstIP))
		rec.TTL = h.HopLimit
	default:
		return resultDamaged
	}
	if seglen < 20 {
		return resultDamaged
	}
	seg := ip[len(ip)-captured:]
	if t.cut || seglen < hlen {
		// Zeek's TCP analyzer: the connection is found or made from
		// the first 20 bytes (InitConnKey needs no more), and then
		// ExtractTCP_Header gives up on the segment ("truncated_header",
		// "bad_TCP_header_len"). rec.TCP says what the 20 bytes say.
		d.fillTCP(rec, src, dst, ip, seg, 20, 20, false)
		rec.Kind, rec.BadSum = KindTCPCut, rec.BadIPSum
		return resultTCPCut
	}
	d.fillTCP(rec, src, dst, ip, seg, seglen, hlen, checksums)
	return resultTCP
}

// icmpRecord fills rec from an ICMP error that quotes a TCP segment; other
// ICMP messages are resultOther.
func (d *decoder) icmpRecord(t gopacket.LayerType, rec *Record) result {
	var ic ICMP
	var q []byte
	if t == layers.LayerTypeICMPv4 {
		ic.Type, ic.Code = d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code()
		switch ic.Type {
		case layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4TypeSourceQuench,
			layers.ICMPv4TypeRedirect, layers.ICMPv4TypeTimeExceeded, layers.ICMPv4TypeParameterProblem:
		default:
			return resultOther
		}
		q = d.icmp4.Payload
	} else {
		ic.V6 = true
		ic.Type, ic.Code = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code()
		if ic.Type < 1 || ic.Type > 4 {
			return resultOther
		}
		if len(d.icmp6.Payload) < 4 {
			return resultDamaged
		}
		q = d.icmp6.Payload[4:] // unused or MTU, then the quoted packet
	}
	if !quotedTCP(q, &ic) {
		return resultOther
	}
	// The error's own IP header is the last one decoded before it.
	if len(d.ip6.Contents) > 0 && ic.V6 {
		ic.From = netip.AddrFrom16([16]byte(d.ip6.SrcIP))
		ic.To = netip.AddrFrom16([16]byte(d.ip6.DstIP))
		rec.TTL = d.ip6.HopLimit
	} else if !ic.V6 {
		ic.From, _ = netip.AddrFromSlice(d.ip4.SrcIP.To4())
		ic.To, _ = netip.AddrFromSlice(d.ip4.DstIP.To4())
		rec.TTL, rec.IPID = d.ip4.TTL, d.ip4.Id
	}
	rec.Kind = KindICMP
	rec.ICMP = ic
	return resultICMP
}

// quotedTCP reads the IP header and first 8 TCP bytes an ICMP error quotes.
func quotedTCP(q []byte, ic *ICMP) bool {
	var src, dst netip.Addr
	var off int
	switch {
	case len(q) >= 20 && q[0]>>4 == 4:
		off = int(q[0]&0x0f) * 4
		if off < 20 || q[9] != protoTCP {
			return false
		}
		src, _ = netip.AddrFromSlice(q[12:16])
		dst, _ = netip.AddrFromSlice(q[16:20])
	case len(q) >= 40 && q[0]>>4 == 6:
		if q[6] != protoTCP {
			return false
		}
		off = 40
		src = netip.AddrFrom16([16]byte(q[8:24]))
		dst = netip.AddrFrom16([16]byte(q[24:40]))
	default:
		return false
	}
	if len(q) < off+8 {
		return false
	}
	t := q[off:]
	ic.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(t[0:]))
	ic.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(t[2:]))
	ic.Seq = binary.BigEndian.Uint32(t[4:])
	return true
}

// sum adds b to the one's complement sum s (RFC 1071) and folds it.
func sum(s uint32, b []byte) uint16 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// tcpSum is the one's complement sum of a TCP segment and its pseudo-header;
// 0xffff when the checksum in it is right.
func tcpSum(src, dst netip.Addr, seg []byte) uint16 {
	var s uint32
	for _, a := range [2]netip.Addr{src, dst} {
		if a.Is4() {
			b := a.As4()
			s += uint32(b[0])<<8 | uint32(b[1])
			s += uint32(b[2])<<8 | uint32(b[3])
		} else {
			b := a.As16()
			for i := 0; i < 16; i += 2 {
				s += uint32(b[i])<<8 | uint32(b[i+1])
			}
		}
	}
	s += protoTCP + uint32(len(seg))
	return sum(s, seg)
}

// pppoeSession decodes a PPPoE session header and the PPP protocol field
// after it (RFC 2516), as a DecodingLayer: gopacket's PPPoE and PPP layers
// are not ones.
type pppoeSession struct {
	next    gopacket.LayerType
	payload []byte
}

func (p *pppoeSession) DecodeFromBytes(b []byte, df gopacket.DecodeFeedback) error {
	if len(b) < 8 {
		df.SetTruncated()
		return errShort
	}
	n := int(binary.BigEndian.Uint16(b[4:])) // PPP frame length
	b = b[6:]
	if n >= 2 && n < len(b) {
		b = b[:n]
	}
	switch binary.BigEndian.Uint16(b) {
	case 0x0021:
		p.next = layers.LayerTypeIPv4
	case 0x0057:
		p.next = layers.LayerTypeIPv6
	default:
		p.next = gopacket.LayerTypePayload
	}
	p.payload = b[2:]
	return nil
}

func (p *pppoeSession) CanDecode() gopacket.LayerClass    { return layers.LayerTypePPPoE }
func (p *pppoeSession) NextLayerType() gopacket.LayerType { return p.next }
func (p *pppoeSession) LayerPayload() []byte              { return p.payload }

// mplsStack decodes an MPLS label stack (RFC 3032) down to the bottom label;
// what follows is taken to be IP by its version nibble, as routers do.
type mplsStack struct {
	next    gopacket.LayerType
	payload []byte
}

func (m *mplsStack) DecodeFromBytes(b []byte, df gopacket.DecodeFeedback) error {
	for {
		if len(b) < 4 {
			df.SetTruncated()
			return errShort
		}
		bottom := b[2]&1 != 0
		b = b[4:]
		if bottom {
			break
		}
	}
	m.next = gopacket.LayerTypePayload
	if len(b) > 0 {
		switch b[0] >> 4 {
		case 4:
			m.next = layers.LayerTypeIPv4
		case 6:
			m.next = layers.LayerTypeIPv6
		}
	}
	m.payload = b
	return nil
}

func (m *mplsStack) CanDecode() gopacket.LayerClass    { return layers.LayerTypeMPLS }
func (m *mplsStack) NextLayerType() gopacket.LayerType { return m.next }
func (m *mplsStack) LayerPayload() []byte              { return m.payload }

var errShort = fmt.Errorf("header cut short: %w", ErrTruncated)

// tcpHeader splits a TCP segment into header and payload, as a
// DecodingLayer that, unlike gopacket's, does not parse the options: the
// verdicts need none of them, and parsing them was most of the decoding time.
//
// A segment of which only the first 20 bytes are there, or whose data
// offset is below 20, decodes with cut set and those 20 bytes as its
// header: Zeek takes the connection from them (tcpRecord).
type tcpHeader struct {
	header, payload []byte
	cut             bool
}

func (t *tcpHeader) DecodeFromBytes(b []byte, df gopacket.DecodeFeedback) error {
	if len(b) < 20 {
		df.SetTruncated()
		return errShort
	}
	off := int(b[12]>>4) * 4
	t.cut = off < 20 || off > len(b)
	if t.cut {
		off = 20
	}
	t.header, t.payload = b[:off], b[off:]
	return nil
}

func (t *tcpHeader) CanDecode() gopacket.LayerClass    { return layers.LayerTypeTCP }
func (t *tcpHeader) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }
func (t *tcpHeader) LayerPayload() []byte              { return t.payload }

// DecodeICMP decodes an IPv4 or IPv6 packet that carries an ICMP error
// about a TCP segment. Other packets give an error wrapping ErrNotTCP (or
// ErrTruncated, ErrBadHeader).
func DecodeICMP(ip []byte) (ICMP, error) {
	var ic ICMP
	var body []byte
	switch {
	case len(ip) >= 20 && ip[0]>>4 == 4:
		ihl := int(ip[0]&0x0f) * 4
		if ihl < 20 || len(ip) < ihl+8 {
			return ic, fmt.Errorf("decode ICMP: %d bytes with a %d-byte IPv4 header: %w", len(ip), ihl, ErrTruncated)
		}
		if ip[9] != 1 {
			return ic, fmt.Errorf("decode ICMP: IPv4 protocol %d: %w", ip[9], ErrNotTCP)
		}
		ic.From, _ = netip.AddrFromSlice(ip[12:16])
		ic.To, _ = netip.AddrFromSlice(ip[16:20])
		body = ip[ihl:]
		ic.Type, ic.Code = body[0], body[1]
		if ic.Type != 3 && ic.Type != 4 && ic.Type != 5 && ic.Type != 11 && ic.Type != 12 {
			return ic, fmt.Errorf("decode ICMP: type %d is not an error: %w", ic.Type, ErrNotTCP)
		}
	case len(ip) >= 48 && ip[0]>>4 == 6:
		if ip[6] != 58 {
			return ic, fmt.Errorf("decode ICMP: IPv6 next header %d: %w", ip[6], ErrNotTCP)
		}
		ic.V6 = true
		ic.From = netip.AddrFrom16([16]byte(ip[8:24]))
		ic.To = netip.AddrFrom16([16]byte(ip[24:40]))
		body = ip[40:]
		ic.Type, ic.Code = body[0], body[1]
		if ic.Type < 1 || ic.Type > 4 {
			return ic, fmt.Errorf("decode ICMP: ICMPv6 type %d is not an error: %w", ic.Type, ErrNotTCP)
		}
	default:
		return ic, fmt.Errorf("decode ICMP: %d bytes: %w", len(ip), ErrTruncated)
	}
	if !quotedTCP(body[8:], &ic) {
		return ic, fmt.Errorf("decode ICMP: the error quotes no TCP segment: %w", ErrNotTCP)
	}
	return ic, nil
}
