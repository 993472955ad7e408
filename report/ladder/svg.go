package ladder

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// WriteSVG writes the diagram as one <svg> element, to be placed inline in
// an HTML page that includes CSS. Every packet, call, state and note is a
// <g> whose class says what it is and whose data- attributes carry its
// facts, so that what a browser built can be checked against the input.
func (d *Diagram) WriteSVG(w io.Writer) error {
	l := newLayout(d)
	var b svgBuf
	b.maxX = firstLane + float64(max(len(l.lanes)-1, 0))*laneGap + 80
	l.lifelines(&b)
	for i := range l.rows {
		l.drawRow(&b, i)
	}
	width := math.Ceil(b.maxX + 16)
	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" class="ladder" role="img" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f"><title>%s</title>`+"\n%s</svg>\n",
		width, l.height, width, l.height, Escape(d.Title), b.String())
	return err
}

// svgBuf collects the diagram's elements and how far right they reach.
type svgBuf struct {
	strings.Builder
	maxX float64
}

func (b *svgBuf) f(format string, args ...any) { fmt.Fprintf(b, format, args...) }

// reach notes that text of n characters of width cw starts at x.
func (b *svgBuf) reach(x float64, n int, cw float64) float64 {
	end := x + float64(n)*cw
	b.maxX = max(b.maxX, end)
	return end
}

func textLen(s string) int { return utf8.RuneCountInString(s) }

// lifelines draws each lane's head and its line, cut at each break.
func (l *layout) lifelines(b *svgBuf) {
	b.f(`<g class="lanes">`)
	for _, ln := range l.lanes {
		x := l.x[ln.Name]
		w := max(110, float64(textLen(ln.Name))*charW+20, float64(textLen(ln.Note))*smallW+20)
		b.f(`<g class="lane" data-lane="%s"><rect class="head" x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="5"/>`, Escape(ln.Name), x-w/2, headTop, w, headH)
		ny := headTop + 23.0
		if ln.Note != "" {
			ny = headTop + 17
			b.f(`<text class="lnote" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, headTop+30, Escape(ln.Note))
		}
		b.f(`<text class="lname" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, ny, Escape(ln.Name))
		b.maxX = max(b.maxX, x+w/2)
		y0 := headTop + headH
		for _, r := range l.rows {
			if r.kind != rowBreak {
				continue
			}
			cut := r.top + r.h/2
			b.f(`<line class="life" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x, y0, x, cut-7)
			b.f(`<path class="cut" d="M%.1f %.1fl12 -4M%.1f %.1fl12 -4"/>`, x-6, cut-3, x-6, cut+5)
			y0 = cut + 7
		}
		b.f(`<line class="life" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/></g>`, x, y0, x, l.height-8)
	}
	b.f("</g>\n")
}

func (l *layout) drawRow(b *svgBuf, i int) {
	r := &l.rows[i]
	if r.kind == rowBreak {
		t := l.breakText(r)
		b.f(`<g class="break" data-gap="%d"><text x="%.1f" y="%.1f">%s</text></g>`+"\n", r.gap.Nanoseconds(), gutter-82, r.top+r.h/2+4, Escape(t))
		b.reach(gutter-82, textLen(t), charW)
		return
	}
	b.f(`<text class="at" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, gutter-8, r.top+16, At(r.at))
	if r.kind == rowReturn {
		return // drawn with its call
	}
	e := l.d.Events[r.ev]
	switch {
	case e.Packet != nil:
		l.packet(b, r, e)
	case e.Call != nil:
		l.call(b, r, e)
	case e.State != nil:
		l.state(b, r, e)
	case e.Note != nil:
		l.note(b, r, e)
	}
	b.f("\n")
}

// PacketLabel is what the diagram writes over a packet's arrow.
func PacketLabel(p *Packet) string {
	var s string
	if p.ICMP != "" {
		s = "ICMP " + p.ICMP
	} else {
		s = fmt.Sprintf("%s seq %d ack %d len %d", p.Flags, p.Seq, p.Ack, p.Len)
	}
	if p.Retransmission {
		s = "retransmission " + s
	}
	if p.Lost != "" {
		s += " ✕ no reply"
	}
	return s
}

func packetClass(p *Packet) string {
	c := "pk"
	switch {
	case p.ICMP != "":
		c += " icmp"
	case strings.Contains(p.Flags, "R"):
		c += " rst"
	case strings.Contains(p.Flags, "F"):
		c += " fin"
	case strings.Contains(p.Flags, "S"):
		c += " syn"
	case p.Len > 0:
		c += " data"
	default:
		c += " ack"
	}
	if p.Retransmission {
		c += " retrans"
	}
	if p.Lost != "" {
		c += " lost"
	}
	return c
}

func (l *layout) packet(b *svgBuf, r *row, e Event) {
	p := e.Packet
	x1, x2 := l.x[e.Lane], l.x[p.To]
	label := PacketLabel(p)
	title := fmt.Sprintf("%s → %s: %s", e.Lane, p.To, label)
	if p.Reason != "" {
		title += "\nthe kernel's reason: " + p.Reason
	}
	if p.Lost != "" {
		title += "\nlost: " + p.Lost
	}
	if p.Detail != "" {
		title += "\n" + p.Detail
	}
	title += "\nat " + At(e.At)
	b.f(`<g class="%s" data-from="%s" data-to="%s" data-flags="%s" data-seq="%d" data-ack="%d" data-len="%d" data-icmp="%s" data-at="%d"><title>%s</title>`,
		packetClass(p), Escape(e.Lane), Escape(p.To), Escape(p.Flags), p.Seq, p.Ack, p.Len, Escape(p.ICMP), e.At.Nanoseconds(), Escape(title))
	y1, y2 := r.top+20, r.top+28
	if x1 == x2 {
		// Sender and receiver on one lane: a loop to the right.
		b.f(`<path class="arrow" d="M%.1f %.1fh40v8h-36"/><path class="head" d="M%.1f %.1fl8 -4v8z"/>`, x1, y1, x1+4, y2)
		x2 = x1 + 40
	} else {
		dir := 1.0
		if x2 < x1 {
			dir = -1
		}
		end := x2 - dir*2
		if p.Lost != "" {
			// A lost packet stops short of its receiver, at a cross.
			end = x1 + (x2-x1)*0.7
			y2 = y1 + (y2-y1)*0.7
			b.f(`<path class="cross" d="M%.1f %.1fl8 8m0 -8l-8 8"/>`, end-4, y2-4)
		}
		b.f(`<line class="arrow" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x1, y1, end, y2)
		if p.Lost == "" {
			// The head: a triangle along the line's direction.
			dx, dy := end-x1, y2-y1
			n := math.Hypot(dx, dy)
			ux, uy := dx/n, dy/n
			bx, by := end-ux*10, y2-uy*10
			b.f(`<path class="head" d="M%.1f %.1fL%.1f %.1fL%.1f %.1fz"/>`, end, y2, bx-uy*4, by+ux*4, bx+uy*4, by-ux*4)
		}
	}
	mid := (x1 + x2) / 2
	lx := mid - float64(textLen(label))*charW/2
	b.f(`<text class="plabel" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, mid, r.top+14, Escape(label))
	b.reach(lx, textLen(label), charW)
	if p.Reason != "" {
		t := "reason " + p.Reason
		b.f(`<text class="reason" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, mid, r.top+41, Escape(t))
		b.reach(mid-float64(textLen(t))*charW/2, textLen(t), charW)
	}
	b.f(`</g>`)
}

// CallLabel is what the diagram writes for a call: the call, its result,
// SIGPIPE, and the expectation when the result differs from it.
func CallLabel(c *Call) string {
	s := c.Op + " → " + c.Result
	if c.SIGPIPE {
		s += " +SIGPIPE"
	}
	if c.Expected != "" {
		s += " (expected " + c.Expected + ")"
	}
	return s
}

func (l *layout) call(b *svgBuf, r *row, e Event) {
	c := e.Call
	x := l.x[e.Lane]
	cls := "call"
	if c.Expected != "" {
		cls += " differs"
	}
	if c.SIGPIPE {
		cls += " sigpipe"
	}
	title := e.Lane + ": " + CallLabel(c)
	if c.Took > 0 {
		title += "\ntook " + Duration(c.Took)
	}
	if c.Detail != "" {
		title += "\n" + c.Detail
	}
	title += "\nat " + At(e.At)
	b.f(`<g class="%s" data-actor="%s" data-op="%s" data-result="%s" data-sigpipe="%t" data-at="%d"><title>%s</title>`,
		cls, Escape(e.Lane), Escape(c.Op), Escape(c.Result), c.SIGPIPE, e.At.Nanoseconds(), Escape(title))
	rt, split := l.ret[r.ev]
	if split {
		// The call blocked while other things happened: its start here,
		// a bar down the lifeline, and its result where it returned.
		ret := &l.rows[rt]
		b.f(`<rect class="active" x="%.1f" y="%.1f" width="8" height="%.1f"/>`, x-4, r.top+20, ret.top+4-(r.top+20))
		l.callBox(b, x, r.top, c.Op+" …", nil)
		l.callBox(b, x, ret.top, "", c)
	} else {
		l.callBox(b, x, r.top, c.Op+" ", c)
	}
	b.f(`</g>`)
}

// callBox draws a box on the lifeline at x with text, then the call's
// result (when c is not nil) with its errno linked.
func (l *layout) callBox(b *svgBuf, x, top float64, text string, c *Call) {
	var parts strings.Builder
	n := textLen(text)
	parts.WriteString(Escape(text))
	if c != nil {
		res := "→ " + c.Result
		n += textLen(res)
		if href := l.link(c.Errno); href != "" {
			fmt.Fprintf(&parts, `<a href="%s"><tspan class="result errno">%s</tspan></a>`, Escape(href), Escape(res))
		} else {
			fmt.Fprintf(&parts, `<tspan class="result">%s</tspan>`, Escape(res))
		}
		if c.SIGPIPE {
			parts.WriteString(`<tspan class="sig"> ⚡SIGPIPE</tspan>`)
			n += 10
		}
		if c.Expected != "" {
			t := "  expected " + c.Expected
			fmt.Fprintf(&parts, `<tspan class="expected">%s</tspan>`, Escape(t))
			n += textLen(t)
		}
	}
	w := float64(n)*charW + 14
	b.f(`<rect class="box" x="%.1f" y="%.1f" width="%.1f" height="18" rx="4"/><text x="%.1f" y="%.1f">%s</text>`, x-6, top+4, w, x+2, top+17, parts.String())
	b.maxX = max(b.maxX, x-6+w)
}

func (l *layout) link(errno string) string {
	if errno == "" || l.d.Link == nil {
		return ""
	}
	return l.d.Link(errno)
}

// StateLabel is what the diagram writes for a state.
func StateLabel(s *State) string {
	if s.Orphan {
		return s.State + " · orphan"
	}
	return s.State
}

var stateSources = map[StateSource]string{
	ByTrace:   "the kernel's trace, as it changed",
	ByDump:    "a listing of the sockets",
	ByPackets: "the packets",
}

func (l *layout) state(b *svgBuf, r *row, e Event) {
	s := e.State
	x := l.x[e.Lane]
	cls := "st"
	switch s.State {
	case "TIME_WAIT":
		cls += " tw"
	case "CLOSE", "CLOSED":
		cls += " closed"
	case "ESTABLISHED":
		cls += " est"
	}
	if s.Orphan {
		cls += " orphan"
	}
	label := StateLabel(s)
	title := e.Lane + ": " + label
	if s.From != "" {
		title = e.Lane + ": " + s.From + " → " + label
	}
	if s.Detail != "" {
		title += "\n" + s.Detail
	}
	if s.By != "" {
		src, ok := stateSources[s.By]
		if !ok {
			src = string(s.By)
		}
		title += "\nknown from: " + src
	}
	title += "\nat " + At(e.At)
	w := float64(textLen(label))*smallW + 12
	b.f(`<g class="%s" data-actor="%s" data-state="%s" data-from="%s" data-orphan="%t" data-by="%s" data-at="%d"><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="16" rx="8"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text></g>`,
		cls, Escape(e.Lane), Escape(s.State), Escape(s.From), s.Orphan, Escape(string(s.By)), e.At.Nanoseconds(), Escape(title), x-w/2, r.top+4, w, x, r.top+15.5, Escape(label))
	b.maxX = max(b.maxX, x+w/2)
}

func (l *layout) note(b *svgBuf, r *row, e Event) {
	n := e.Note
	x := firstLane - 60
	if e.Lane != "" {
		x = l.x[e.Lane] + 10
	}
	title := n.Text
	if n.Errno != "" {
		title += " " + n.Errno
	}
	if n.Detail != "" {
		title += "\n" + n.Detail
	}
	title += "\nat " + At(e.At)
	b.f(`<g class="note %s" data-lane="%s" data-at="%d"><title>%s</title>`, Escape(string(n.Kind)), Escape(e.Lane), e.At.Nanoseconds(), Escape(title))
	if e.Lane == "" && n.Kind == NoteFault {
		right := firstLane + float64(len(l.lanes)-1)*laneGap + 60
		b.f(`<line class="rule" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x, r.top+20, right, r.top+20)
	}
	if e.Lane != "" {
		b.f(`<path class="mark" d="M%.1f %.1fl5 5l-5 5l-5 -5z"/>`, l.x[e.Lane], r.top+7)
	}
	b.f(`<text x="%.1f" y="%.1f">%s`, x, r.top+16, Escape(n.Text))
	chars := textLen(n.Text)
	if n.Errno != "" {
		if href := l.link(n.Errno); href != "" {
			b.f(` <a href="%s"><tspan class="errno">%s</tspan></a>`, Escape(href), Escape(n.Errno))
		} else {
			b.f(` <tspan class="errno">%s</tspan>`, Escape(n.Errno))
		}
		chars += 1 + textLen(n.Errno)
	}
	b.f(`</text></g>`)
	b.reach(x, chars, charW)
}
