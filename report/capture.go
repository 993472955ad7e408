package report

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/teardown-net/teardown/analyze"
	"github.com/teardown-net/teardown/observe/wire"
	"github.com/teardown-net/teardown/report/ladder"
)

// The lanes of a captured connection, as Zeek names its two sides.
const (
	laneOrig = "originator"
	laneResp = "responder"
)

// ConnDiagram turns one analyzed connection of a capture into the ladder
// it draws: each packet kept (analyze.Options.KeepPackets) from its
// sender's lifeline to its receiver's, seq and ack relative to each side's
// first sequence number as the lab and tcpdump write them, an ICMP error
// from the address that sent it, each side's TCP state as far as the
// packets show, a note where packets were left out, each capture comment
// (the lab's script lines) as a note, and at the end the errno each side's
// application most likely got. link, when not nil, gives the address of
// an errno's explanation.
func ConnDiagram(c *analyze.Conn, link func(errno string) string) *ladder.Diagram {
	o, r := c.Orig(), c.Resp()
	d := &ladder.Diagram{
		Title: fmt.Sprintf("%v → %v", o, r),
		Link:  link,
		Lanes: []ladder.Lane{{Name: laneOrig, Note: o.String()}},
	}
	k := c.Kept()
	var t0 time.Time
	if len(k.Segments) > 0 {
		t0 = k.Segments[0].Time
	}
	at := func(t time.Time) time.Duration { return max(t.Sub(t0), 0) }
	var evs []ladder.Event
	middle := map[string]bool{}
	// base is each side's first sequence number: its SYN's, or the first
	// one the capture shows.
	var base [2]uint32
	var baseSet [2]bool
	sides := stateInference{}
	for i, s := range k.Segments {
		if i == k.Cut && k.Omitted > 0 {
			evs = append(evs, ladder.Event{At: at(s.Time), Note: &ladder.Note{Kind: ladder.NoteStep,
				Text:   fmt.Sprintf("⋯ %d packets left out ⋯", k.Omitted),
				Detail: fmt.Sprintf("records %d to %d of the capture are not drawn; the diagram keeps the first and the last packets", k.Segments[i-1].N+1, s.N-1)}})
			sides.forget()
		}
		if s.Comment != "" {
			evs = append(evs, ladder.Event{At: at(s.Time), Note: &ladder.Note{Kind: ladder.NoteStep, Text: s.Comment, Detail: "the capture's comment on the next packet"}})
		}
		from, to := laneOrig, laneResp
		fi, ti := 0, 1
		if !s.FromOrig {
			from, to, fi, ti = to, from, 1, 0
		}
		if s.ICMP != nil {
			// The error goes back to the sender of the segment it quotes.
			sender := s.ICMP.From.String()
			switch s.ICMP.From {
			case o.Addr():
				sender = laneOrig
			case r.Addr():
				sender = laneResp
			default:
				middle[sender] = true
			}
			seq := s.Seq
			if baseSet[fi] {
				seq -= base[fi]
			}
			errno := analyze.ICMPErrno(s.ICMP)
			evs = append(evs, ladder.Event{At: at(s.Time), Lane: sender, Packet: &ladder.Packet{
				To: from, ICMP: s.ICMP.Name(), Seq: seq,
				Detail: fmt.Sprintf("ICMP type %d code %d from %v to %v, quoting %v > %v seq %d; Linux gives the socket %s\nrecord %d of the capture",
					s.ICMP.Type, s.ICMP.Code, s.ICMP.From, s.ICMP.To, s.ICMP.Src, s.ICMP.Dst, seq, errno, s.N),
			}})
			continue
		}
		if !baseSet[fi] {
			base[fi], baseSet[fi] = s.Seq, true
		}
		seq, ack := s.Seq-base[fi], s.Ack
		if s.Flags&wire.ACK == 0 {
			ack = 0
		} else if baseSet[ti] {
			ack -= base[ti]
		}
		detail := fmt.Sprintf("record %d of the capture, TTL %d", s.N, s.TTL)
		if s.BadSum {
			detail += "\nbad checksum"
		}
		evs = append(evs, ladder.Event{At: at(s.Time), Lane: from, Packet: &ladder.Packet{
			To: to, Flags: s.Flags.String(), Seq: seq, Ack: ack, Len: s.Len, Detail: detail,
		}})
		for _, st := range sides.packet(fi, s) {
			lane := laneOrig
			if st.side == 1 {
				lane = laneResp
			}
			evs = append(evs, ladder.Event{At: at(s.Time), Lane: lane, State: &ladder.State{State: st.state, From: st.from, By: ladder.ByPackets,
				Detail: "inferred from the packets at the capture point: the kernel's state may differ if a packet was lost on either side"}})
		}
	}
	ladder.MarkTCP(evs)
	// The errno each side's application most likely got, on its lane.
	v := c.Verdict()
	var end time.Duration
	if len(evs) > 0 {
		end = evs[len(evs)-1].At
	}
	for _, s := range []struct{ lane, errno string }{{laneOrig, v.OrigErrno}, {laneResp, v.RespErrno}} {
		if s.errno == "" || s.errno == analyze.ErrnoNone {
			continue
		}
		evs = append(evs, ladder.Event{At: end, Lane: s.lane, Note: &ladder.Note{Kind: ladder.NoteKernel,
			Text: "its application most likely got", Errno: s.errno, Detail: "the analysis' verdict: " + v.Cause.Text}})
	}
	d.Events = evs
	for _, n := range sortedKeys(middle) {
		d.Lanes = append(d.Lanes, ladder.Lane{Name: n, Note: "sent ICMP"})
	}
	d.Lanes = append(d.Lanes, ladder.Lane{Name: laneResp, Note: r.String()})
	return d
}

// stateInference follows each side's TCP state through the packets it
// sends and receives, as a kernel at the capture point would move: the
// handshake, the FINs and their acknowledgments, RSTs. A side whose state
// is unknown (a connection seen mid-stream, or packets left out) only
// learns CLOSE from an RST.
type stateInference struct {
	state [2]string
	// finEnd is one past the sequence number of each side's FIN.
	finEnd  [2]uint32
	finSent [2]bool
}

type stateChange struct {
	side        int
	state, from string
}

// forget makes both states unknown, where packets were left out.
func (si *stateInference) forget() {
	si.state = [2]string{}
}

// packet moves the states for a segment sent by side from and returns the
// changes, the sender's first.
func (si *stateInference) packet(from int, s analyze.Segment) []stateChange {
	to := 1 - from
	before := si.state
	f := s.Flags
	syn, ack, fin, rst := f&wire.SYN != 0, f&wire.ACK != 0, f&wire.FIN != 0, f&wire.RST != 0
	if fin && !si.finSent[from] {
		si.finSent[from], si.finEnd[from] = true, s.Seq+uint32(s.Len)+1
	}
	// The sender.
	switch st := &si.state[from]; {
	case rst:
		*st = "CLOSE"
	case syn && !ack && (*st == "" || *st == "CLOSE"):
		*st = "SYN_SENT"
	case syn && ack && (*st == "" || *st == "CLOSE"):
		*st = "SYN_RECV"
	case fin && *st == "ESTABLISHED":
		*st = "FIN_WAIT1"
	case fin && *st == "CLOSE_WAIT":
		*st = "LAST_ACK"
	}
	// The receiver: first what the acknowledgment covers, then the FIN.
	st := &si.state[to]
	switch {
	case rst:
		if *st != "" && *st != "TIME_WAIT" {
			*st = "CLOSE"
		}
	case syn && ack && *st == "SYN_SENT":
		*st = "ESTABLISHED"
	case !syn && ack && *st == "SYN_RECV":
		*st = "ESTABLISHED"
	}
	if !rst && ack && si.finSent[to] && !seqBefore(s.Ack, si.finEnd[to]) {
		switch *st {
		case "FIN_WAIT1":
			*st = "FIN_WAIT2"
		case "CLOSING":
			*st = "TIME_WAIT"
		case "LAST_ACK":
			*st = "CLOSE"
		}
	}
	if fin && !rst {
		switch *st {
		case "ESTABLISHED":
			*st = "CLOSE_WAIT"
		case "FIN_WAIT1":
			*st = "CLOSING"
		case "FIN_WAIT2":
			*st = "TIME_WAIT"
		}
	}
	var out []stateChange
	for _, side := range []int{from, to} {
		if si.state[side] != before[side] && si.state[side] != "" {
			out = append(out, stateChange{side, si.state[side], before[side]})
		}
	}
	return out
}

// seqBefore compares sequence numbers modulo 2³².
func seqBefore(a, b uint32) bool { return int32(a-b) < 0 }

func sortedKeys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }
