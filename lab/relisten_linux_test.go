package lab_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// A listener bound to port 0 lets the port go when a shutdown ends its
// listen (tcp_disconnect), and listening again chooses another: the
// kernel names it there, and a connect to the listener's address is
// made to that port. The lab went on knowing the listener by its first
// port: CLOSE, and the connect refused.
func TestListenAgainOnAnotherPort(t *testing.T) {
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l)
	if err := unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	unix.Listen(l, 1)
	first, _ := unix.Getsockname(l)
	unix.Shutdown(l, unix.SHUT_RD)
	unix.Listen(l, 1)
	again, _ := unix.Getsockname(l)
	if first.(*unix.SockaddrInet4).Port == again.(*unix.SockaddrInet4).Port {
		t.Fatalf("the kernel kept port %d across shutdown and listen; this test expects it to choose another", first.(*unix.SockaddrInet4).Port)
	}

	sc := parse(t, `scenario t/listen-again
title "listen, shutdown, listen again, bound to port 0"
setup none
on tcp4 tcp6
l socket
tcp4: l bind "127.0.0.1:0"
tcp6: l bind "[::1]:0"
l listen
l shutdown rd
l listen -> ok
c socket
c connect l -> ok
l accept as s -> ok
`)
	for _, portable := range []bool{false, true} {
		for _, r := range newLab(t, lab.Options{Portable: portable}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
			got := []string{result(step(t, r, 12)), result(step(t, r, 13))}
			if want := []string{"ok", "ok"}; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s (portable %v): connect and accept %v, the kernel %v\n%s", r.Transport, portable, got, want, timeline(r))
			}
			if !portable {
				for _, s := range step(t, r, 10).Sockets {
					if s.Actor == "l" && s.State != "LISTEN" {
						t.Errorf("%s: l %s after listening again, expected LISTEN\n%s", r.Transport, s.State, timeline(r))
					}
				}
			}
		}
	}
}
