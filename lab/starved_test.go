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
	emfile := scenario.Result{Kind: scenario.ResultErrno, Errno: "EMFILE"}
	for _, tc := range []struct {
		name    string
		got     scenario.Result
		want    string // the statement's expected result
		runErr  string
		verdict Verdict
		says    string
	}{
		{"EMFILE where ok was expected", emfile, "ok", "", Failed, "line 5: socket ran out of file descriptors (EMFILE), expected ok"},
		{"and the runner's error after it", emfile, "ok", "no socket for \"client\"", Failed, "(EMFILE), expected ok; then: no socket for"},
		{"EMFILE expected", emfile, "EMFILE", "", Match, ""},
		{"another errno", scenario.Result{Kind: scenario.ResultErrno, Errno: "ECONNRESET"}, "ok", "", Differs, ""},
	} {
		src := "scenario t/starved\ntitle \"x\"\non tcp4\nsetup none\nclient socket -> " + tc.want + "\n"
		sc, err := scenario.Parse("t.td", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		rec := &Record{Transport: scenario.TCP4, Error: tc.runErr, Steps: []Step{{Kind: StepOp, Line: 5, Op: scenario.OpSocket, Result: &tc.got}}}
		Compare(sc, rec)
		if rec.Verdict != tc.verdict || !strings.Contains(rec.Error, tc.says) {
			t.Errorf("%s: verdict %s, error %q; want %s saying %q", tc.name, rec.Verdict, rec.Error, tc.verdict, tc.says)
		}
	}
}
