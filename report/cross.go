package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// Input is one JSON report given to lab compare, with the name it came
// from (a file name).
type Input struct {
	Name string
	Doc  Document
}

// ReadDocument decodes a JSON report, refusing one of another schema.
func ReadDocument(r io.Reader) (Document, error) {
	var d Document
	if err := json.NewDecoder(r).Decode(&d); err != nil {
		return Document{}, fmt.Errorf("decode the report: %w", err)
	}
	if d.Schema != Schema {
		return Document{}, fmt.Errorf("report of schema %q, expected %q", d.Schema, Schema)
	}
	return d, nil
}

// Cross is the results of several reports side by side: one row per call
// of a scenario on a transport, one column per report, each cell the
// result that report's system gave.
type Cross struct {
	Columns []Column
	Rows    []CrossRow
	// Disagree counts the rows where two reports measured different
	// results; Confirmed, Contradicted and Unmeasured the catalog's
	// documented values a report measured as documented, measured
	// otherwise, and that no report measured.
	Disagree, Confirmed, Contradicted, Unmeasured int
}

// Column is one report: the system it was made on and by which runner.
type Column struct {
	Label  string // "linux", "linux/portable", "darwin"
	OS     string
	Kernel string
	Input  string
}

// CrossRow is one call in every report.
type CrossRow struct {
	Scenario  string
	Transport scenario.Transport
	Line      int
	Call      string
	// Cells are the results by column: a result, "skipped", "error", "-"
	// (the run stopped before the call) or "·" (no such run).
	Cells []string
	// Disagree: two reports measured different results.
	Disagree bool
	// Documented are the catalog's values for the call on the systems
	// other than the reports' own (documented, or measured by someone
	// elsewhere), each checked against the reports of its system.
	Documented []DocumentedCheck
}

// DocumentedCheck is a catalog value for one system, a document's claim,
// and what the reports from that system measured.
type DocumentedCheck struct {
	OS     string
	Result scenario.Result
	// Measured is what the reports of OS gave, "" when none is from OS.
	Measured string
	// Agrees: Measured is Result.
	Agrees bool
}

type rowKey struct {
	id   string
	t    scenario.Transport
	line int
}

// Compare lines the reports up.
func Compare(ins []Input) *Cross {
	c := &Cross{}
	labels := map[string]int{}
	runs := make([]map[rowKey]*lab.Step, len(ins))
	status := make([]map[rowKey]string, len(ins)) // a run's state, by its rows' key with line 0
	rows := map[rowKey]*CrossRow{}
	docs := map[rowKey]map[string]scenario.Result{}
	for i, in := range ins {
		col := Column{Input: in.Name, Kernel: in.Doc.Kernel}
		portable := false
		for _, r := range in.Doc.Runs {
			if r.Env.OS != "" {
				col.OS, portable = r.Env.OS, r.Env.Portable
				break
			}
		}
		col.Label = col.OS
		if portable {
			col.Label += "/portable"
		}
		if labels[col.Label]++; labels[col.Label] > 1 {
			col.Label += fmt.Sprintf("#%d", labels[col.Label])
		}
		c.Columns = append(c.Columns, col)
		runs[i], status[i] = map[rowKey]*lab.Step{}, map[rowKey]string{}
		for _, r := range in.Doc.Runs {
			status[i][rowKey{r.Scenario, r.Transport, 0}] = runStatus(r)
			for j := range r.Steps {
				st := &r.Steps[j]
				if st.Kind != lab.StepOp || st.Line == 0 || st.Skip {
					continue
				}
				k := rowKey{r.Scenario, r.Transport, st.Line}
				runs[i][k] = st
				if rows[k] == nil {
					rows[k] = &CrossRow{Scenario: r.Scenario, Transport: r.Transport, Line: st.Line, Call: callText(st.Text)}
				}
				for _, d := range st.Documented {
					if docs[k] == nil {
						docs[k] = map[string]scenario.Result{}
					}
					docs[k][d.OS] = d.Result
				}
			}
		}
	}
	for k, rw := range rows {
		measured := map[string]string{} // OS → its first report's result
		var seen []string
		for i := range ins {
			cell := "·"
			if s, ok := status[i][rowKey{k.id, k.t, 0}]; ok {
				cell = s
			}
			if st := runs[i][k]; st != nil && st.Result != nil && cell == "" {
				cell = st.Result.String()
				seen = append(seen, cell)
				if _, ok := measured[c.Columns[i].OS]; !ok {
					measured[c.Columns[i].OS] = cell
				}
			} else if cell == "" {
				cell = "-"
			}
			rw.Cells = append(rw.Cells, cell)
		}
		slices.Sort(seen)
		rw.Disagree = len(slices.Compact(seen)) > 1
		for os, res := range docs[k] {
			d := DocumentedCheck{OS: os, Result: res, Measured: measured[os]}
			d.Agrees = d.Measured == res.String()
			rw.Documented = append(rw.Documented, d)
		}
		slices.SortFunc(rw.Documented, func(a, b DocumentedCheck) int { return cmp.Compare(a.OS, b.OS) })
		c.Rows = append(c.Rows, *rw)
	}
	order := map[scenario.Transport]int{}
	for i, t := range scenario.Transports {
		order[t] = i
	}
	slices.SortFunc(c.Rows, func(a, b CrossRow) int {
		return cmp.Or(cmp.Compare(a.Scenario, b.Scenario), cmp.Compare(order[a.Transport], order[b.Transport]), cmp.Compare(a.Line, b.Line))
	})
	for _, rw := range c.Rows {
		if rw.Disagree {
			c.Disagree++
		}
		for _, d := range rw.Documented {
			switch {
			case d.Measured == "":
				c.Unmeasured++
			case d.Agrees:
				c.Confirmed++
			default:
				c.Contradicted++
			}
		}
	}
	return c
}

// runStatus is what a cell of the run shows in place of a result when it
// has none to show: "" for a run that took place.
func runStatus(r *lab.Record) string {
	switch r.Verdict {
	case lab.Skipped:
		return "skipped"
	case lab.Failed:
		return "error"
	}
	return ""
}

// callText is a statement without its expectation.
func callText(text string) string {
	if i := strings.Index(text, "->"); i >= 0 {
		text = text[:i]
	}
	return strings.TrimSpace(text)
}

// Notable reports whether the row is one lab compare --notable shows: the
// reports disagree on it, or the catalog has a value for another system.
func (rw CrossRow) Notable() bool { return rw.Disagree || len(rw.Documented) > 0 }

// Write writes the matrix as text: the columns, one line per call (only
// the notable ones when notable is set) with a mark where the reports
// disagree (≠) and the catalog's documented values checked against the
// system they are about (✓ measured so, ✗ measured otherwise, ? not
// measured), and the counts, which are always of every call.
func (c *Cross) Write(w io.Writer, notable bool) {
	rows := c.Rows
	if notable {
		rows = slices.DeleteFunc(slices.Clone(rows), func(rw CrossRow) bool { return !rw.Notable() })
	}
	fmt.Fprintln(w, "reports:")
	lw := len("scenario")
	for _, col := range c.Columns {
		lw = max(lw, len(col.Label))
	}
	for _, col := range c.Columns {
		fmt.Fprintf(w, "  %-*s  %s (kernel %s)\n", lw, col.Label, show(col.Input), show(col.Kernel))
	}
	fmt.Fprintln(w)
	sw, cw := len("scenario"), len("call")
	for _, rw := range rows {
		sw = max(sw, len(rw.Scenario)+1+len(rw.Transport))
		cw = max(cw, len(rw.Call))
	}
	widths := make([]int, len(c.Columns))
	for i, col := range c.Columns {
		widths[i] = len(col.Label)
		for _, rw := range rows {
			widths[i] = max(widths[i], len([]rune(rw.Cells[i])))
		}
	}
	fmt.Fprintf(w, "%-*s  %4s  %-*s", sw, "scenario", "line", cw, "call")
	for i, col := range c.Columns {
		fmt.Fprintf(w, "  %-*s", widths[i], col.Label)
	}
	fmt.Fprintln(w, "     documented")
	for _, rw := range rows {
		var line strings.Builder
		fmt.Fprintf(&line, "%-*s  %4d  %-*s", sw, show(rw.Scenario+" "+string(rw.Transport)), rw.Line, cw, show(rw.Call))
		for i, cell := range rw.Cells {
			fmt.Fprintf(&line, "  %s%s", cell, strings.Repeat(" ", widths[i]-len([]rune(cell))))
		}
		mark := "   "
		if rw.Disagree {
			mark = "  ≠"
		}
		var docs []string
		for _, d := range rw.Documented {
			switch {
			case d.Measured == "":
				docs = append(docs, fmt.Sprintf("%s: %s ?", d.OS, d.Result))
			case d.Agrees:
				docs = append(docs, fmt.Sprintf("%s: %s ✓", d.OS, d.Result))
			default:
				docs = append(docs, fmt.Sprintf("%s: %s ✗ measured %s", d.OS, d.Result, d.Measured))
			}
		}
		fmt.Fprintf(&line, "%s  %s", mark, strings.Join(docs, ", "))
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
	}
	fmt.Fprintln(w, "\n≠ the reports measured different results   documented: ✓ measured so, ✗ measured otherwise, ? no report from that system")
	fmt.Fprintf(w, "%d calls in %d reports: %d where they disagree; documented values: %d confirmed, %d contradicted, %d not measured\n",
		len(c.Rows), len(c.Columns), c.Disagree, c.Confirmed, c.Contradicted, c.Unmeasured)
}
