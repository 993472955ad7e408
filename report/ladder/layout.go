package ladder

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// BreakAfter is the shortest quiet time drawn as a break in the lifelines
// (with its duration) rather than as the next row: rows keep a readable
// spacing whatever the times, and a long wait — retransmissions, a timer —
// is still seen as one. It is longer than the lab's settling between
// steps, shorter than Linux's delayed ACK (40ms).
const BreakAfter = 20 * time.Millisecond

// SplitAfter is the shortest call drawn from its start to its return when
// other events happen meanwhile; a shorter call is drawn at its start with
// its result, as what it set off happened within microseconds.
const SplitAfter = time.Millisecond

type rowKind int

const (
	rowEvent rowKind = iota
	// rowReturn is where a call that other events happened during
	// returns.
	rowReturn
	rowBreak
)

// row is one line of the diagram, top to bottom.
type row struct {
	kind rowKind
	at   time.Duration
	// ev is the event drawn (the call, for rowReturn).
	ev int
	// gap and blocked describe a break: how long nothing happened, and
	// the calls that were blocked meanwhile.
	gap     time.Duration
	blocked []int
	top, h  float64
}

// Geometry, in CSS pixels.
const (
	gutter    = 96.0 // the column of times, left of the first lane
	laneGap   = 260.0
	firstLane = gutter + 70
	headTop   = 8.0
	headH     = 36.0
	rowsTop   = headTop + headH + 14
	// charW and smallW are the advance of one character of the 12px and
	// 10px monospace fonts the CSS asks for (0.6em for DejaVu Sans Mono,
	// Liberation Mono and Menlo alike): with them the layout needs no
	// script to measure text.
	charW  = 7.25
	smallW = 6.05
)

// layout is a diagram placed on the page.
type layout struct {
	d     *Diagram
	lanes []Lane
	x     map[string]float64
	rows  []row
	// ret maps a call's event index to the row where it returns.
	ret    map[int]int
	height float64
}

func newLayout(d *Diagram) *layout {
	l := &layout{d: d, x: map[string]float64{}, ret: map[int]int{}}
	addLane := func(name string) {
		if _, ok := l.x[name]; ok || name == "" {
			return
		}
		l.x[name] = firstLane + float64(len(l.lanes))*laneGap
		l.lanes = append(l.lanes, Lane{Name: name})
	}
	for _, ln := range d.Lanes {
		if _, ok := l.x[ln.Name]; ok || ln.Name == "" {
			continue
		}
		addLane(ln.Name)
		l.lanes[len(l.lanes)-1].Note = ln.Note
	}
	for _, e := range d.Events {
		addLane(e.Lane)
		if e.Packet != nil {
			addLane(e.Packet.To)
		}
	}
	l.placeRows()
	return l
}

// placeRows orders the rows: each event, the return of each call that
// others happened during, and a break wherever nothing happened for
// BreakAfter or more.
func (l *layout) placeRows() {
	type open struct {
		ev  int
		end time.Duration
	}
	var pending []open
	last := time.Duration(-1)
	add := func(r row) {
		if last >= 0 && r.at-last >= BreakAfter {
			b := row{kind: rowBreak, at: r.at, gap: r.at - last}
			for _, p := range pending {
				b.blocked = append(b.blocked, p.ev)
			}
			l.rows = append(l.rows, b)
		}
		if r.kind == rowReturn {
			l.ret[r.ev] = len(l.rows)
		}
		l.rows = append(l.rows, r)
		last = max(last, r.at)
	}
	flush := func(until time.Duration, all bool) {
		for len(pending) > 0 && (all || pending[0].end <= until) {
			add(row{kind: rowReturn, at: pending[0].end, ev: pending[0].ev})
			pending = pending[1:]
		}
	}
	evs := l.d.Events
	for i, e := range evs {
		flush(e.At, false)
		add(row{kind: rowEvent, at: e.At, ev: i})
		if c := e.Call; c != nil && c.Took >= SplitAfter && i+1 < len(evs) && evs[i+1].At < e.At+c.Took {
			o := open{ev: i, end: e.At + c.Took}
			at, _ := slices.BinarySearchFunc(pending, o, func(a, b open) int { return int(a.end - b.end) })
			pending = slices.Insert(pending, at, o)
		}
	}
	flush(0, true)
	y := rowsTop
	for i := range l.rows {
		r := &l.rows[i]
		r.top, r.h = y, l.rowHeight(r)
		y += r.h
	}
	l.height = y + 16
}

func (l *layout) rowHeight(r *row) float64 {
	switch r.kind {
	case rowBreak:
		return 34
	case rowReturn:
		return 24
	}
	e := l.d.Events[r.ev]
	switch {
	case e.Packet != nil && e.Packet.Reason != "":
		return 46
	case e.Packet != nil:
		return 34
	case e.Call != nil:
		return 26
	}
	return 24
}

// breakText says what a break stands for.
func (l *layout) breakText(r *row) string {
	s := "⋯ " + Duration(r.gap) + " ⋯"
	var who []string
	for _, i := range r.blocked {
		e := l.d.Events[i]
		who = append(who, fmt.Sprintf("%s's %s blocked", e.Lane, e.Call.Op))
	}
	if len(who) > 0 {
		s += "  " + strings.Join(who, ", ")
	}
	return s
}

// Duration writes d for a reader: three significant digits at most, in
// the unit that suits it.
func Duration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d)
	case d < time.Millisecond:
		return trim(float64(d)/1e3) + " µs"
	case d < time.Second:
		return trim(float64(d)/1e6) + " ms"
	}
	return trim(float64(d)/1e9) + " s"
}

func trim(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// At writes a time since the diagram's start, in milliseconds with
// microsecond resolution: the column of times reads down evenly.
func At(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/1e6)
}
