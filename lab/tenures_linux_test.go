package lab_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// A connection made from the port of one in TIME_WAIT (SO_REUSEADDR and
// a bind before connect: Linux takes over a TIME_WAIT with a timestamp at
// once) has the old one's addresses: the kernel forgets the old connection, and the
// packets, states and sequence numbers are the new one's. The lab named
// them after the old, closed actors (c > s, "c ESTABLISHED (orphan)"),
// and counted the new handshake from the old one's numbers.
func TestAddressesReused(t *testing.T) {
	sc := parse(t, `scenario t/reuse
title "a connection on the addresses of one in TIME_WAIT"
setup none
on tcp4 tcp6
limit 1s
l socket
l bind
l listen
c socket
c setsockopt SO_REUSEADDR 1
c bind
c connect l
l accept as s
c close
s close
c2 socket
c2 setsockopt SO_REUSEADDR 1
c2 bind c
c2 connect l -> ok
l accept as s2 -> ok
c2 write "x" -> 1
`)
	for _, portable := range []bool{false, true} {
		for _, r := range newLab(t, lab.Options{Portable: portable}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
			if got := result(step(t, r, 19)); got != "ok" {
				t.Fatalf("%s: the new connect: %s\n%s", r.Transport, got, timeline(r))
			}
			states := map[string]string{}
			for _, s := range step(t, r, 20).Sockets {
				states[s.Actor] = s.State
			}
			if !portable {
				want := map[string]string{"c": "CLOSE", "s": "CLOSE", "c2": "ESTABLISHED", "s2": "ESTABLISHED"}
				for a, st := range want {
					if states[a] != st {
						t.Errorf("%s: %s %s, expected %s\n%s", r.Transport, a, states[a], st, timeline(r))
					}
				}
			}
			var hs []string
			for _, p := range step(t, r, 19).Packets {
				hs = append(hs, fmt.Sprintf("%s>%s %s %d %d", p.From, p.To, p.Flags, p.Seq, p.Ack))
			}
			if want := "c2>l S 0 0,l>c2 S. 0 1,c2>l . 1 1"; strings.Join(hs, ",") != want {
				t.Errorf("%s (portable %v): the handshake %v, expected %s\n%s", r.Transport, portable, hs, want, timeline(r))
			}
			var data []string
			for _, p := range step(t, r, 21).Packets {
				data = append(data, fmt.Sprintf("%s>%s %s %d %d", p.From, p.To, p.Flags, p.Seq, p.Ack))
			}
			if want := "c2>s2 P. 1 1,s2>c2 . 1 2"; strings.Join(data, ",") != want {
				t.Errorf("%s (portable %v): the write %v, expected %s\n%s", r.Transport, portable, data, want, timeline(r))
			}
		}
	}
}
