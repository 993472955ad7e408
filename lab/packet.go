package lab

import (
	"net/netip"

	"github.com/teardown-net/teardown/observe/wire"
)

// isns holds the first sequence number of each direction of the run's
// connections, so that packets show relative sequence numbers as tcpdump
// does. Both runners turn captured segments into the record's form
// through it.
type isns map[[2]netip.AddrPort]isn

// isn is a direction's first sequence number and the actor that sent it.
type isn struct {
	seq uint32
	by  string
}

// packet turns a captured segment into the record's form: the actors at
// each end, and sequence numbers relative to each direction's SYN. A SYN
// from another actor than the first one's starts a new connection on the
// same addresses (tenures), whose numbers count from its own handshake.
func (n isns) packet(tab endpoints, p wire.Packet) Packet {
	fwd, rev := [2]netip.AddrPort{p.Src, p.Dst}, [2]netip.AddrPort{p.Dst, p.Src}
	from := tab.actorOf(p.Src, p.Dst)
	if p.Flags&wire.SYN != 0 {
		switch first, ok := n[fwd]; {
		case !ok:
			n[fwd] = isn{p.Seq, from}
		case p.Flags&wire.ACK == 0 && first.by != from && first.seq != p.Seq:
			// Another actor's SYN: a new connection on these addresses,
			// whose answer starts the other direction anew too.
			n[fwd] = isn{p.Seq, from}
			delete(n, rev)
		}
	}
	seq, ack := p.Seq, p.Ack
	if first, ok := n[fwd]; ok {
		seq -= first.seq
	}
	if first, ok := n[rev]; ok && p.Flags&wire.ACK != 0 {
		ack -= first.seq
	}
	return Packet{
		Time: p.Time, From: from, To: tab.actorOf(p.Dst, p.Src),
		Flags: p.Flags.String(), Seq: seq, Ack: ack, Len: p.Len,
		src: p.Src, dst: p.Dst,
	}
}
