package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// A Result is what explain says about one input.
type Result struct {
	// Findings are the entries the input mentions, best first.
	Findings []Finding
	// Tied lists the ids that rank first together, when the input supports
	// two answers or more equally ("SSL_ERROR_SYSCALL" is an EOF or a
	// reset); nil when one answer ranks first alone. See Tied.
	Tied []string
	// Nearest are entries resembling the input, set when nothing was found.
	Nearest []*Entry
	// Texts asks WriteText and WriteJSON to include what each program
	// prints for the errors found.
	Texts bool
}

// Explain matches input against the base and, when nothing is found, looks
// for the entries nearest to it.
func (b *Base) Explain(input string, opt Options) Result {
	r := Result{Findings: b.Match(input, opt)}
	r.Tied = Tied(r.Findings)
	if len(r.Findings) == 0 {
		r.Nearest = b.Nearest(input, 3)
	}
	return r
}

// Nearest returns up to n entries whose names or texts share the most
// character trigrams with input, for "did you mean" answers.
func (b *Base) Nearest(input string, n int) []*Entry {
	if len(input) > 4096 {
		input = input[:4096]
	}
	in := trigrams(fold(input))
	if len(in) == 0 {
		return nil
	}
	type scored struct {
		e *Entry
		s float64
	}
	var all []scored
	for _, e := range b.Entries {
		best := 0.0
		for _, kt := range b.index.grams[e] {
			common := 0
			for t := range kt {
				if in[t] {
					common++
				}
			}
			// Dice coefficient over the key's and the input's trigrams.
			if s := 2 * float64(common) / float64(len(kt)+len(in)); s > best {
				best = s
			}
		}
		if best >= 0.25 {
			all = append(all, scored{e, best})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].s > all[j].s })
	var out []*Entry
	for i := 0; i < len(all) && i < n; i++ {
		out = append(out, all[i].e)
	}
	return out
}

func trigrams(s string) map[string]bool {
	s = " " + strings.Join(strings.Fields(s), " ") + " "
	m := map[string]bool{}
	r := []rune(s)
	for i := 0; i+3 <= len(r); i++ {
		m[string(r[i:i+3])] = true
	}
	return m
}

// WriteText writes the compact form meant for a terminal.
func (r Result) WriteText(w io.Writer) error {
	var b strings.Builder
	if len(r.Findings) == 0 {
		b.WriteString("no known error found\n")
		if len(r.Nearest) > 0 {
			b.WriteString("nearest:\n")
			for _, e := range r.Nearest {
				fmt.Fprintf(&b, "  %-20s %s\n", e.ID, e.Title)
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	if len(r.Tied) > 0 {
		fmt.Fprintf(&b, "equally likely: %s (the input does not tell them apart)\n\n", strings.Join(r.Tied, ", "))
	}
	for i, f := range r.Findings {
		if i > 0 {
			b.WriteString("\n")
		}
		e := f.Entry
		fmt.Fprintf(&b, "%s — %s [%s]\n", e.ID, e.Title, e.Kind)
		fmt.Fprintf(&b, "  matched: %s\n", evidenceLine(f.Evidence))
		if nums := numbersLine(e); nums != "" {
			fmt.Fprintf(&b, "  numbers: %s\n", nums)
		}
		fmt.Fprintf(&b, "  means:   %s\n", e.Summary)
		fmt.Fprintf(&b, "  wire:    %s — %s\n", e.Wire.Event, e.Wire.Detail)
		fmt.Fprintf(&b, "  data:    %s — %s\n", lossWord(e.DataLoss.May), e.DataLoss.Why)
		fmt.Fprintf(&b, "  retry:   %s\n", e.Action.Retry)
		fmt.Fprintf(&b, "  close:   %s\n", e.Action.Close)
		if len(e.Scenarios) > 0 {
			fmt.Fprintf(&b, "  lab:     %s\n", strings.Join(e.Scenarios, ", "))
		}
		if len(e.Related) > 0 {
			fmt.Fprintf(&b, "  see:     %s\n", strings.Join(e.Related, ", "))
		}
		if r.Texts {
			b.WriteString("  texts:\n")
			for _, t := range e.Texts {
				fmt.Fprintf(&b, "    %s\n", textLine(t))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// textLine shows one text: who prints it, then what.
func textLine(t Text) string {
	who := t.By
	if t.OS != "" && t.OS != t.By {
		who += "/" + t.OS
	}
	if t.Lang != "" {
		who += " " + t.Lang
	}
	var parts []string
	if t.Class != "" {
		parts = append(parts, t.Class)
	}
	if t.Code != "" {
		parts = append(parts, "code "+t.Code)
	}
	if t.Text != "" {
		parts = append(parts, strconv.Quote(t.Text))
	}
	return fmt.Sprintf("%-16s %s", who+":", strings.Join(parts, " "))
}

func lossWord(may string) string {
	switch may {
	case "yes":
		return "data lost"
	case "no":
		return "no data lost"
	}
	return "data may be lost"
}

// evidenceLine groups evidence that matched the same text (a number read
// in several OSes' numbering, say) into one item.
func evidenceLine(ev []Evidence) string {
	type item struct {
		kind, match string
		by, os      []string
		lang        string
	}
	var items []*item
	find := func(x Evidence) *item {
		for _, it := range items {
			if it.kind == x.Kind && it.match == x.Match && it.lang == x.Lang {
				return it
			}
		}
		it := &item{kind: x.Kind, match: x.Match, lang: x.Lang}
		items = append(items, it)
		return it
	}
	for _, x := range ev {
		it := find(x)
		it.by = appendNew(it.by, x.By...)
		if x.OS != "" {
			it.os = appendNew(it.os, x.OS)
		}
	}
	var parts []string
	for _, it := range items {
		s := fmt.Sprintf("%s %q", it.kind, it.match)
		var who []string
		who = append(who, it.by...)
		if it.lang != "" {
			who = append(who, "locale "+it.lang)
		}
		who = append(who, it.os...)
		if len(who) > 0 {
			s += " (" + strings.Join(who, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		dup := false
		for _, l := range list {
			dup = dup || l == a
		}
		if !dup {
			list = append(list, a)
		}
	}
	return list
}

func numbersLine(e *Entry) string {
	var parts []string
	for _, os := range OSes {
		n, ok := e.Numbers[os]
		if !ok {
			continue
		}
		s := fmt.Sprintf("%s %d", os, n)
		if names := e.Names[os]; len(names) > 0 && os == Windows {
			s += " " + names[0]
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// JSONVersion is the version of the JSON document WriteJSON writes;
// docs/explain.md describes it.
const JSONVersion = 1

type jsonFinding struct {
	ID       string     `json:"id"`
	Score    int        `json:"score"`
	Evidence []Evidence `json:"evidence"`
	Entry    *Entry     `json:"entry"`
}

// withoutTexts returns a copy of e without its texts, which JSON output
// leaves out unless asked: they are the bulk of an entry.
func withoutTexts(e *Entry) *Entry {
	c := *e
	c.Texts = nil
	return &c
}

type jsonResult struct {
	Version  int           `json:"version"`
	Found    bool          `json:"found"`
	Tied     []string      `json:"tied,omitempty"`
	Findings []jsonFinding `json:"findings"`
	Nearest  []string      `json:"nearest,omitempty"`
}

// WriteJSON writes the result as one indented JSON document.
func (r Result) WriteJSON(w io.Writer) error {
	out := jsonResult{Version: JSONVersion, Found: len(r.Findings) > 0, Tied: r.Tied, Findings: []jsonFinding{}}
	for _, f := range r.Findings {
		e := f.Entry
		if !r.Texts {
			e = withoutTexts(e)
		}
		out.Findings = append(out.Findings, jsonFinding{ID: f.ID, Score: f.Score, Evidence: f.Evidence, Entry: e})
	}
	for _, e := range r.Nearest {
		out.Nearest = append(out.Nearest, e.ID)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
