package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/teardown-net/teardown/lab"
)

// uncheckedChecks writes, grouped by kind and reason with their counts,
// the expect statements of runs that took place that this environment
// could not observe (no capture, no tracing, a state the portable runner
// cannot see): what a "match" here did not cover.
func uncheckedChecks(w io.Writer, recs []*lab.Record) {
	type group struct {
		why string
		n   int
	}
	var groups []*group
	byWhy := map[string]*group{}
	for _, r := range recs {
		if r.Verdict == lab.Skipped {
			continue
		}
		for _, st := range r.Steps {
			if st.Kind != lab.StepExpect || st.Skip || st.Verdict != lab.Unchecked || st.Check == nil {
				continue
			}
			why := st.Check.Observed
			if st.Check.Note != "" {
				why = st.Check.Note
			}
			why = fmt.Sprintf("expect %s: %s", st.Check.Expect.Kind, why)
			g := byWhy[why]
			if g == nil {
				g = &group{why: why}
				byWhy[why] = g
				groups = append(groups, g)
			}
			g.n++
		}
	}
	if len(groups) == 0 {
		return
	}
	slices.SortFunc(groups, func(a, b *group) int { return cmp.Compare(a.why, b.why) })
	fmt.Fprintln(w, "\nnot checked here:")
	for _, g := range groups {
		fmt.Fprintf(w, "  %4d× %s\n", g.n, show(g.why))
	}
}
