package lab_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// dualStack is what the kernel answers an IPv4 client of a tcp6 listener
// bound to [::] with IPV6_V6ONLY v6only: connect's errno name, or "ok".
func dualStack(t *testing.T, v6only int) string {
	t.Helper()
	l, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l)
	if err := unix.SetsockoptInt(l, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(l, &unix.SockaddrInet6{}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(l, 1); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(l)
	c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(c)
	return errnoName(unix.Connect(c, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: sa.(*unix.SockaddrInet6).Port}))
}

// "socket tcp4" on a tcp6 run is an IPv4 client of a listener bound to
// [::]: taken with IPV6_V6ONLY 0, refused with 1, as the kernel answers
// the same calls, and the handshake's packets (refused or not) named after
// the two actors on both runners. Before, no IPv4 socket could be made on
// a tcp6 run, and packets to a wildcard listener were named by address.
func TestIPv4ClientOfDualStackListener(t *testing.T) {
	if !root() {
		t.Skip("needs root: packets are captured only there")
	}
	for _, v6only := range []int{0, 1} {
		want := dualStack(t, v6only)
		answer := map[string]string{"ok": "S.", "ECONNREFUSED": "R."}[want]
		sc := parse(t, fmt.Sprintf(`scenario t/dual-stack
title "an IPv4 client of a [::] listener"
setup none
on tcp6
l socket
l setsockopt IPV6_V6ONLY %d
l bind "[::]:0"
l listen
c socket tcp4
c connect l
`, v6only))
		for _, portable := range []bool{false, true} {
			for _, r := range newLab(t, lab.Options{Portable: portable}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
				st := step(t, r, 10)
				if got := result(st); got != want {
					t.Errorf("V6ONLY %d (portable %v): connect %s, the kernel %s\n%s", v6only, portable, got, want, timeline(r))
				}
				var wire []string
				for _, p := range st.Packets {
					wire = append(wire, p.From+">"+p.To+" "+p.Flags)
				}
				if got, w := strings.Join(wire, ", "), "c>l S, l>c "+answer; !strings.HasPrefix(got, w) {
					t.Errorf("V6ONLY %d (portable %v): wire %q, expected it to start %q\n%s", v6only, portable, got, w, timeline(r))
				}
			}
		}
	}
}
