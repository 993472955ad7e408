// Package report writes what the lab recorded for people and for programs:
// a text timeline of each run, a matrix of scenarios by transport, and a
// versioned JSON document.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// Schema names the version of the JSON document. It changes when a field
// changes meaning or goes away; adding a field does not change it.
const Schema = "teardown.lab/v1"

// Options say how to write a report.
type Options struct {
	// Color uses ANSI colours (only for a terminal, and not when NO_COLOR
	// is set: the caller decides).
	Color bool
	// All writes the timeline of every run; otherwise only runs that
	// differ are written in full.
	All bool
}

// Document is the JSON form of a report.
type Document struct {
	Schema  string        `json:"schema"`
	Kernel  string        `json:"kernel"`
	Limits  []string      `json:"limits,omitempty"`
	Summary Summary       `json:"summary"`
	Runs    []*lab.Record `json:"runs"`
}

// Summary counts the runs by verdict.
type Summary struct {
	Runs    int `json:"runs"`
	Matched int `json:"matched"`
	Differ  int `json:"differ"`
	Skipped int `json:"skipped"`
	// Failed counts the runs the lab could not carry out (verdict
	// "error").
	Failed int `json:"errors"`
	// SeedDiffers counts steps where this kernel does something other than
	// a source document claims.
	SeedDiffers int `json:"seed_differs"`
	// Sources lists the documents that matched runs reproduce.
	Sources []string `json:"sources,omitempty"`
}

// Summarize counts recs.
func Summarize(recs []*lab.Record) Summary {
	var s Summary
	seen := map[string]bool{}
	for _, r := range recs {
		s.Runs++
		switch r.Verdict {
		case lab.Match:
			s.Matched++
		case lab.Differs:
			s.Differ++
		case lab.Skipped:
			s.Skipped++
		case lab.Failed:
			s.Failed++
		}
		for _, st := range r.Steps {
			if st.SeedDiffers {
				s.SeedDiffers++
			}
		}
		if r.Verdict != lab.Match {
			continue
		}
		for _, src := range r.Sources {
			if !seen[src.Document] {
				seen[src.Document] = true
				s.Sources = append(s.Sources, src.Document)
			}
		}
	}
	slices.Sort(s.Sources)
	return s
}

// JSON writes recs as a Document.
func JSON(w io.Writer, kernel string, limits []string, recs []*lab.Record) error {
	doc := Document{Schema: Schema, Kernel: kernel, Limits: limits, Summary: Summarize(recs), Runs: recs}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

type painter struct{ on bool }

func (p painter) paint(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) red(s string) string   { return p.paint("1;31", s) }
func (p painter) green(s string) string { return p.paint("32", s) }
func (p painter) dim(s string) string   { return p.paint("2", s) }
func (p painter) bold(s string) string  { return p.paint("1", s) }
func (p painter) yellow(s string) string {
	return p.paint("33", s)
}

// Timeline writes one run: its steps with the observed result beside the
// expected one, and under each step what the kernel did.
func Timeline(w io.Writer, r *lab.Record, o Options) {
	p := painter{o.Color}
	fmt.Fprintf(w, "%s on %s: %s\n", p.bold(show(r.Scenario)), r.Transport, verdictWord(p, r.Verdict))
	if r.Title != "" {
		fmt.Fprintf(w, "  %s\n", show(r.Title))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  %s\n", p.dim("note: "+show(n)))
	}
	for _, src := range r.Sources {
		fmt.Fprintf(w, "  %s\n", p.dim("source: "+show(strings.TrimSpace(src.Document+" "+src.Part))))
	}
	for _, t := range r.Timers {
		fmt.Fprintf(w, "  %s\n", p.dim("shortened timer: "+show(t.String())))
	}
	if r.Skip != "" {
		fmt.Fprintf(w, "  skipped: %s\n\n", show(r.Skip))
		return
	}
	var t0 time.Time
	if len(r.Steps) > 0 {
		t0 = r.Steps[0].Start
	}
	for _, st := range r.Steps {
		step(w, p, st, t0)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "  %s %s\n", p.red("lab error:"), show(r.Error))
	}
	if r.Pcap != "" {
		fmt.Fprintf(w, "  %s\n", p.dim("pcap: "+show(r.Pcap)))
	}
	fmt.Fprintln(w)
}

func verdictWord(p painter, v lab.Verdict) string {
	switch v {
	case lab.Match:
		return p.green("matched")
	case lab.Differs:
		return p.red("DIFFERS")
	case lab.Skipped:
		return p.yellow("skipped")
	case lab.Failed:
		return p.red("LAB ERROR") + " (the lab could not carry the run out; this says nothing of the kernel)"
	}
	return string(v)
}

func step(w io.Writer, p painter, st lab.Step, t0 time.Time) {
	at := fmt.Sprintf("%7.3fms", float64(st.Start.Sub(t0).Microseconds())/1000)
	line := "    "
	if st.Line > 0 {
		line = fmt.Sprintf("%4d", st.Line)
	}
	head := fmt.Sprintf("  %s %s  %-34s", p.dim(at), p.dim(line), show(st.Text))
	switch {
	case st.Skip:
		fmt.Fprintf(w, "%s %s\n", head, p.dim("(not on this transport)"))
		return
	case st.Kind == "expect":
		mark := "  "
		switch st.Verdict {
		case lab.Match:
			mark = p.green("ok")
		case lab.Differs:
			mark = p.red("≠ ")
		}
		fmt.Fprintf(w, "%s %s %s\n", head, mark, show(st.Check.Observed))
		if st.Check.Note != "" {
			fmt.Fprintf(w, "%24s%s\n", "", p.yellow(show(st.Check.Note)))
		}
		return
	}
	var got string
	if st.Result != nil {
		got = st.Result.String()
		if st.Moved > 0 {
			got += fmt.Sprintf(" (%d bytes moved)", st.Moved)
		}
	}
	switch st.Verdict {
	case lab.Match:
		got = p.green("= " + got)
	case lab.Differs:
		got = p.red("≠ "+got) + "  " + p.red("expected "+st.Expected.String())
	default:
		if got != "" {
			got = "= " + got
		}
	}
	extra := ""
	if st.Took >= time.Millisecond {
		extra = p.dim(fmt.Sprintf("  took %s", st.Took.Round(time.Millisecond)))
	}
	fmt.Fprintf(w, "%s %s%s\n", head, got, extra)
	if st.Data != "" {
		fmt.Fprintf(w, "%24s%s\n", "", p.dim("data "+quote(st.Data)))
	}
	if st.Seed != nil {
		msg := "seed says " + st.Seed.String()
		if st.SeedDiffers {
			fmt.Fprintf(w, "%24s%s\n", "", p.yellow(msg+"; this kernel differs"))
		} else {
			fmt.Fprintf(w, "%24s%s\n", "", p.dim(msg+"; the kernel agrees"))
		}
	}
	for _, d := range st.Documented {
		how := "documented, not measured"
		if d.Measured {
			how = "measured elsewhere"
		}
		fmt.Fprintf(w, "%24s%s\n", "", p.dim(fmt.Sprintf("%s: %s (%s)", d.OS, d.Result, how)))
	}
	for _, pk := range st.Packets {
		if pk.ICMP != "" {
			fmt.Fprintf(w, "%24s%s\n", "", p.dim(fmt.Sprintf("wire  %s > %s ICMP %s (to seq %d)", pk.From, pk.To, pk.ICMP, pk.Seq)))
			continue
		}
		fmt.Fprintf(w, "%24s%s\n", "", p.dim(fmt.Sprintf("wire  %s > %s [%s] seq %d ack %d len %d", pk.From, pk.To, pk.Flags, pk.Seq, pk.Ack, pk.Len)))
	}
	for _, ev := range st.Events {
		fmt.Fprintf(w, "%24s%s\n", "", p.dim("kernel "+eventText(ev)))
	}
	if len(st.Sockets) > 0 {
		var parts []string
		for _, s := range st.Sockets {
			x := fmt.Sprintf("%s %s", s.Actor, s.State)
			switch {
			case s.State == "LISTEN":
				// sock_diag gives a listener's accept queue and backlog
				// in the queue fields.
				if s.RecvQ > 0 {
					x += fmt.Sprintf(" (%d to accept)", s.RecvQ)
				}
			case s.RecvQ > 0 || s.SendQ > 0:
				x += fmt.Sprintf(" recvq %d sendq %d", s.RecvQ, s.SendQ)
			}
			if s.Orphan {
				x += " (orphan)"
			}
			parts = append(parts, x)
		}
		fmt.Fprintf(w, "%24s%s\n", "", p.dim("state "+strings.Join(parts, ", ")))
	}
	var unread []string
	for _, u := range st.Unread {
		if u.Bytes > 0 {
			unread = append(unread, fmt.Sprintf("%s %d", u.Actor, u.Bytes))
		}
	}
	if len(unread) > 0 {
		fmt.Fprintf(w, "%24s%s\n", "", p.dim("unread "+strings.Join(unread, ", ")))
	}
	if st.Unsettled {
		fmt.Fprintf(w, "%24s%s\n", "", p.yellow("the kernel had not settled when the settle bound ran out"))
	}
}

func eventText(ev lab.Event) string {
	switch ev.Name {
	case "tcp_send_reset", "tcp_receive_reset":
		verb := "sent RST"
		if ev.Name == "tcp_receive_reset" {
			verb = "received RST"
		}
		s := fmt.Sprintf("%s %s", ev.Actor, verb)
		if ev.Reason != "" {
			s += " reason " + ev.Reason
		}
		if ev.State != "" {
			s += " in " + ev.State
		}
		return s
	case "inet_sock_set_state":
		return fmt.Sprintf("%s %s -> %s", ev.Actor, ev.From, ev.To)
	case "inet_sk_error_report":
		return fmt.Sprintf("%s error %s", ev.Actor, ev.Errno)
	}
	return ev.Name + " " + ev.Actor
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Text writes the timelines (all of them, or only the runs that differ)
// and then the matrix.
func Text(w io.Writer, limits []string, recs []*lab.Record, o Options) {
	p := painter{o.Color}
	for _, r := range recs {
		if o.All || r.Verdict == lab.Differs || r.Verdict == lab.Failed {
			Timeline(w, r, o)
		}
	}
	for _, l := range limits {
		fmt.Fprintf(w, "%s %s\n", p.yellow("note:"), show(l))
	}
	if len(limits) > 0 {
		fmt.Fprintln(w)
	}
	Matrix(w, recs, o)
}

// matrixRow is one scenario's runs, by transport.
type matrixRow struct {
	id    string
	cells map[scenario.Transport]*lab.Record
}

// matrixRows groups recs by scenario, sorted by id; of two runs of one
// scenario on one transport, the later is shown.
func matrixRows(recs []*lab.Record) []*matrixRow {
	var rows []*matrixRow
	byID := map[string]*matrixRow{}
	for _, r := range recs {
		rw, ok := byID[r.Scenario]
		if !ok {
			rw = &matrixRow{id: r.Scenario, cells: map[scenario.Transport]*lab.Record{}}
			byID[r.Scenario] = rw
			rows = append(rows, rw)
		}
		rw.cells[r.Transport] = r
	}
	slices.SortStableFunc(rows, func(a, b *matrixRow) int { return cmp.Compare(a.id, b.id) })
	return rows
}

// Matrix writes scenarios by transports, each cell matched, differs or
// skipped, with the reasons for skips and the seed claims this kernel does
// not follow.
func Matrix(w io.Writer, recs []*lab.Record, o Options) {
	p := painter{o.Color}
	rows := matrixRows(recs)
	width := len("scenario")
	for _, rw := range rows {
		width = max(width, len(rw.id))
	}
	fmt.Fprintf(w, "%-*s", width+2, "scenario")
	for _, t := range scenario.Transports {
		fmt.Fprintf(w, " %-10s", t)
	}
	fmt.Fprintln(w)
	var skips, failed, seeds []string
	for _, rw := range rows {
		fmt.Fprintf(w, "%-*s", width+2, show(rw.id))
		for _, t := range scenario.Transports {
			r, ok := rw.cells[t]
			if !ok {
				fmt.Fprintf(w, " %-10s", p.dim("·"))
				continue
			}
			cell := string(r.Verdict)
			for _, st := range r.Steps {
				if st.SeedDiffers {
					cell += "*"
					seeds = append(seeds, fmt.Sprintf("%s on %s, line %d: seed says %s, this kernel %s", r.Scenario, t, st.Line, st.Seed, st.Result))
					break
				}
			}
			pad := strings.Repeat(" ", max(0, 10-len([]rune(cell))))
			switch r.Verdict {
			case lab.Match:
				cell = p.green(cell)
			case lab.Differs:
				cell = p.red(cell)
			case lab.Skipped:
				cell = p.yellow(cell)
				skips = append(skips, fmt.Sprintf("%s on %s: %s", r.Scenario, t, show(r.Skip)))
			case lab.Failed:
				cell = p.red(cell)
				failed = append(failed, fmt.Sprintf("%s on %s: %s", r.Scenario, t, show(r.Error)))
			}
			fmt.Fprintf(w, " %s%s", cell, pad)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s\n", p.dim("· not declared for that transport   * the kernel differs from a seed's claim"))
	if len(failed) > 0 {
		fmt.Fprintln(w, "\nlab errors (the lab could not carry these runs out):")
		for _, s := range failed {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	if len(skips) > 0 {
		fmt.Fprintln(w, "\nskipped:")
		for _, s := range skips {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	uncheckedChecks(w, recs)
	if len(seeds) > 0 {
		fmt.Fprintln(w, "\nwhere this kernel differs from a seed:")
		for _, s := range seeds {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	s := Summarize(recs)
	fmt.Fprintf(w, "\n%d runs: %d matched, %d differ", s.Runs, s.Matched, s.Differ)
	if s.Failed > 0 {
		fmt.Fprintf(w, ", %d lab errors", s.Failed)
	}
	fmt.Fprintf(w, ", %d skipped", s.Skipped)
	if s.Runs > 0 && s.Skipped == s.Runs {
		fmt.Fprintf(w, "; nothing ran: every selected run was skipped")
	}
	if len(s.Sources) > 0 {
		fmt.Fprintf(w, "; sources reproduced: %s", show(strings.Join(s.Sources, " ")))
	}
	fmt.Fprintln(w)
}
