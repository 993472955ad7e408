package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/report/ladder"
	"github.com/teardown-net/teardown/scenario"
)

// laneOrder puts the usual actors where a reader looks for them: the
// client left, its peer next, the listener (which only the handshake
// reaches) right of them. Other actors follow in the order the run names
// them.
var laneOrder = []string{"client", "router", "server", "listener"}

// Diagram turns one run into the ladder it draws: each call at its start,
// each packet, each state change the kernel reported, the kernel's reason
// beside the RST it sent, and each statement without a call (setup,
// sleep, fault, expect) as a note. link, when not nil, gives the address of
// an errno's explanation.
func Diagram(r *lab.Record, link func(errno string) string) *ladder.Diagram {
	d := &ladder.Diagram{Title: r.Scenario + " on " + string(r.Transport), Link: link}
	var t0 time.Time
	if len(r.Steps) > 0 {
		t0 = r.Steps[0].Start
	}
	at := func(t time.Time) time.Duration { return max(t.Sub(t0), 0) }
	var evs []timed
	add := func(t time.Time, e ladder.Event) {
		e.At = at(t)
		evs = append(evs, timed{Event: e, t: t})
	}
	// shown is the state last drawn for each actor, orphaned whether it
	// was drawn as an orphan.
	shown, orphaned := map[string]string{}, map[string]bool{}
	for _, st := range r.Steps {
		if st.Skip {
			continue
		}
		switch st.Kind {
		case "op":
			add(st.Start, ladder.Event{Lane: st.Actor, Call: call(st)})
		case "expect":
			n := &ladder.Note{Kind: ladder.NoteCheck, Text: "✓ " + opText(st.Text, "")}
			if st.Check != nil {
				n.Detail = "observed: " + st.Check.Observed
				if st.Check.Note != "" {
					n.Detail += "\n" + st.Check.Note
				}
			}
			switch st.Verdict {
			case lab.Differs:
				n.Kind, n.Text = ladder.NoteDiffers, "≠ "+opText(st.Text, "")+" — observed "+st.Check.Observed
			case lab.Unchecked:
				n.Text = "? " + opText(st.Text, "")
				if st.Check != nil && st.Check.Note != "" {
					n.Text += " — " + st.Check.Note
				}
			}
			add(st.Start, ladder.Event{Note: n})
		case "fault":
			add(st.Start, ladder.Event{Note: &ladder.Note{Kind: ladder.NoteFault, Text: st.Text, Detail: stepDetail(st)}})
		default:
			add(st.Start, ladder.Event{Note: &ladder.Note{Kind: ladder.NoteStep, Text: st.Text, Detail: stepDetail(st)}})
		}
		for _, p := range st.Packets {
			add(p.Time, ladder.Event{Lane: p.From, Packet: &ladder.Packet{To: p.To, Flags: p.Flags, Seq: p.Seq, Ack: p.Ack, Len: p.Len, ICMP: p.ICMP}})
		}
		end := st.Start.Add(st.Took)
		for j, ev := range st.Events {
			if ev.Time.After(end) {
				end = ev.Time
			}
			switch ev.Name {
			case "inet_sock_set_state":
				add(ev.Time, ladder.Event{Lane: ev.Actor, State: &ladder.State{State: ev.To, From: ev.From, By: ladder.ByTrace, Detail: "peer " + ev.Peer}})
				shown[ev.Actor] = ev.To
			case "tcp_send_reset", "tcp_receive_reset", "inet_sk_error_report":
				e := ladder.Event{Lane: ev.Actor, Note: &ladder.Note{Kind: ladder.NoteKernel, Text: eventText(ev), Detail: "tracepoint " + ev.Name}}
				if ev.Name == "inet_sk_error_report" {
					e.Note.Text, e.Note.Errno = ev.Actor+" is told", ev.Errno
				}
				add(ev.Time, e)
				if ev.Name != "inet_sk_error_report" {
					evs[len(evs)-1].reset = &st.Events[j]
				}
			}
		}
		for _, p := range st.Packets {
			if p.Time.After(end) {
				end = p.Time
			}
		}
		if st.Unsettled {
			add(end, ladder.Event{Note: &ladder.Note{Kind: ladder.NoteStep, Text: "the kernel had not settled when the settle bound ran out"}})
		}
		// The socket dump after the step shows what the kernel's trace
		// cannot: that the application has closed a socket the kernel
		// keeps (an orphan), and the state of a socket that replaced
		// another (TIME_WAIT, after the trace's CLOSE of the full socket).
		// Without tracing, it is all there is.
		for _, s := range st.Sockets {
			orphan := s.Orphan && !orphaned[s.Actor]
			orphaned[s.Actor] = s.Orphan
			if !orphan && shown[s.Actor] == s.State {
				continue
			}
			detail := "after the step"
			switch {
			case orphan:
				detail = "after the step: closed by the application, kept by the kernel"
			case shown[s.Actor] == "CLOSE" && (s.State == "TIME_WAIT" || s.State == "FIN_WAIT2"):
				// The trace reports the full socket's end; the kernel
				// keeps the connection's last state in a timewait socket.
				detail = "after the step: the kernel keeps the connection in a timewait socket after the full socket's CLOSE"
			}
			add(end, ladder.Event{Lane: s.Actor, State: &ladder.State{State: s.State, From: shown[s.Actor], Orphan: orphan, By: ladder.ByDump, Detail: detail}})
			shown[s.Actor] = s.State
		}
	}
	slices.SortStableFunc(evs, func(a, b timed) int { return a.t.Compare(b.t) })
	// The kernel's account of a reset goes with the RST it describes: the
	// sender's reason beside the arrow, the receiver's in its title. An
	// account with no packet to go with it stays a note of its own.
	var out []ladder.Event
	for i, e := range evs {
		if e.reset != nil && attachReset(evs, i) {
			continue
		}
		if e.reset != nil && e.reset.Name == "tcp_send_reset" && r.Env.Capture {
			e.Note.Text += "; not on the wire"
		}
		out = append(out, e.Event)
	}
	ladder.MarkTCP(out)
	d.Events = out
	for _, name := range laneOrder {
		if uses(out, name) {
			d.Lanes = append(d.Lanes, ladder.Lane{Name: name})
		}
	}
	return d
}

// timed is an event of the diagram with the time it happened.
type timed struct {
	ladder.Event
	t time.Time
	// reset is the kernel's account of an RST the event was made from.
	reset *lab.Event
}

// attachReset puts the reset event evs[i] on the nearest RST between the
// same two actors (within a millisecond), and reports whether it found
// one.
func attachReset(evs []timed, i int) bool {
	ev := evs[i].reset
	from, to := ev.Actor, ev.Peer
	if ev.Name == "tcp_receive_reset" {
		from, to = to, from
	}
	best, bestGap := -1, time.Duration(0)
	for j := range evs {
		p := evs[j].Packet
		if p == nil || !strings.Contains(p.Flags, "R") || evs[j].Lane != from || p.To != to {
			continue
		}
		if ev.Name == "tcp_send_reset" && p.Reason != "" {
			continue // taken by another account
		}
		gap := evs[j].t.Sub(evs[i].t)
		if gap < 0 {
			gap = -gap
		}
		if gap <= time.Millisecond && (best < 0 || gap < bestGap) {
			best, bestGap = j, gap
		}
	}
	if best < 0 {
		return false
	}
	p := evs[best].Packet
	if ev.Name == "tcp_send_reset" {
		p.Reason = ev.Reason
		if p.Reason == "" {
			p.Reason = "none given by this kernel"
		}
	}
	p.Detail = strings.TrimSpace(p.Detail + "\nthe kernel: " + eventText(*ev))
	return true
}

func uses(evs []ladder.Event, name string) bool {
	for _, e := range evs {
		if e.Lane == name || e.Packet != nil && e.Packet.To == name {
			return true
		}
	}
	return false
}

// call describes an op step's call.
func call(st lab.Step) *ladder.Call {
	c := &ladder.Call{Op: opText(st.Text, st.Actor), Took: st.Took}
	if st.Result != nil {
		res := *st.Result
		c.SIGPIPE, res.SIGPIPE = res.SIGPIPE, false
		c.Result = res.String()
		if res.Kind == scenario.ResultErrno {
			c.Errno = res.Errno
		}
	} else {
		c.Result = "no result"
	}
	if st.Verdict == lab.Differs && st.Expected != nil {
		c.Expected = st.Expected.String()
	}
	c.Detail = stepDetail(st)
	return c
}

// stepDetail is the hover text of a step: its line and all it recorded
// beyond the result.
func stepDetail(st lab.Step) string {
	var lines []string
	if st.Line > 0 {
		lines = append(lines, fmt.Sprintf("line %d: %s", st.Line, strings.Join(strings.Fields(st.Text), " ")))
	}
	if st.Moved > 0 {
		lines = append(lines, fmt.Sprintf("%d bytes moved", st.Moved))
	}
	if st.Data != "" {
		lines = append(lines, "data "+quote(st.Data))
	}
	if st.Seed != nil {
		s := "seed says " + st.Seed.String()
		if st.SeedDiffers {
			s += "; this kernel differs"
		}
		lines = append(lines, s)
	}
	for _, d := range st.Documented {
		how := "documented, not measured"
		if d.Measured {
			how = "measured elsewhere"
		}
		lines = append(lines, fmt.Sprintf("%s: %s (%s)", d.OS, d.Result, how))
	}
	if st.Unsettled {
		lines = append(lines, "the kernel had not settled when the settle bound ran out")
	}
	return strings.Join(lines, "\n")
}

// opText is a statement without its actor and its expectation: "read 16".
func opText(text, actor string) string {
	if i := strings.Index(text, "->"); i >= 0 {
		text = text[:i]
	}
	f := strings.Fields(text)
	if actor != "" && len(f) > 0 && f[0] == actor {
		f = f[1:]
	}
	return strings.Join(f, " ")
}
