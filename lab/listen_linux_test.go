package lab_test

import (
	"context"
	"testing"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// TestWildcardListeners runs listeners that are known by a wildcard
// address: one that listens without a bind (the kernel chooses a port on
// every address) and one bound to "0.0.0.0:P" or "[::]:P", on loopback and
// on a host reached from another. Each is LISTEN from its listen on, a
// connect to it is made (to the address a program would use), and it goes
// to CLOSE when closed.
func TestWildcardListeners(t *testing.T) {
	if !root() {
		t.Skip("socket states need namespaces (root)")
	}
	l := newLab(t, lab.Options{})
	for _, tc := range []struct {
		net, wild string
		tr        scenario.Transport
	}{
		{"loopback", "0.0.0.0:8080", scenario.TCP4},
		{"loopback", "[::]:8080", scenario.TCP6},
		{"direct", "0.0.0.0:8080", scenario.TCP4},
		{"direct", "[::]:8080", scenario.TCP6},
	} {
		src := "scenario t/wild\ntitle \"w\"\nsetup none\nnet " + tc.net + "\non tcp4 tcp6\n" +
			"server socket\nserver listen\n" +
			"s2 socket\ns2 bind \"" + tc.wild + "\"\ns2 listen\n" +
			"client socket\nclient connect server\n" +
			"c2 socket\nc2 connect s2\n" +
			"server close\n"
		r := l.Run(context.Background(), []lab.Job{{Scenario: parse(t, src), Transport: tc.tr}})[0]
		if r.Error != "" {
			t.Fatalf("%s %s: lab error %s\n%s", tc.net, tc.tr, r.Error, timeline(r))
		}
		state := func(i int, actor string) string {
			for _, s := range r.Steps[i].Sockets {
				if s.Actor == actor {
					return s.State
				}
			}
			return "none"
		}
		for _, want := range []struct {
			line         int
			actor, state string
		}{
			{7, "server", "LISTEN"},
			{10, "s2", "LISTEN"},
			{12, "client", "ESTABLISHED"},
			{14, "c2", "ESTABLISHED"},
			{15, "server", "CLOSE"},
			{15, "s2", "LISTEN"},
		} {
			for i, st := range r.Steps {
				if st.Line != want.line {
					continue
				}
				if st.Result == nil || st.Result.Kind != scenario.ResultOK {
					t.Errorf("%s %s: line %d: result %v, want ok", tc.net, tc.tr, want.line, st.Result)
				}
				if got := state(i, want.actor); got != want.state {
					t.Errorf("%s %s: after line %d %s is %s, want %s\n%s", tc.net, tc.tr, want.line, want.actor, got, want.state, timeline(r))
				}
			}
		}
	}
}
