package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText writes the line's answer on one line: its number, the first
// entry (or the tied ones), its kind and what matched.
func (l LineResult) WriteText(w io.Writer) error {
	f := l.Findings[0]
	id, kind := f.ID, f.Entry.Kind
	if len(l.Tied) > 0 {
		id, kind = strings.Join(l.Tied, "|"), tiedKinds(l.Findings[:len(l.Tied)])
	}
	var cut string
	if l.Cut {
		cut = fmt.Sprintf(" (line cut at %d bytes)", MaxLine)
	}
	_, err := fmt.Fprintf(w, "%d: %s [%s] %s%s\n", l.N, id, kind, evidenceLine(f.Evidence[:1]), cut)
	return err
}

// tiedKinds joins the distinct kinds of tied findings with "|".
func tiedKinds(fs []Finding) string {
	var kinds []string
	for _, f := range fs {
		kinds = appendNew(kinds, f.Entry.Kind)
	}
	return strings.Join(kinds, "|")
}

type jsonLine struct {
	Version  int        `json:"version"`
	Line     int        `json:"line"`
	ID       string     `json:"id"`
	Kind     string     `json:"kind"`
	Tied     []string   `json:"tied,omitempty"`
	Others   []string   `json:"others,omitempty"`
	Evidence []Evidence `json:"evidence"`
	Cut      bool       `json:"cut,omitempty"`
}

// WriteJSON writes the line's answer as one JSON object on one line.
func (l LineResult) WriteJSON(w io.Writer) error {
	f := l.Findings[0]
	out := jsonLine{Version: JSONVersion, Line: l.N, ID: f.ID, Kind: f.Entry.Kind, Tied: l.Tied, Evidence: f.Evidence, Cut: l.Cut}
	for _, o := range l.Findings[1:] {
		out.Others = append(out.Others, o.ID)
	}
	return writeJSONLine(w, out)
}

func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteText writes the summary for a terminal.
func (s Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "summary: %s, %d with an error", plural(s.Lines, "line"), s.Errors)
	if s.Cut > 0 {
		fmt.Fprintf(&b, ", %d cut at %d bytes", s.Cut, MaxLine)
	}
	b.WriteString("\n")
	for _, c := range s.Counts {
		fmt.Fprintf(&b, "  %-20s %8d  %s [%s]\n", c.ID, c.Lines, c.Title, c.Kind)
	}
	if len(s.Causes) > 0 {
		b.WriteString("likely causes:\n")
		for _, c := range s.Causes {
			fmt.Fprintf(&b, "  %s (%s): %s\n", c.Cause.Title, plural(c.Lines, "line"), c.Cause.Why)
		}
	}
	if len(s.Scenarios) > 0 {
		fmt.Fprintf(&b, "reproduce: teardown lab run %s\n", strings.Join(s.Scenarios, " "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonCause struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Why       string   `json:"why"`
	Lines     int      `json:"lines"`
	Scenarios []string `json:"scenarios,omitempty"`
}

type jsonSummary struct {
	Version int `json:"version"`
	Summary struct {
		Lines     int         `json:"lines"`
		Errors    int         `json:"errors"`
		Cut       int         `json:"cut"`
		Counts    []Count     `json:"counts"`
		Causes    []jsonCause `json:"causes"`
		Scenarios []string    `json:"scenarios"`
	} `json:"summary"`
}

// WriteJSON writes the summary as one JSON object on one line, the last
// line of --lines --json output.
func (s Summary) WriteJSON(w io.Writer) error {
	var out jsonSummary
	out.Version = JSONVersion
	out.Summary.Lines, out.Summary.Errors, out.Summary.Cut = s.Lines, s.Errors, s.Cut
	out.Summary.Counts = append([]Count{}, s.Counts...)
	out.Summary.Causes = []jsonCause{}
	for _, c := range s.Causes {
		out.Summary.Causes = append(out.Summary.Causes, jsonCause{ID: c.Cause.ID, Title: c.Cause.Title, Why: c.Cause.Why, Lines: c.Lines, Scenarios: c.Cause.Scenarios})
	}
	out.Summary.Scenarios = append([]string{}, s.Scenarios...)
	return writeJSONLine(w, out)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
