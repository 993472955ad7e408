package lab_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/observe/ktrace"
)

// What the kernel does after the last step has settled is the record's
// last entry, "end of run", with its packets beside its events: here the
// FIN of a socket closed while another thread's read holds it, which goes
// out only when that read returns at the limit, after the last step. The
// close step itself shows nothing of it, as the kernel did nothing then.
func TestEndOfRun(t *testing.T) {
	if !root() {
		t.Skip("capture and tracing need root")
	}
	for _, r := range run(t, `scenario t/end-of-run
title "a FIN sent after the last step"
limit 300ms
on tcp4 tcp6
client read 16 async -> blocked
client close         -> ok
`) {
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s %s\n%s", r.Transport, r.Verdict, r.Error, timeline(r))
		}
		end := r.Steps[len(r.Steps)-1]
		if end.Kind != lab.StepEnd || end.Line != 0 {
			t.Fatalf("%s: the last entry is %s %q, want the end of the run\n%s", r.Transport, end.Kind, end.Text, timeline(r))
		}
		fin := func(p lab.Packet) bool { return p.From == "client" && strings.Contains(p.Flags, "F") }
		finWait := func(ev lab.Event) bool {
			return ev.Name == ktrace.SetState && ev.Actor == "client" && ev.To == "FIN_WAIT1"
		}
		if !slices.ContainsFunc(end.Packets, fin) || !slices.ContainsFunc(end.Events, finWait) {
			t.Errorf("%s: the end of the run lacks the client's FIN or its FIN_WAIT1\n%s", r.Transport, timeline(r))
		}
		closed := step(t, r, 6)
		if slices.ContainsFunc(closed.Packets, fin) || slices.ContainsFunc(closed.Events, finWait) {
			t.Errorf("%s: the close step has the FIN that came after it\n%s", r.Transport, timeline(r))
		}
	}
}
