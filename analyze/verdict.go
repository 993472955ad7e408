package analyze

import (
	"fmt"
	"strconv"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// How a connection ended: the values of Verdict.How.
const (
	HowFINBoth       = "fin-both"
	HowFINOrig       = "fin-originator"
	HowFINResp       = "fin-responder"
	HowRST           = "rst"
	HowRefused       = "refused"
	HowSYNTimeout    = "syn-timeout"
	HowICMP          = "icmp"
	HowTimeout       = "timeout"
	HowOpen          = "open"
	ByOrig           = "originator"
	ByResp           = "responder"
	ByMiddlebox      = "middlebox"
	ByNone           = "none"
	ErrnoNone        = "none"
	ErrnoEOF         = "EOF"
	ConfidenceHigh   = "high"
	ConfidenceMedium = "medium"
	ConfidenceLow    = "low"
)

// Hows lists every value of Verdict.How, in the order summaries show them.
var Hows = [...]string{HowFINBoth, HowFINOrig, HowFINResp, HowRST, HowRefused, HowSYNTimeout, HowICMP, HowTimeout, HowOpen}

// Causes: the values of Cause.ID, in teardown's vocabulary.
const (
	CauseOrderly       = "orderly-close"
	CauseHalfClose     = "half-close"
	CauseRefused       = "refused"
	CauseCloseUnread   = "close-unread"
	CauseLingerZero    = "linger-zero"
	CauseAbortAfterFIN = "abort-after-fin"
	CauseWriteAfterFIN = "write-after-fin"
	CauseNoSocket      = "no-socket"
	CauseMiddlebox     = "middlebox-rst"
	CauseIdleTimeout   = "idle-timeout"
	CauseVanished      = "peer-vanished"
	CauseKeepalive     = "keepalive-unanswered"
	CauseNoAnswer      = "syn-unanswered"
	CauseUnreachable   = "unreachable"
	CauseOpen          = "capture-ended"
	CauseInactive      = "inactive"
	CauseHeaderCut     = "header-cut"
	CauseBadChecksum   = "bad-checksum"
)

// Cause is why a connection ended, with what the verdict rests on.
type Cause struct {
	ID         string   `json:"id"`
	Text       string   `json:"text"`
	Evidence   []string `json:"evidence"`
	Confidence string   `json:"confidence"`
	// Scenario is the catalog scenario that reproduces it ("" if none).
	Scenario string `json:"scenario,omitempty"`
}

// Verdict is how, by whom and why a connection ended, and the errno each
// side's application most likely got.
type Verdict struct {
	How   string
	By    string
	Cause Cause
	// OrigErrno and RespErrno are errno names (as teardown explain knows
	// them), "EOF" for an orderly end or "none".
	OrigErrno string
	RespErrno string
	// Idle is how long the connection was quiet before the packet that
	// ended it (its first RST, or first FIN), or before the end of the
	// capture for one that did not end.
	Idle time.Duration
}

// Abnormal reports whether the connection ended any way but an orderly
// close or the capture's end.
func (v Verdict) Abnormal() bool {
	switch v.How {
	case HowFINBoth, HowFINOrig, HowFINResp, HowOpen:
		return false
	}
	return true
}

// ErrnoNames lists every errno name a verdict can give, besides "none".
var ErrnoNames = []string{ErrnoEOF, "ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH",
	"ENETUNREACH", "EHOSTDOWN", "EACCES", "EMSGSIZE", "EPROTO", "ENOPROTOOPT", "EOPNOTSUPP", "ENONET"}

// inExplain are the ErrnoNames that teardown explain has an entry for; a test
// keeps it in step with the knowledge base.
var inExplain = map[string]bool{ErrnoEOF: true, "ECONNRESET": true, "EPIPE": true, "ECONNREFUSED": true,
	"ETIMEDOUT": true, "EHOSTUNREACH": true, "ENETUNREACH": true, "EHOSTDOWN": true, "EMSGSIZE": true}

// scenarioOf links each cause to the catalog scenario that makes it
// happen on a real kernel.
var scenarioOf = map[string]string{
	CauseOrderly:       "peer-closed/read-eof",
	CauseHalfClose:     "shutdown/wr",
	CauseRefused:       "connect/refused",
	CauseCloseUnread:   "close-unread/read",
	CauseLingerZero:    "linger/zero",
	CauseAbortAfterFIN: "rst/after-fin",
	CauseWriteAfterFIN: "peer-closed/write-epipe",
	CauseNoSocket:      "net/peer-rebooted",
	CauseVanished:      "net/peer-vanished",
	CauseKeepalive:     "timer/keepalive",
	CauseUnreachable:   "net/host-unreachable-established",
}

func name(e *endpoint) string {
	if e.isOrig {
		return "originator"
	}
	return "responder"
}

// bySide is a text about two sides, the first named given, indexed by
// side: built once, and not for every connection.
func bySide(text func(first, second string) string) [2]string {
	return [2]string{text("responder", "originator"), text("originator", "responder")}
}

// sideIndex is e's index in bySide's texts.
func sideIndex(e *endpoint) int {
	if e.isOrig {
		return 1
	}
	return 0
}

var (
	orderlyText   = bySide(func(a, _ string) string { return "orderly close: both sides sent FIN, the " + a + " first" })
	halfCloseText = bySide(func(a, b string) string {
		return "the " + a + " closed (or shut down its sending side); the " + b + " had not closed when the capture ended"
	})
	lingerZeroText = bySide(func(a, _ string) string {
		return "abortive close (SO_LINGER 0) by the " + a + ": RST with nothing unread"
	})
	lingerZeroEvidence = bySide(func(_, b string) string { return "no FIN before it and no payload from the " + b + " left unanswered" })
)

// appendFIN appends "FIN from the <e> at packet <n>".
func appendFIN(b []byte, e *endpoint) []byte {
	b = append(b, "FIN from the "...)
	b = append(b, name(e)...)
	b = append(b, " at packet "...)
	return strconv.AppendInt(b, int64(e.finN), 10)
}

func by(e *endpoint) string {
	if e.isOrig {
		return ByOrig
	}
	return ByResp
}

// verdict judges a finished connection; now is the capture's time at the
// end, and evidence gives the memory of its list of evidence.
func verdict(c *Conn, now int64, evidence *evidenceBlocks) Verdict {
	o, r := c.z.orig, c.z.resp
	v := Verdict{OrigErrno: ErrnoNone, RespErrno: ErrnoNone}
	set := func(e *endpoint, errno string) {
		if e.isOrig {
			v.OrigErrno = errno
		} else {
			v.RespErrno = errno
		}
	}
	cause := func(id, conf, text string, ev ...string) {
		v.Cause = Cause{ID: id, Text: text, Evidence: evidence.copy(ev), Confidence: conf, Scenario: scenarioOf[id]}
	}
	// The first RST decides, unless both sides had finished with FINs.
	var rs *endpoint
	for _, e := range []*endpoint{o, r} {
		if e.hasRST && (rs == nil || e.rst.at < rs.rst.at) {
			rs = e
		}
	}
	bothFIN := o.finAt != 0 && r.finAt != 0
	if rs != nil && bothFIN && o.finAt < rs.rst.at && r.finAt < rs.rst.at {
		rs = nil
	}
	// An RST that came after its receiver had stopped retransmitting
	// found a socket that was already gone: the receiver's kernel had
	// given up, and its application was told so then, not by the RST.
	var late *endpoint
	if rs != nil && gaveUp(rs) {
		late, rs = rs, nil
	}
	switch {
	case rs != nil:
		v.Idle = time.Duration(rs.rst.idle)
		judgeRST(c, rs, &v, set, cause)
	case late != nil:
		judgeGaveUp(late, &v, set, cause)
	case bothFIN:
		v.How, v.By = HowFINBoth, by(o)
		first := o
		if r.finAt < o.finAt {
			first, v.By = r, by(r)
		}
		v.Idle = time.Duration(first.finIdle)
		set(o, ErrnoEOF)
		set(r, ErrnoEOF)
		// Both lines of evidence in one string: most connections end
		// this way, and each allocation is work for the collector.
		var buf [96]byte
		b := appendFIN(buf[:0], first)
		i := len(b)
		ev := string(appendFIN(b, first.peer))
		cause(CauseOrderly, ConfidenceHigh, orderlyText[sideIndex(first)], ev[:i], ev[i:])
	case o.finAt != 0 || r.finAt != 0:
		e := o
		v.How = HowFINOrig
		if r.finAt != 0 {
			e, v.How = r, HowFINResp
		}
		v.By = by(e)
		v.Idle = time.Duration(e.finIdle)
		set(e.peer, ErrnoEOF)
		cause(CauseHalfClose, ConfidenceMedium, halfCloseText[sideIndex(e)],
			"FIN from the "+name(e)+" at packet "+strconv.Itoa(e.finN)+", none from the "+name(e.peer))
	case icmpLast(o) || icmpLast(r):
		e := o
		if !icmpLast(o) {
			e = r
		}
		v.How, v.By = HowICMP, ByMiddlebox
		v.Idle = time.Duration(e.icmp.idle)
		if e.peer.addr.Addr() == e.icmp.From {
			v.By = by(e.peer)
		}
		errno := icmpErrno(&e.icmp.ICMP)
		set(e, errno)
		cause(CauseUnreachable, ConfidenceHigh, fmt.Sprintf("ICMP %s from %v: the %s's segments could not be delivered", e.icmp.Name(), e.icmp.From, name(e)),
			fmt.Sprintf("ICMP type %d code %d from %v quoting %v > %v", e.icmp.Type, e.icmp.Code, e.icmp.From, e.icmp.Src, e.icmp.Dst))
		if !e.peer.sent {
			v.Cause.Scenario = "net/host-unreachable" // while connecting
		}
	case o.state == stSynSent && !r.sent:
		v.How, v.By = HowSYNTimeout, ByNone
		set(o, "ETIMEDOUT")
		conf := ConfidenceMedium
		if o.synPkts > 1 {
			conf = ConfidenceHigh
		}
		cause(CauseNoAnswer, conf, strconv.Itoa(int(o.synPkts))+" SYN(s) and no answer: nothing listens there, or a firewall drops them",
			strconv.Itoa(int(o.synPkts))+" SYN from the originator, nothing from the responder")
		if o.synPkts > 1 {
			v.Cause.Scenario = "net/peer-vanished"
		}
	case vanished(o) || vanished(r):
		e := o
		if !vanished(o) || (vanished(r) && r.last > o.last) {
			e = r
		}
		v.How, v.By = HowTimeout, ByNone
		set(e, "ETIMEDOUT")
		cause(CauseVanished, ConfidenceMedium, fmt.Sprintf("retransmissions unanswered: the %s vanished (crashed, unplugged or cut off)", name(e.peer)),
			fmt.Sprintf("the %s's last %d data segments were retransmissions with no answer", name(e), e.rxmtTail))
	case keptAlive(o) || keptAlive(r):
		e := o
		if !keptAlive(o) || (keptAlive(r) && r.last > o.last) {
			e = r
		}
		v.How, v.By = HowTimeout, ByNone
		set(e, "ETIMEDOUT")
		conf := ConfidenceLow // one probe: the capture may just have ended first
		if e.kaTail > 1 {
			conf = ConfidenceMedium
		}
		cause(CauseKeepalive, conf, fmt.Sprintf("keepalive probes unanswered: the %s vanished, and the %s's kernel gives up with ETIMEDOUT (a window probe looks the same)", name(e.peer), name(e)),
			fmt.Sprintf("the %s's last %d segments were keepalive probes (one byte before its next sequence number) with no answer", name(e), e.kaTail))
	case c.pkts == 0:
		// Nothing of it was followed: Zeek made it from segments whose
		// header was cut (Tracker.tcp) or whose checksum failed.
		v.How, v.By = HowOpen, ByNone
		if bad := o.chk.n + r.chk.n; bad > 0 {
			cause(CauseBadChecksum, ConfidenceHigh, "nothing of it can be followed: every one of its segments failed its TCP checksum (on a capture taken on a host whose network card computes the checksums of what it sends, each of those is wrong: try without --checksums)",
				strconv.FormatUint(uint64(bad), 10)+" segments with a wrong TCP checksum, none with a right one")
		} else {
			cause(CauseHeaderCut, ConfidenceHigh, "nothing of it can be followed: each of its segments had its TCP header cut short (by the snap length or its IP length) or a data offset below 20",
				"of its segments, the addresses and the first 20 bytes of TCP header were there, not the rest of the header")
		}
	case c.idleEnd:
		v.How, v.By = HowOpen, ByNone
		cause(CauseInactive, ConfidenceHigh, "idle past Zeek's inactivity timeout: the record ends here, and later packets of the 4-tuple start a new one",
			"no packet after packet "+strconv.Itoa(c.pkts))
	default:
		v.How, v.By = HowOpen, ByNone
		cause(CauseOpen, ConfidenceHigh, "still open when the capture ended",
			fmt.Sprintf("no FIN or RST; last packet %s before the end of the capture", time.Duration(now-c.lastPkt).Round(time.Millisecond)))
	}
	if late == nil && (v.How == HowOpen || v.How == HowTimeout || v.How == HowSYNTimeout) {
		v.Idle = time.Duration(now - c.lastPkt)
	}
	return v
}

// gaveUp is true when the RST's receiver had retransmitted without an
// answer and then fallen silent for more than twice its last interval
// between retransmissions: with exponential backoff its next one was due
// and did not come, so it had given up (tcp_retries2 or TCP_USER_TIMEOUT)
// before the RST.
// The receiver's fields are as they were at the RST: had it sent anything
// since, it would not have given up.
func gaveUp(s *endpoint) bool {
	e := s.peer
	return s.rst.peerRxmt >= 1 && e.rxmtGap > 0 && e.last < s.rst.at && s.rst.at-e.last > 2*e.rxmtGap
}

// judgeGaveUp judges a connection whose side s.peer gave up retransmitting
// before s's RST came: an ICMP error about its segments if one came (Linux
// reports it, kept as the socket's soft error, when the retransmissions
// time out), else a peer that vanished.
func judgeGaveUp(s *endpoint, v *Verdict, set func(*endpoint, string), cause func(id, conf, text string, ev ...string)) {
	e, ri := s.peer, &s.rst
	rxmt := fmt.Sprintf("the %s's last %d data segments were retransmissions with no answer; it then sent nothing for %s, more than twice the %s between its last two: it had given up",
		name(e), ri.peerRxmt, time.Duration(ri.at-e.last).Round(time.Millisecond), time.Duration(e.rxmtGap).Round(time.Millisecond))
	rst := fmt.Sprintf("RST from the %s at packet %d, after that: it found the %s's socket gone, and told its application nothing", name(s), ri.n, name(e))
	if ri.icmpLive {
		v.How, v.By = HowICMP, ByMiddlebox
		if s.addr.Addr() == e.icmp.From {
			v.By = by(s)
		}
		v.Idle = time.Duration(e.icmp.idle)
		set(e, icmpErrno(&e.icmp.ICMP))
		cause(CauseUnreachable, ConfidenceMedium, fmt.Sprintf("ICMP %s from %v: the %s's segments could not be delivered, and its retransmissions gave up before the %s's RST came", e.icmp.Name(), e.icmp.From, name(e), name(s)),
			fmt.Sprintf("ICMP type %d code %d from %v quoting %v > %v", e.icmp.Type, e.icmp.Code, e.icmp.From, e.icmp.Src, e.icmp.Dst), rxmt, rst)
		return
	}
	v.How, v.By = HowTimeout, ByNone
	v.Idle = time.Duration(since(e.last, ri.at))
	set(e, "ETIMEDOUT")
	cause(CauseVanished, ConfidenceMedium, fmt.Sprintf("retransmissions unanswered: the %s's kernel gave up (ETIMEDOUT) before the %s's RST came", name(e), name(s)), rxmt, rst)
}

// icmpLast is true when an ICMP error came about the endpoint's segments
// and its peer sent nothing after it. An error the connection outlived
// (the peer was heard from again) told the application nothing: in an
// established connection Linux keeps it as a soft error, reported only if
// the retransmissions then time out.
func icmpLast(e *endpoint) bool { return e.icmp != nil && e.peer.last <= e.icmp.at }

// vanished is true when the endpoint's last segments were retransmissions
// that drew no answer.
func vanished(e *endpoint) bool { return e.rxmtTail >= 1 && e.last >= e.peer.last }

// keptAlive is true when the endpoint's last segments were keepalive probes
// that drew no answer.
func keptAlive(e *endpoint) bool { return e.kaTail >= 1 && e.last >= e.peer.last }

func judgeRST(c *Conn, s *endpoint, v *Verdict, set func(*endpoint, string), cause func(id, conf, text string, ev ...string)) {
	ri := &s.rst
	peer := s.peer
	v.How, v.By = HowRST, by(s)
	at := "RST from the " + name(s) + " at packet " + strconv.Itoa(ri.n) + ", in " + senderState(ri) + " as far as the packets show"
	// What the RST's receiver is told: the kernel's state rule.
	recvErrno := "ECONNRESET"
	switch {
	case ri.answerSYN:
		recvErrno = "ECONNREFUSED"
	case ri.afterFIN:
		recvErrno = "EPIPE" // the read already gave EOF; a write fails
	}
	if ri.answerSYN {
		v.How = HowRefused
		set(peer, "ECONNREFUSED")
		cause(CauseRefused, ConfidenceHigh, "connection refused: the "+name(s)+" answered the SYN with an RST (nothing listening on "+s.addr.String()+")",
			at+", answering the SYN")
		return
	}
	if s.ttlSet && ri.ttl != s.ttl {
		v.By = ByMiddlebox
		set(peer, "ECONNRESET")
		cause(CauseMiddlebox, ConfidenceMedium, fmt.Sprintf("RST from a middlebox posing as the %s: its TTL differs from the %s's own packets", name(s), name(s)),
			at, fmt.Sprintf("RST TTL %d, the %s's other packets TTL %d", ri.ttl, name(s), s.ttl))
		return
	}
	if recvErrno == "ECONNRESET" && ri.peerFIN {
		// The receiver had sent its FIN: most programs close their
		// socket after their last write and are told nothing; one that
		// only shut down its sending side and still reads (a lingering
		// close, as nginx does) reads ECONNRESET.
		recvErrno = ErrnoNone
		inner, note := cause, "the "+name(peer)+" had sent its FIN before it: told nothing if it had closed its socket, ECONNRESET on its next read if it had only shut down its sending side"
		cause = func(id, conf, text string, ev ...string) { inner(id, conf, text, append(ev, note)...) }
	}
	set(peer, recvErrno)
	idle := time.Duration(ri.idle)
	switch {
	case s.kaTail > 0:
		// Linux resets a connection whose keepalive probes went
		// unanswered (tcp_keepalive_timer) and gives its socket
		// ETIMEDOUT.
		set(s, "ETIMEDOUT")
		// The RST goes the way the unanswered probes went: to a peer
		// that is gone or cut off, which most likely never sees it.
		set(peer, ErrnoNone)
		cause(CauseKeepalive, ConfidenceHigh, fmt.Sprintf("keepalive probes unanswered: the %s vanished, and the %s's kernel gave up, reset the connection (reason TCP_KEEPALIVE_TIMEOUT) and gives ETIMEDOUT", name(peer), name(s)),
			at, fmt.Sprintf("the %s's last %d segments before it were keepalive probes (one byte before its next sequence number) with no answer", name(s), s.kaTail))
	case ri.idle > c.idleRST:
		if recvErrno != ErrnoNone {
			set(peer, "ECONNRESET")
		}
		cause(CauseIdleTimeout, ConfidenceMedium, fmt.Sprintf("idle %s, then RST: a NAT or load balancer timeout forgot the connection", idle.Round(time.Second)),
			at, fmt.Sprintf("nothing on the connection for %s before it", idle.Round(time.Millisecond)))
	case ri.afterFIN && ri.peerData:
		cause(CauseWriteAfterFIN, ConfidenceHigh, fmt.Sprintf("the %s wrote after the %s's FIN; the %s's socket was already closed and answered with an RST", name(peer), name(s), name(s)),
			at, fmt.Sprintf("FIN from the %s at packet %d, then payload from the %s", name(s), s.finN, name(peer)))
	case ri.afterFIN:
		cause(CauseAbortAfterFIN, ConfidenceMedium, fmt.Sprintf("the %s sent FIN, then aborted (SO_LINGER 0 close after shutdown): RST with nothing unread", name(s)),
			at, fmt.Sprintf("FIN from the %s at packet %d before it, no payload from the %s after", name(s), s.finN, name(peer)))
	case !ri.hasACK:
		cause(CauseNoSocket, ConfidenceMedium, fmt.Sprintf("the %s has no socket for this connection (rebooted, or its state was lost): an RST without ACK answers the %s's segment", name(s), name(peer)),
			at+" without the ACK flag, as a kernel sends for a segment of a connection it does not know")
	case ri.pending > 0:
		cause(CauseCloseUnread, ConfidenceMedium, "the "+name(s)+" closed with data unread (up to "+strconv.FormatUint(uint64(ri.pending), 10)+" bytes) → RST (the kernel's TCP_ABORT_ON_CLOSE)",
			at, "the "+name(peer)+"'s last "+strconv.FormatUint(uint64(ri.pending), 10)+" bytes got no answer before it (inferred: a capture cannot see what the application read)")
	default:
		cause(CauseLingerZero, ConfidenceMedium, lingerZeroText[sideIndex(s)], at, lingerZeroEvidence[sideIndex(s)])
	}
}

// senderState is the TCP state the RST's sender was in, as far as the
// packets before it show.
func senderState(ri *rstInfo) string {
	switch {
	case ri.answerSYN:
		return "LISTEN or no socket (answering a SYN)"
	case ri.afterFIN && ri.peerFIN:
		return "LAST_ACK or TIME_WAIT (both FINs sent)"
	case ri.afterFIN:
		return "FIN_WAIT (it had sent its FIN)"
	case ri.peerFIN:
		return "CLOSE_WAIT (it had received the peer's FIN)"
	}
	return "ESTABLISHED"
}

// icmpErrno is the errno Linux gives a socket for an ICMP error
// (icmp_err_convert and icmpv6_err_convert).
func icmpErrno(ic *wire.ICMP) string {
	if ic.V6 {
		switch ic.Type {
		case 1:
			switch ic.Code {
			case 0:
				return "ENETUNREACH"
			case 1, 5, 6:
				return "EACCES"
			case 4:
				return "ECONNREFUSED"
			}
			return "EHOSTUNREACH"
		case 2:
			return "EMSGSIZE"
		case 4:
			return "EPROTO"
		}
		return "EHOSTUNREACH"
	}
	if ic.Type == 3 {
		switch ic.Code {
		case 0, 6, 9, 11:
			return "ENETUNREACH"
		case 2:
			return "ENOPROTOOPT"
		case 3:
			return "ECONNREFUSED"
		case 4:
			return "EMSGSIZE"
		case 5:
			return "EOPNOTSUPP"
		case 7:
			return "EHOSTDOWN"
		case 8:
			return "ENONET"
		}
	}
	return "EHOSTUNREACH"
}
