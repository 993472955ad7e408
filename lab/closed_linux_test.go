package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
	"golang.org/x/sys/unix"
)

// A poll of a descriptor the program has closed is told POLLNVAL at once;
// the lab must not poll a placeholder that poll(2) skips (a negative
// descriptor, whose poll times out with nothing), on any transport.
func TestPollClosed(t *testing.T) {
	c, _ := tcpPair(t)
	unix.Close(c)
	fds := []unix.PollFd{{Fd: int32(c), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	if err != nil || n != 1 || fds[0].Revents != unix.POLLNVAL {
		t.Fatalf("the kernel's poll of a closed descriptor: n %d revents %#x err %v, expected POLLNVAL", n, fds[0].Revents, err)
	}
	sc := parse(t, `scenario t/poll-closed
title "poll of a closed descriptor"
on tcp4 unix socketpair pipe
client close
client poll in timeout 0
client poll in
`)
	for _, portable := range []bool{false, true} {
		for _, r := range newLab(t, lab.Options{Portable: portable}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
			got := []string{result(step(t, r, 5)), result(step(t, r, 6))}
			if want := []string{"POLLNVAL", "POLLNVAL"}; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s (portable %v): lab %v, kernel %v\n%s", r.Transport, portable, got, want, timeline(r))
			}
		}
	}
}
