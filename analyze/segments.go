package analyze

import (
	"strings"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// Segment is one packet of a connection as the capture showed it: a TCP
// segment, or an ICMP error quoting one. A Tracker keeps them only when
// Options.KeepPackets is set, for drawing the connection.
type Segment struct {
	// N is the record's number in the capture file.
	N    int
	Time time.Time
	// FromOrig: the originator sent it (for an ICMP error: the segment it
	// quotes was the originator's).
	FromOrig bool
	Flags    wire.Flags
	// Seq and Ack are as on the wire, not relative.
	Seq, Ack uint32
	Len      int
	TTL      uint8
	// BadSum: the checksums were checked and were wrong.
	BadSum bool
	// ICMP is set for an ICMP error; Seq is then the quoted segment's.
	ICMP *wire.ICMP
	// Comment is the capture's comment on the packet (pcapng), such as the
	// lab's script line.
	Comment string
}

// Kept is what a Tracker kept of a connection's packets: at most
// Options.KeepPackets of them, the first half and the last half, with the
// number left out between.
type Kept struct {
	// Segments are the first packets, then, after Cut of them, the last.
	Segments []Segment
	// Cut is where packets were left out (len(Segments) when none were).
	Cut int
	// Omitted is how many were left out at Cut.
	Omitted int
}

// keeper holds a connection's first packets and a ring of its last ones.
type keeper struct {
	head, tail []Segment
	next       int // the oldest in tail, once it is full
	omitted    int
	max        int
}

func (k *keeper) add(s Segment) {
	if len(k.head) < (k.max+1)/2 {
		k.head = append(k.head, s)
		return
	}
	n := k.max / 2
	if n == 0 {
		k.omitted++
		return
	}
	if len(k.tail) < n {
		k.tail = append(k.tail, s)
		return
	}
	k.tail[k.next] = s
	k.next = (k.next + 1) % n
	k.omitted++
}

func (k *keeper) kept() Kept {
	segs := make([]Segment, 0, len(k.head)+len(k.tail))
	segs = append(segs, k.head...)
	segs = append(segs, k.tail[k.next:]...)
	segs = append(segs, k.tail[:k.next]...)
	cut := len(k.head)
	if k.omitted == 0 {
		cut = len(segs)
	}
	return Kept{Segments: segs, Cut: cut, Omitted: k.omitted}
}

// keep adds rec to c.kept, which must be set (the callers test it, for a
// call per packet that does nothing was a percent of the time).
func (c *Conn) keep(rec *wire.Record) {
	s := Segment{N: rec.N, Time: rec.Time, TTL: rec.TTL, BadSum: rec.BadSum, Comment: strings.Join(rec.Comments, "\n")}
	switch rec.Kind {
	case wire.KindTCP:
		p := &rec.TCP
		s.FromOrig = p.Src == c.z.orig.addr
		s.Flags, s.Seq, s.Ack, s.Len = p.Flags, p.Seq, p.Ack, p.Len
	case wire.KindICMP:
		ic := rec.ICMP
		s.FromOrig = ic.Src == c.z.orig.addr
		s.Seq, s.ICMP = ic.Seq, &ic
	}
	c.kept.add(s)
}

// Kept returns the packets kept of the connection; it is empty unless the
// Tracker's Options.KeepPackets was set.
func (c *Conn) Kept() Kept {
	if c.kept == nil {
		return Kept{}
	}
	return c.kept.kept()
}

// ICMPErrno is the errno Linux gives a socket for an ICMP error.
func ICMPErrno(ic *wire.ICMP) string { return icmpErrno(ic) }
