package lab

import (
	"net/netip"

	"github.com/teardown-net/teardown/observe/wire"
)

// isns holds the first sequence number of each direction of the run's
// connections, so that packets show relative sequence numbers as tcpdump
// does. Both runners turn captured segments into the record's form
// through it.
type isns map[[2]netip.AddrPort]uint32

// packet turns a captured segment into the record's form: the actors at
// each end, and sequence numbers relative to each direction's SYN.
func (n isns) packet(tab endpoints, p wire.Packet) Packet {
	fwd, rev := [2]netip.AddrPort{p.Src, p.Dst}, [2]netip.AddrPort{p.Dst, p.Src}
	if p.Flags&wire.SYN != 0 {
		if _, ok := n[fwd]; !ok {
			n[fwd] = p.Seq
		}
	}
	seq, ack := p.Seq, p.Ack
	if isn, ok := n[fwd]; ok {
		seq -= isn
	}
	if isn, ok := n[rev]; ok && p.Flags&wire.ACK != 0 {
		ack -= isn
	}
	return Packet{
		Time: p.Time, From: tab.actorOf(p.Src, p.Dst), To: tab.actorOf(p.Dst, p.Src),
		Flags: p.Flags.String(), Seq: seq, Ack: ack, Len: p.Len,
		src: p.Src, dst: p.Dst,
	}
}
