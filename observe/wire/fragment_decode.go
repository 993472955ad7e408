package wire

import (
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// fragment hands the IP fragment the parser stopped at (the innermost
// network layer, net) to the reassembly, and decodes the datagram it
// completes as a packet of its own, tunnels and all.
func (d *decoder) fragment(net gopacket.LayerType, rec *Record, checksums bool, depth int) result {
	var fr fragment
	switch net {
	case layers.LayerTypeIPv4:
		h := &d.ip4
		if checksums && sum(0, h.Contents) != 0xffff {
			// A host drops it before reassembly, and so does Zeek.
			return resultDamaged
		}
		src, _ := netip.AddrFromSlice(h.SrcIP.To4())
		dst, _ := netip.AddrFromSlice(h.DstIP.To4())
		fr = fragment{
			key:  fragKey{src: src, dst: dst, id: uint32(h.Id), proto: uint8(h.Protocol)},
			hdr:  h.Contents,
			off:  int(h.FragOffset) * 8,
			more: h.Flags&layers.IPv4MoreFragments != 0,
			data: h.Payload,
			size: int(h.Length) - len(h.Contents),
		}
	case layers.LayerTypeIPv6:
		h, fh := &d.ip6, &d.ip6frag
		hbh := 0
		if h.HopByHop != nil {
			hbh = h.HopByHop.ActualLength
		}
		// The bytes of extension headers up to the fragment's data,
		// whatever the snap length left of it.
		ext := hbh + len(h.Payload) - len(fh.Payload)
		fr = fragment{
			key:  fragKey{src: netip.AddrFrom16([16]byte(h.SrcIP)), dst: netip.AddrFrom16([16]byte(h.DstIP)), id: fh.Identification},
			v6:   true,
			hdr:  h.Contents,
			next: uint8(fh.NextHeader),
			off:  int(fh.FragmentOffset) * 8,
			more: fh.MoreFragments,
			data: fh.Payload,
			size: int(h.Length) - ext,
		}
	default:
		return resultDamaged
	}
	dg, res := d.frags.add(rec.Time, &fr)
	switch res {
	case fragDone:
	case fragBad:
		return resultDamaged
	case fragSnapped:
		d.frags.snapped++
		if fr.off != 0 {
			return resultFragment
		}
		dg = alone(&fr)
	default:
		return resultFragment
	}
	first := layers.LayerTypeIPv4
	if fr.v6 {
		first = layers.LayerTypeIPv6
	}
	return d.decodeFrom(first, dg, rec, checksums, depth+1)
}
