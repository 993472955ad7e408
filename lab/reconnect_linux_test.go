package lab_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// A socket whose connect was refused lets its port go, and its next
// connect takes another. Each refusal is the socket's own SYN answered by
// an RST; the lab learned the address of the first attempt only, and named
// the second's SYN by its address, as no actor's.
func TestConnectAgainAfterRefused(t *testing.T) {
	sc := parse(t, `scenario t/connect-again
title "connect refused twice, then accepted"
setup none
on tcp4 tcp6
l socket
l bind
c socket
c connect l -> ECONNREFUSED
c connect l -> ECONNREFUSED
l listen
c connect l -> ok
`)
	for _, portable := range []bool{false, true} {
		for _, r := range newLab(t, lab.Options{Portable: portable}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
			for _, line := range []int{8, 9} {
				var got []string
				for _, p := range step(t, r, line).Packets {
					got = append(got, fmt.Sprintf("%s>%s %s", p.From, p.To, p.Flags))
				}
				if want := "c>l S,l>c R."; strings.Join(got, ",") != want {
					t.Errorf("%s (portable %v): line %d: %v, expected %s\n%s", r.Transport, portable, line, got, want, timeline(r))
				}
			}
		}
	}
}
