package analyze

import (
	"net/netip"
	"time"
	"unsafe"

	"github.com/teardown-net/teardown/internal/prefetch"
	"github.com/teardown-net/teardown/observe/wire"
)

// side is what teardown keeps about one endpoint besides Zeek's model: the
// evidence the verdict rests on.
type side struct {
	// The fields a packet reads or writes come first, the ones about the
	// end (rst, icmp, the FIN's details) last: a packet then touches one
	// cache line fewer of each endpoint.
	last     int64 // time of its last packet
	lastData int64 // time of its last payload packet
	finAt    int64 // its first FIN, 0 = none
	dataEnd  uint32
	// nxt is the sequence number after the last it sent (SYN and FIN
	// count one), when nxtSet: a keepalive probe is sent at nxt-1.
	nxt uint32
	// dataStart is the sequence number of its first payload byte, and
	// peerEnd the peer's highest payload end when this side last sent
	// payload: what the peer sent since is what this side left unanswered.
	dataStart uint32
	peerEnd   uint32
	// The counts are of packets in a row or of SYNs, which 32 bits hold.
	rxmtTail uint32 // retransmissions since the peer last sent anything
	kaTail   uint32 // keepalive probes since the peer last sent anything
	synPkts  uint32
	ttl      uint8 // TTL of its first packet that is not an RST
	ttlSet   bool
	hasData  bool
	nxtSet   bool
	peerMark bool // peerEnd is set: the peer had sent payload by then
	hasRST   bool
	sent     bool    // it has sent a packet (with a good checksum, if they are checked)
	finN     int     // connection packet number of its first FIN
	finIdle  int64   // how long the connection was quiet before that FIN
	rst      rstInfo // when hasRST
	icmp     *icmpErr
	// rxmtGap is the time from its payload segment before its last
	// retransmission to that retransmission: the backoff it was at.
	rxmtGap int64
}

// icmpErr is an ICMP error about an endpoint's segments, kept apart: few
// connections have one, and every connection's memory would hold it.
type icmpErr struct {
	wire.ICMP
	at   int64 // when it came
	idle int64 // time from the connection's previous packet to it
}

// rstInfo is the first RST an endpoint sent and the state around it.
type rstInfo struct {
	at       int64
	n        int // packet number in the connection
	seq, ack uint32
	hasACK   bool
	ttl      uint8
	// icmpLive is set when an ICMP error had come about the peer's
	// segments since this side's previous packet.
	icmpLive bool
	// peerRxmt is the peer's unanswered retransmissions before the
	// RST: with the peer's last packet and its last retransmission
	// interval, whether it had given up before the RST came (gaveUp).
	peerRxmt  uint32
	idle      int64  // time since the connection's previous packet
	pending   uint32 // peer payload bytes after this side's last payload
	afterFIN  bool   // this side had sent a FIN
	peerFIN   bool   // the peer had sent a FIN
	peerData  bool   // the peer sent payload after this side's FIN
	answerSYN bool   // the RST answers a SYN (nothing established)
}

// Conn is one TCP connection of a capture. Its methods are valid once the
// Tracker has handed it over, until the Tracker's done function returns;
// Clone makes a copy that stays valid.
type Conn struct {
	// The fields every packet reads or writes come first, with the key
	// that the table's lookup has just read: they share its cache lines.
	k key
	h uint64 // k's hash in the Tracker's table
	// deadline is c.z.deadline() as of its last packet (only packets
	// change it), sched the time of its earliest entry in the Tracker's
	// timers, and over is set once the Tracker has handed it on.
	deadline int64
	lastPkt  int64
	sched    int64
	pkts     int
	// kept holds the packets, when the Tracker keeps them.
	kept *keeper
	// idleBefore is how long the 4-tuple had been quiet when this
	// connection began, if Zeek's inactivity timer ended the one before.
	idleBefore int64
	// gen counts the connections this memory has held.
	gen  uint32
	over bool
	// idleEnd is set when the inactivity timer ended this connection.
	idleEnd bool
	// n numbers the connections in the order they began; expire reads
	// it with the fields above.
	n       int
	z       zconn
	idleRST int64
	// v is the verdict once the connection has ended. It points to the
	// Tracker's, which serves one connection at a time: a verdict is
	// only read while its connection is handed over, and held in each
	// Conn it was a seventh of the memory of the connections waiting
	// out Zeek's close delay.
	v *Verdict
}

// since is how long before t the time from was, in ns, and 0 when from is
// later: in a capture whose times go back (a clock stepped back, files of
// two interfaces merged), a packet can come before the one seen last, and
// "nothing seen for" cannot be less than nothing.
func since(from, t int64) int64 { return max(0, t-from) }

// prefetch asks for the whole of c.
func (c *Conn) prefetch() {
	prefetch.Keep(unsafe.Slice((*byte)(unsafe.Pointer(c)), unsafe.Sizeof(*c)))
}

// prefetchHead asks for the fields before c.z, those Tracker.expire reads.
func (c *Conn) prefetchHead() {
	prefetch.Keep(unsafe.Slice((*byte)(unsafe.Pointer(c)), unsafe.Offsetof(c.z)))
}

func (c *Conn) sideOf(src netip.AddrPort) *endpoint {
	if c.z.eps[0].addr == src {
		return &c.z.eps[0]
	}
	return &c.z.eps[1]
}

func (c *Conn) packet(rec *wire.Record, now int64, checksums bool) {
	if c.kept != nil {
		c.keep(rec)
	}
	p := &rec.TCP
	e := c.sideOf(p.Src)
	if checksums && rec.BadSum {
		c.z.badChecksum(e.isOrig)
		return
	}
	c.pkts++
	peer := e.peer
	prevPkt := c.lastPkt
	c.lastPkt = now
	e.sent = true
	if p.Flags&wire.SYN != 0 {
		e.synPkts++
	}
	rst := p.Flags&wire.RST != 0
	if !rst && !e.ttlSet {
		e.ttl, e.ttlSet = rec.TTL, true
	}
	if rst && !e.hasRST {
		r := &e.rst
		e.hasRST = true
		*r = rstInfo{
			at: now, n: c.pkts, seq: p.Seq, ack: p.Ack, hasACK: p.Flags&wire.ACK != 0, ttl: rec.TTL,
			afterFIN: e.finAt != 0, peerFIN: peer.finAt != 0,
			answerSYN: peer.synPkts > 0 && peer.state == stSynSent,
			peerRxmt:  peer.rxmtTail, icmpLive: peer.icmp != nil && e.last <= peer.icmp.at,
		}
		if prevPkt != 0 {
			r.idle = since(prevPkt, now)
		}
		// In a connection that continues an idle one, the RST comes
		// after that idle time, however soon after its first packet.
		r.idle = max(r.idle, c.idleBefore)
		if peer.hasData && (!e.hasData || peer.lastData > e.lastData) {
			// What the peer sent since this side last sent payload:
			// from its sequence numbers, up to what the RST acknowledges.
			from := peer.dataStart
			if e.peerMark {
				from = e.peerEnd
			}
			if n := seqDelta(peer.dataEnd, from); n > 0 {
				r.pending = uint32(n)
			}
		}
		r.peerData = e.finAt != 0 && peer.lastData > e.finAt
	}
	if p.Len > 0 && !rst {
		end := p.Seq + uint32(p.Len)
		if e.hasData && seqDelta(end, e.dataEnd) <= 0 {
			e.rxmtTail++
			e.rxmtGap = now - e.lastData
		} else {
			e.rxmtTail = 0
		}
		if !e.hasData || seqDelta(end, e.dataEnd) > 0 {
			e.dataEnd = end
		}
		if !e.hasData {
			e.dataStart = p.Seq
		}
		e.hasData = true
		e.lastData = now
		e.peerEnd, e.peerMark = peer.dataEnd, peer.hasData
	} else if e.synPkts > 1 && p.Flags&wire.SYN != 0 {
		e.rxmtTail++
	}
	peer.rxmtTail, peer.kaTail = 0, 0
	if !rst {
		// A keepalive probe: a bare ACK (or one byte) one before the next
		// sequence number, which the peer must answer with an ACK.
		if p.Len <= 1 && p.Flags&(wire.SYN|wire.FIN) == 0 && p.Flags&wire.ACK != 0 && e.nxtSet && p.Seq+1 == e.nxt {
			e.kaTail++
		} else {
			e.kaTail = 0
		}
		end := p.Seq + uint32(p.Len)
		if p.Flags&wire.SYN != 0 {
			end++
		}
		if p.Flags&wire.FIN != 0 {
			end++
		}
		if !e.nxtSet || seqDelta(end, e.nxt) > 0 {
			e.nxt, e.nxtSet = end, true
		}
	}
	if p.Flags&wire.FIN != 0 && e.finAt == 0 {
		e.finAt, e.finN = now, c.pkts
		if prevPkt != 0 {
			e.finIdle = since(prevPkt, now)
		}
	}
	e.last = now
	c.z.process(p, now, e.isOrig)
}

func (c *Conn) icmp(rec *wire.Record, now int64) {
	if c.kept != nil {
		c.keep(rec)
	}
	if pmtu(&rec.ICMP) {
		return
	}
	e := c.sideOf(rec.ICMP.Src)
	// The first error is kept, unless the peer was heard from since it:
	// the path came back, and an error after that is a new one.
	if e.icmp == nil || e.peer.last > e.icmp.at {
		e.icmp = &icmpErr{ICMP: rec.ICMP, at: now, idle: since(c.lastPkt, now)}
	}
}

// pmtu reports whether ic is an ICMP fragmentation needed or ICMPv6
// packet too big: Linux's TCP lowers its segment size and retransmits
// (tcp_v4_mtu_reduced, tcp_v6_mtu_reduced) and tells the socket nothing,
// so the error is never how a TCP connection ends.
func pmtu(ic *wire.ICMP) bool {
	if ic.V6 {
		return ic.Type == 2
	}
	return ic.Type == 3 && ic.Code == 4
}

// end computes the verdict into v, its evidence in evidence; now is the
// capture's last time.
func (c *Conn) end(v *Verdict, evidence *evidenceBlocks, now int64) {
	*v = verdict(c, now, evidence)
	c.v = v
}

// Orig and Resp are Zeek's originator and responder.
func (c *Conn) Orig() netip.AddrPort { return c.z.orig.addr }

// Resp is the responder; see Orig.
func (c *Conn) Resp() netip.AddrPort { return c.z.resp.addr }

// ConnState is Zeek's conn_state.
func (c *Conn) ConnState() string { return c.z.connState() }

// History is Zeek's history string.
func (c *Conn) History() string { return string(c.z.history) }

// Start is the time of the connection's first packet.
func (c *Conn) Start() time.Time { return time.Unix(0, c.z.start) }

// Duration is from the first packet to the last one Zeek counts.
func (c *Conn) Duration() time.Duration { return time.Duration(c.z.last - c.z.start) }

// Bytes are the payload bytes each side sent, from sequence numbers.
func (c *Conn) Bytes() (orig, resp uint64) { return c.z.orig.size(), c.z.resp.size() }

// Packets is the number of packets of the connection that were followed:
// not those whose checksum failed (when checked) or whose header was cut.
func (c *Conn) Packets() int { return c.pkts }

// Verdict is how the connection ended and why.
func (c *Conn) Verdict() Verdict {
	if c.v == nil {
		return Verdict{} // not ended yet
	}
	return *c.v
}
