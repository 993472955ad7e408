package analyze

import (
	"math/bits"
	"net/netip"

	"github.com/teardown-net/teardown/observe/wire"
)

// This file follows the TCP connection model of Zeek's core
// (TCPSessionAdapter and TCP_Endpoint) closely enough that conn_state and
// history come out as Zeek logs them. The model, in our words:
//
// Each side is an endpoint with a state: inactive (nothing seen), SYN sent,
// SYN-ACK sent (an originator that opened with a SYN-ACK), partial (traffic
// without a SYN), established, closed (it sent a FIN) and reset (it sent an
// RST). Each packet moves its sender's state, sometimes the peer's; the
// sequence numbers are kept relative to the first one seen, so that a SYN,
// FIN or RST that repeats the last one's number is a retransmission and
// adds no history letter. Letters A, D, I and Q are recorded once per side,
// C, G, T and W on the 1st, 10th, 100th... occurrence. G, a content gap,
// comes from reassembly.go.
//
// Zeek ends a connection by timers (a SYN unanswered for 5 s, 5 s after a
// close or reset, 5 minutes idle): a packet after that starts a new
// connection. The Tracker applies those timers when the next packet of the
// 4-tuple comes, or at the end of the capture.

// epState is an endpoint's state, Zeek's EndpointState.
type epState uint8

const (
	stInactive epState = iota
	stSynSent
	stSynAckSent
	stPartial
	stEstablished
	stClosed
	stReset
)

// History bits, one per letter kind and side (Zeek's HIST_* masks; the
// responder's are shifted by 16).
const (
	histSYN     = 0x1
	histFIN     = 0x2
	histRST     = 0x4
	histFINRST  = 0x8
	histData    = 0x10
	histACK     = 0x20
	histMulti   = 0x40
	histCorrupt = 0x80
)

// tooLargeSeqDelta is where Zeek stops trusting a SYN's or RST's sequence
// number as an advance.
const tooLargeSeqDelta = 1048576

// scaled counts an event whose letter is recorded on the 1st, 10th, 100th...
// time.
type scaled struct{ n, thresh uint32 }

func (s *scaled) hit() bool {
	if s.thresh == 0 {
		s.thresh = 1
	}
	s.n++
	if s.n != s.thresh {
		return false
	}
	if next := s.thresh * 10; next > s.thresh {
		s.thresh = next
	} else {
		s.n = 0
	}
	return true
}

type endpoint struct {
	addr     netip.AddrPort
	startSeq int64
	lastSeq  uint32
	ackSeq   uint32
	seqWraps uint32
	ackWraps uint32
	histSYN  uint64
	histFIN  uint64
	histRST  uint64
	rxmt     scaled
	win0     scaled
	chk      scaled
	gap      scaled
	finSeq   uint64 // relative sequence number one past its FIN
	reasm    reassembly
	peer     *endpoint
	// The small fields together, so that they share one word.
	isOrig   bool
	state    epState
	prev     epState
	didClose bool
	sentFIN  bool // Zeek's FIN_cnt > 0

	side // what teardown keeps besides Zeek's model
}

func (e *endpoint) setState(s epState) {
	if s != e.state {
		e.prev, e.state = e.state, s
	}
}

func (e *endpoint) initSeqs(s int64, last uint32) {
	e.startSeq = s
	e.ackSeq = uint32(s)
	e.lastSeq = last
}

func (e *endpoint) updateLastSeq(s uint32) {
	if s < e.lastSeq {
		e.seqWraps++
	}
	e.lastSeq = s
}

func (e *endpoint) updateAckSeq(s uint32) {
	if s < e.ackSeq {
		e.ackWraps++
	}
	e.ackSeq = s
}

func full(s, wraps uint32) uint64 { return uint64(wraps)<<32 + uint64(s) }

func (e *endpoint) relative(s, wraps uint32) uint64 { return full(s, wraps) - uint64(e.startSeq) }

func (e *endpoint) noDataAcked() bool {
	a := full(e.ackSeq, e.ackWraps)
	st := uint64(e.startSeq)
	return a == st || a == st+1
}

// size is the payload bytes the endpoint sent, from its sequence numbers
// and the peer's acknowledgements, as Zeek counts them.
func (e *endpoint) size() uint64 {
	if e.prev == stSynSent && e.state == stReset && e.peer.state == stInactive && !e.noDataAcked() {
		return 0
	}
	last, ack := full(e.lastSeq, e.seqWraps), full(e.ackSeq, e.ackWraps)
	var n uint64
	if last > ack {
		n = last - uint64(e.startSeq)
	} else {
		n = ack - uint64(e.startSeq)
	}
	if n != 0 {
		n--
	}
	if e.sentFIN && n != 0 {
		n--
	}
	return n
}

func seqDelta(a, b uint32) int32 { return int32(a - b) }

// zconn is the Zeek part of a connection.
type zconn struct {
	orig, resp *endpoint
	eps        [2]endpoint
	history    []byte
	histSeen   uint32
	isPartial  bool
	firstSeen  uint8 // 1 orig, 2 resp
	flipped    bool
	start      int64
	last       int64
	// Zeek's timers, as deadlines in ns (0 = not set).
	attemptAt, deleteAt int64
	expireBase          int64
}

func (c *zconn) addHistory(code byte) { c.history = append(c.history, code) }

// checkHistory records code once per mask bit; it reports whether the bit
// had been seen already.
func (c *zconn) checkHistory(mask uint32, code byte) bool {
	if c.histSeen&mask == 0 {
		c.histSeen |= mask
		c.addHistory(code)
		return false
	}
	return true
}

func lower(c byte) byte { return c | 0x20 }

func (c *zconn) epCheckHistory(e *endpoint, mask uint32, code byte) bool {
	if len(c.history) == 1 && c.history[0] == 'H' && (code == 'A' || code == 'D') {
		// A connection that began with a SYN-ACK turns productive: its
		// sender was the responder after all.
		c.flip()
		c.history = append(c.history[:0], '^', 'h')
		c.firstSeen |= 1
	}
	if !e.isOrig {
		mask <<= 16
		code = lower(code)
	}
	return c.checkHistory(mask, code)
}

func (c *zconn) epAddHistory(e *endpoint, code byte) {
	if !e.isOrig {
		code = lower(code)
	}
	c.addHistory(code)
}

func (c *zconn) scaledHistory(e *endpoint, s *scaled, code byte) {
	if s.hit() {
		c.epAddHistory(e, code)
	}
}

// flip swaps originator and responder.
func (c *zconn) flip() {
	c.orig, c.resp = c.resp, c.orig
	c.orig.isOrig, c.resp.isOrig = true, false
	fs := uint8(0)
	if c.firstSeen&1 != 0 {
		fs |= 2
	}
	if c.firstSeen&2 != 0 {
		fs |= 1
	}
	c.firstSeen = fs
	c.isPartial = false
	c.flipped = !c.flipped
	c.addHistory('^')
}

func (c *zconn) init(p *wire.Packet, t int64, flip bool) {
	c.eps[0].addr, c.eps[1].addr = p.Src, p.Dst
	c.orig, c.resp = &c.eps[0], &c.eps[1]
	c.orig.isOrig = true
	c.orig.peer, c.resp.peer = c.resp, c.orig
	c.start, c.last = t, t
	c.expireBase = t + tcpSYNTimeout
	if flip {
		c.flip()
	}
}

// Zeek's default timer settings (init-bare.zeek), in ns.
const (
	sec                     = int64(1e9)
	tcpSYNTimeout           = 5 * sec
	tcpSessionTimer         = 6 * sec
	tcpConnectionLinger     = 5 * sec
	tcpAttemptDelay         = 5 * sec
	tcpCloseDelay           = 5 * sec
	tcpResetDelay           = 5 * sec
	tcpInactivityTimeout    = 300 * sec
	handshakeInactivityTime = 60 * sec // udp_inactivity_timeout, which Zeek sets until the handshake ends
)

// process is TCPSessionAdapter::Process for one packet from the side
// isOrig (after any flip at creation).
func (c *zconn) process(p *wire.Packet, t int64, isOrig bool) {
	flags := p.Flags
	syn, fin, rst, ack := flags&wire.SYN != 0, flags&wire.FIN != 0, flags&wire.RST != 0, flags&wire.ACK != 0
	e := c.resp
	if isOrig {
		e = c.orig
	}
	peer := e.peer
	length := p.Len

	// SetPartialStatus
	if e.isOrig {
		if c.firstSeen&1 == 0 {
			c.isPartial = !syn || ack
		}
	} else if c.firstSeen&2 == 0 && !c.isPartial {
		c.isPartial = !syn
	}

	segLen := length
	if syn {
		segLen++
	}
	if fin {
		segLen++
	}
	if rst {
		segLen -= length
	}
	base, ackSeq := p.Seq, p.Ack
	onePast := base + uint32(segLen)

	// init_endpoint
	switch e.state {
	case stInactive:
		if syn {
			e.initSeqs(int64(base), onePast)
		} else {
			e.initSeqs(int64(base-1), base)
		}
	case stSynSent, stSynAckSent:
		if syn && base != uint32(e.startSeq) {
			e.initSeqs(int64(base), onePast)
		}
	case stEstablished, stPartial:
		if syn {
			e.initSeqs(int64(base), onePast)
		}
	case stReset:
		if syn && e.prev == stInactive {
			e.initSeqs(int64(base), onePast)
		}
	}

	relSeq, underflow := c.relSeq(e, base, e.lastSeq, e.seqWraps)
	c.updateHistory(e, flags, relSeq, length)
	// update_window: only the zero-window letter matters here.
	if p.Win == 0 && !rst && peer.state != stClosed && e.state != stReset {
		c.scaledHistory(e, &e.win0, 'W')
	}
	if !c.orig.didClose || !c.resp.didClose {
		c.last = t
	}
	if fin {
		e.sentFIN = true
		e.finSeq = relSeq + uint64(segLen)
	}
	var relAck uint64
	if ack {
		if peer.state == stInactive {
			relAck = 1
			peer.initSeqs(int64(ackSeq-1), ackSeq-1)
		} else {
			var under bool
			relAck, under = c.relSeq(peer, ackSeq, peer.ackSeq, peer.ackWraps)
			if under {
				relAck = 0
			} else if !rst {
				d := seqDelta(ackSeq, peer.ackSeq)
				if !(ackSeq == 0 && d > tooLargeSeqDelta) && d > 0 {
					peer.updateAckSeq(ackSeq)
				}
			}
		}
	}
	c.updateLastSeq(e, onePast, flags, length)

	doClose := c.stateMachine(e, peer, base, length, isOrig, flags)
	if ack {
		// After the state machine, so that a gap the ACK reveals is
		// judged by the states it leaves.
		c.ackReceived(peer, relAck)
	}
	// Only payload the capture holds whole reaches Zeek's reassembler
	// (TCPSessionAdapter::Process, TCP_Endpoint::DataSent): a segment the
	// snap length cut is, once acknowledged, a content gap.
	if length > 0 && !rst && !underflow && capturedPayload(p) >= length {
		dataSeq := relSeq
		if syn {
			dataSeq++
		}
		e.dataSent(dataSeq, uint64(length))
	}
	if doClose {
		c.closed(e, peer, t)
	}
}

// relSeq is cur relative to the endpoint's first sequence number, given
// the last one seen and the wraps so far, and whether cur lies before the
// start (Zeek's get_relative_seq and its underflow).
func (c *zconn) relSeq(e *endpoint, cur, last, wraps uint32) (uint64, bool) {
	d := seqDelta(cur, last)
	if d < 0 {
		if wraps > 0 && cur > last {
			wraps--
		}
	} else if d > 0 && cur < last {
		wraps++
	}
	if wraps == 0 {
		d := seqDelta(cur, uint32(e.startSeq))
		return uint64(int64(d)), d < 0
	}
	return e.relative(cur, wraps), false
}

func (c *zconn) updateHistory(e *endpoint, flags wire.Flags, relSeq uint64, length int) {
	syn, fin, rst := flags&wire.SYN != 0, flags&wire.FIN != 0, flags&wire.RST != 0
	switch bits := bits.OnesCount8(uint8(flags & (wire.SYN | wire.FIN | wire.RST))); {
	case bits > 1:
		if fin && rst {
			c.epCheckHistory(e, histFINRST, 'I')
		} else {
			c.epCheckHistory(e, histMulti, 'Q')
		}
	case bits == 1:
		if syn {
			code := byte('S')
			if flags&wire.ACK != 0 {
				code = 'H'
			}
			if c.epCheckHistory(e, histSYN, code) && relSeq != e.histSYN {
				c.epAddHistory(e, code)
			}
			e.histSYN = relSeq
		}
		if fin {
			end := relSeq + uint64(length)
			if c.epCheckHistory(e, histFIN, 'F') && end != e.histFIN {
				c.epAddHistory(e, 'F')
			}
			e.histFIN = end
		}
		if rst {
			if c.epCheckHistory(e, histRST, 'R') && relSeq != e.histRST {
				c.epAddHistory(e, 'R')
			}
			e.histRST = relSeq
		}
	default:
		if length > 0 {
			c.epCheckHistory(e, histData, 'D')
		} else if flags&wire.ACK != 0 {
			c.epCheckHistory(e, histACK, 'A')
		}
	}
}

// updateLastSeq advances the sender's highest sequence number, trusting
// SYN and RST numbers only near it; payload that does not advance it is a
// retransmission (T).
func (c *zconn) updateLastSeq(e *endpoint, last uint32, flags wire.Flags, length int) {
	d := seqDelta(last, e.lastSeq)
	switch {
	case flags&(wire.SYN|wire.RST) != 0 && (d > tooLargeSeqDelta || d < -tooLargeSeqDelta):
	case flags&wire.FIN != 0 && e.lastSeq == uint32(e.startSeq)+1:
		e.updateLastSeq(last)
	case e.state == stReset:
	case d > 0:
		e.updateLastSeq(last)
	case length > 0:
		c.scaledHistory(e, &e.rxmt, 'T')
	}
}

// stateMachine moves the endpoints' states for one packet from e and
// reports whether e has closed (FIN or RST) with it.
func (c *zconn) stateMachine(e, peer *endpoint, base uint32, length int, isOrig bool, flags wire.Flags) (doClose bool) {
	syn, fin, rst, ack := flags&wire.SYN != 0, flags&wire.FIN != 0, flags&wire.RST != 0, flags&wire.ACK != 0
	switch e.state {
	case stInactive:
		if syn {
			if isOrig {
				if ack {
					e.setState(stSynAckSent)
				} else {
					e.setState(stSynSent)
				}
				if c.attemptAt == 0 {
					c.attemptAt = c.last + tcpAttemptDelay
				}
			} else {
				if !ack && peer.state == stSynAckSent && base == uint32(e.startSeq) {
					// A SYN-ACK seen before its SYN: swap and establish.
					c.isPartial = false
					c.flip()
					peer.setState(stEstablished)
					c.firstSeen |= 1
				}
				if peer.state == stSynSent {
					peer.setState(stEstablished)
				}
				e.setState(stEstablished)
			}
		}
		if fin {
			e.setState(stClosed)
			doClose = true
		}
		if rst {
			e.setState(stReset)
			doClose = true
		}
		if e.state == stInactive {
			switch {
			case !isOrig && length == 0 && c.orig.state == stSynSent:
				// An ACK of the SYN before the SYN-ACK: not partial.
			case ack && peer.state == stEstablished:
				e.setState(stEstablished)
				c.isPartial = false
				if isOrig {
					c.firstSeen |= 1
				} else {
					c.firstSeen |= 2
				}
			default:
				e.setState(stPartial)
			}
		}
	case stSynSent, stSynAckSent:
		if fin {
			e.setState(stClosed)
			doClose = true
		}
		if rst {
			e.setState(stReset)
			doClose = true
		}
	case stEstablished, stPartial:
		if syn && e.state == stPartial && peer.state == stInactive && !ack {
			e.setState(stSynSent)
		}
		if fin && !rst {
			e.setState(stClosed)
			if peer.state == stReset && peer.prev == stClosed {
				// A FIN then an RST from the peer was a normal end.
				peer.setState(stClosed)
			}
			doClose = true
		}
		if rst {
			e.setState(stReset)
			doClose = true
		}
	case stClosed:
		if rst && e.peer.state != stClosed {
			e.setState(stReset)
			if !e.didClose {
				doClose = true
			}
			if c.deleteAt == 0 {
				c.deleteAt = c.last + tcpResetDelay
			}
		}
	}
	return doClose
}

// closed is ConnectionClosed, for what it does to the timers.
func (c *zconn) closed(e, peer *endpoint, t int64) {
	if e.didClose {
		return
	}
	e.didClose = true
	if e.state == stReset || peer.didClose || peer.state == stInactive {
		c.attemptAt = 0
		c.deleteAt = c.last + tcpCloseDelay
	} else if e.prev != stInactive {
		c.expireBase = c.last + tcpSessionTimer
	}
}

// badChecksum records a packet Zeek drops for its TCP checksum.
func (c *zconn) badChecksum(isOrig bool) {
	e := c.resp
	if isOrig {
		e = c.orig
	}
	c.scaledHistory(e, &e.chk, 'C')
}

// deadline is the time after which one of Zeek's timers removes the
// connection if nothing happens on it since c.last: the earliest of the
// timers that its state has set.
func (c *zconn) deadline() int64 {
	o, r := c.orig, c.resp
	d := c.last + c.inactivityLimit()
	if c.attemptAt != 0 && (o.state == stSynSent || o.state == stSynAckSent) && r.state == stInactive {
		d = min(d, c.attemptAt)
	}
	if c.deleteAt != 0 {
		d = min(d, c.deleteAt)
	}
	// The expire timer fires every tcp_session_timer from its base.
	if (o.didClose || r.didClose) && ((o.didClose && r.didClose) || o.state == stReset || r.state == stReset ||
		o.state == stInactive || r.state == stInactive) {
		due := c.last + tcpConnectionLinger
		f := c.expireBase
		if f <= due {
			f += ((due-f)/tcpSessionTimer + 1) * tcpSessionTimer
		}
		d = min(d, f)
	}
	return d
}

// inactive reports whether it is Zeek's inactivity timer that ends the
// connection at time t.
func (c *zconn) inactive(t int64) bool { return t-c.last > c.inactivityLimit() }

// inactivityLimit is how long the inactivity timer lets the connection be
// quiet in its present state.
func (c *zconn) inactivityLimit() int64 {
	if isHandshake(c.orig.state) && isHandshake(c.resp.state) {
		return handshakeInactivityTime
	}
	return tcpInactivityTimeout
}

func isHandshake(s epState) bool { return s == stInactive || s == stSynSent || s == stSynAckSent }

// isReuse is Zeek's test of a SYN that starts a new connection on the same
// 4-tuple.
func (c *zconn) isReuse(p *wire.Packet) bool {
	if p.Flags&wire.SYN == 0 {
		return false
	}
	o := c.orig
	if p.Flags&wire.ACK != 0 {
		if c.orig.state != stInactive {
			return false
		}
		o = c.resp
	}
	if !c.orig.didClose && !c.resp.didClose {
		if p.Seq == uint32(o.startSeq) {
			return false
		}
		if p.Flags&wire.ACK == 0 && o.state == stSynAckSent && c.resp.state == stInactive && p.Seq == uint32(c.resp.startSeq) {
			return false
		}
	}
	return true
}

// connState is Zeek's conn_state, from both endpoints' states.
func (c *zconn) connState() string {
	os, rs := c.orig.state, c.resp.state
	oInactive := os == stInactive || os == stPartial
	rInactive := rs == stInactive || rs == stPartial
	switch {
	case rs == stReset:
		switch {
		case os == stSynSent || os == stSynAckSent || (os == stReset && c.orig.size() == 0 && c.resp.size() == 0):
			return "REJ"
		case oInactive:
			return "RSTRH"
		}
		return "RSTR"
	case os == stReset:
		if rInactive {
			if rstos0(c.history) {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case rs == stClosed && os == stClosed:
		return "SF"
	case os == stClosed:
		if rInactive {
			return "SH"
		}
		return "S2"
	case rs == stClosed:
		if oInactive {
			return "SHR"
		}
		return "S3"
	case os == stSynSent && rs == stInactive:
		return "S0"
	case os == stEstablished && rs == stEstablished:
		return "S1"
	}
	return "OTH"
}

// rstos0 matches Zeek's pattern ^?S[^HAFGIQ]*R.* against the whole history.
func rstos0(h []byte) bool {
	i := 0
	if i < len(h) && h[i] == '^' {
		i++
	}
	if i >= len(h) || h[i] != 'S' {
		return false
	}
	for i++; i < len(h); i++ {
		switch h[i] {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}
