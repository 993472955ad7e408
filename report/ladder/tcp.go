package ladder

import (
	"fmt"
	"strings"
)

// MarkTCP marks, from the packets alone, the TCP segments that carry
// sequence space their sender had sent before (retransmissions), and the
// segments after which nothing came back from the receiver at all (no
// acknowledgment, no reset, no reply): on the capture's side of the path
// those were lost, or their receiver was gone. It works on any sequence of
// events, from a run or from a capture, and leaves other events alone.
//
// Sequence numbers are compared within one direction between two lanes,
// as relative numbers (the first SYN at 0), as the lab and tcpdump write
// them; a SYN that is not a retransmission starts the direction anew.
func MarkTCP(evs []Event) {
	type dir struct{ from, to string }
	high := map[dir]uint32{}
	lastSyn := map[dir]int{}
	for i := range evs {
		e := &evs[i]
		p := e.Packet
		if p == nil || p.ICMP != "" {
			continue
		}
		d := dir{e.Lane, p.To}
		syn := strings.Contains(p.Flags, "S")
		span := uint32(p.Len)
		if syn || strings.Contains(p.Flags, "F") {
			span++
		}
		if span == 0 {
			continue
		}
		h, seen := high[d]
		switch {
		case syn && !strings.Contains(p.Flags, "."):
			// A SYN again with no answer between is sent again; else it
			// opens a new connection between the same lanes.
			j, ok := lastSyn[d]
			if ok && evs[j].Packet.Seq == p.Seq && !repliedAfter(evs[j+1:i], p.To, e.Lane) {
				p.Retransmission = true
			} else {
				delete(high, d)
				delete(high, dir{p.To, e.Lane})
				seen = false
			}
			lastSyn[d] = i
		case seen && seqLess(p.Seq, h):
			p.Retransmission = true
		}
		if end := p.Seq + span; !seen || seqLess(h, end) {
			high[d] = end
		}
		if !repliedAfter(evs[i+1:], p.To, e.Lane) {
			p.Lost = fmt.Sprintf("nothing came back from %s after it", p.To)
		}
	}
}

// seqLess compares sequence numbers modulo 2³².
func seqLess(a, b uint32) bool { return int32(a-b) < 0 }

// repliedAfter reports whether any packet went from one lane to the other.
func repliedAfter(evs []Event, from, to string) bool {
	for _, e := range evs {
		if e.Packet != nil && e.Lane == from && e.Packet.To == to {
			return true
		}
	}
	return false
}
