package analyze

import (
	"encoding/binary"

	"github.com/teardown-net/teardown/observe/wire"
)

// reassembly is what Zeek's stream reassembly contributes to history: the
// content gap letter G. It keeps no payload, only which sequence ranges an
// endpoint has sent: next is the first byte not yet received in order, and
// ahead the ranges received beyond a hole.
type reassembly struct {
	next  uint64 // relative; the first data byte is 1
	ahead []span
	// skip is set once Zeek would stop reassembling this side (its
	// skip_deliveries): no gap is counted after that.
	skip bool
}

type span struct{ lo, hi uint64 }

// maxAhead bounds the ranges kept beyond a hole; past it the oldest are
// taken as delivered, so a hostile capture cannot grow the list.
const maxAhead = 64

// maxAboveHole is Zeek's tcp_max_above_hole_without_any_acks: more bytes
// than this beyond a hole, with none of the side's data acknowledged yet,
// and Zeek gives up reassembling that side (above_hole_data_without_any_acks),
// as if it were not seeing the peer's ACKs.
const maxAboveHole = 16384

func (r *reassembly) start() {
	if r.next == 0 {
		r.next = 1
	}
}

// dataSent records payload [seq, seq+n) of e, Zeek's
// TCP_Reassembler::DataSent.
func (e *endpoint) dataSent(seq, n uint64) {
	r := &e.reasm
	if r.skip {
		return
	}
	r.add(seq, n)
	if len(r.ahead) > 0 && e.noDataAcked() {
		top := uint64(0)
		for _, s := range r.ahead {
			top = max(top, s.hi)
		}
		if top-r.next > maxAboveHole {
			r.skip, r.ahead = true, nil
		}
	}
}

// add records payload [seq, seq+n) as received.
func (r *reassembly) add(seq, n uint64) {
	r.start()
	lo, hi := seq, seq+n
	if hi <= r.next {
		return
	}
	if lo <= r.next {
		r.next = hi
		r.pull()
		return
	}
	r.ahead = append(r.ahead, span{lo, hi})
	for i := len(r.ahead) - 1; i > 0 && r.ahead[i].lo < r.ahead[i-1].lo; i-- {
		r.ahead[i], r.ahead[i-1] = r.ahead[i-1], r.ahead[i]
	}
	if len(r.ahead) > maxAhead {
		r.next = max(r.next, r.ahead[0].hi)
		r.ahead = r.ahead[1:]
		r.pull()
	}
}

// pull moves next over the ranges it now reaches.
func (r *reassembly) pull() {
	for len(r.ahead) > 0 && r.ahead[0].lo <= r.next {
		r.next = max(r.next, r.ahead[0].hi)
		r.ahead = r.ahead[1:]
	}
}

// gaps returns how many holes lie below upTo, and moves past them: the
// data there was acknowledged without being seen.
func (r *reassembly) gaps(upTo uint64) int {
	r.start()
	n := 0
	for len(r.ahead) > 0 && r.ahead[0].lo < upTo {
		if r.ahead[0].lo > r.next {
			n++
		}
		r.next = max(r.next, r.ahead[0].hi)
		r.ahead = r.ahead[1:]
	}
	if upTo > r.next {
		n++
		r.next = upTo
	}
	return n
}

// ackReceived is the peer's acknowledgement relAck of e's data (Zeek's
// TCP_Reassembler::AckReceived): data acknowledged that was never seen is
// a content gap, recorded when both sides are established or closing
// cleanly.
func (c *zconn) ackReceived(e *endpoint, relAck uint64) {
	if e.sentFIN && relAck >= e.finSeq {
		relAck = e.finSeq - 1
	}
	e.reasm.start()
	if relAck <= e.reasm.next {
		return
	}
	if relAck <= 2 && c.isPartial {
		// A partial connection's made-up start: the first ACK seems to
		// skip a byte or two.
		return
	}
	for range e.reasm.gaps(relAck) {
		if !e.reasm.skip && clean(e) && clean(e.peer) {
			c.scaledHistory(e, &e.gap, 'G')
		}
	}
}

func clean(e *endpoint) bool {
	return e.state == stEstablished || (e.state == stClosed && e.prev == stEstablished)
}

// capturedPayload is how many bytes of p's payload the capture holds: the
// IP length fields less the payload length give the bytes of headers in
// front of it. A packet without its bytes counts as whole.
func capturedPayload(p *wire.Packet) int {
	d := p.Data
	var total int
	switch {
	case len(d) >= 20 && d[0]>>4 == 4:
		total = int(binary.BigEndian.Uint16(d[2:]))
	case len(d) >= 40 && d[0]>>4 == 6:
		total = 40 + int(binary.BigEndian.Uint16(d[4:]))
	default:
		return p.Len
	}
	return len(d) - (total - p.Len)
}
