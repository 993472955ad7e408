package lab

import (
	"strings"
	"testing"

	"github.com/teardown-net/teardown/scenario"
)

// TestCompareStarved checks that a call that failed for want of file
// descriptors, where something else was expected, makes the run a lab
// error and not a difference, and that EMFILE expected is a plain match.
func TestCompareStarved(t *testing.T) {
	ok := scenario.Result{Kind: scenario.ResultOK}
	emfile := scenario.Result{Kind: scenario.ResultErrno, Errno: "EMFILE"}
	for _, tc := range []struct {
		name      string
		got, want scenario.Result
		runErr    string
		verdict   Verdict
		says      string
	}{
		{"EMFILE where ok was expected", emfile, ok, "", Failed, "line 7: socket ran out of file descriptors (EMFILE), expected ok"},
		{"and the runner's error after it", emfile, ok, "no socket for \"client\"", Failed, "(EMFILE), expected ok; then: no socket for"},
		{"EMFILE expected", emfile, emfile, "", Match, ""},
		{"another errno", scenario.Result{Kind: scenario.ResultErrno, Errno: "ECONNRESET"}, ok, "", Differs, ""},
	} {
		rec := &Record{Error: tc.runErr, Steps: []Step{{Kind: "op", Line: 7, Op: scenario.OpSocket, Result: &tc.got, Expected: &tc.want}}}
		Compare(rec)
		if rec.Verdict != tc.verdict || !strings.Contains(rec.Error, tc.says) {
			t.Errorf("%s: verdict %s, error %q; want %s saying %q", tc.name, rec.Verdict, rec.Error, tc.verdict, tc.says)
		}
	}
}
