package lab_test

import (
	"context"
	"testing"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// A closed actor's name may be taken by a new socket: the old socket,
// whose connection goes on (FIN_WAIT2, then TIME_WAIT after the server's
// close), is client#1 in the states and packets from then on, and the new
// client is the one "client" names. Before, the parser refused the name.
func TestNameTakenAgainAfterClose(t *testing.T) {
	sc := parse(t, `scenario t/name-again
title "client close, client socket"
on tcp4
client close
client socket -> ok
client connect listener -> ok
listener accept as server2
server close
`)
	for _, portable := range []bool{false, true} {
		for _, r := range newLab(t, lab.Options{Portable: portable}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
			if got := result(step(t, r, 6)); got != "ok" {
				t.Errorf("portable %v: the new client's connect %s, expected ok\n%s", portable, got, timeline(r))
			}
			if !root() {
				continue
			}
			var fin string
			for _, p := range step(t, r, 8).Packets {
				if p.From == "server" && p.Flags == "F." {
					fin = p.To
				}
			}
			if fin != "client#1" {
				t.Errorf("portable %v: the server's FIN went to %q, expected client#1, the closed client\n%s", portable, fin, timeline(r))
			}
			if portable {
				continue
			}
			got := map[string]string{}
			for _, s := range step(t, r, 8).Sockets {
				got[s.Actor] = s.State
			}
			if got["client#1"] != "TIME_WAIT" || got["client"] != "ESTABLISHED" {
				t.Errorf("states %v, expected client#1 TIME_WAIT and client ESTABLISHED\n%s", got, timeline(r))
			}
		}
	}
}
