package lab_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// urgentReads makes on a loopback pair what the scenario below makes: "ab",
// then "x" with MSG_OOB, then with inline set SO_OOBINLINE, and returns
// each read's answer as the lab writes it (the count and the bytes, or
// the errno name).
func urgentReads(t *testing.T, inline bool) []string {
	t.Helper()
	c, s := tcpPair(t)
	if inline {
		if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_OOBINLINE, 1); err != nil {
			t.Fatal(err)
		}
	}
	unix.Write(c, []byte("ab"))
	if err := unix.Sendto(c, []byte("x"), unix.MSG_OOB, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // loopback delivers at once; this is slack
	var out []string
	for _, r := range []struct{ size, flags int }{{1, unix.MSG_OOB}, {16, unix.MSG_DONTWAIT}, {16, unix.MSG_DONTWAIT}} {
		b := make([]byte, r.size)
		n, _, err := unix.Recvfrom(s, b, r.flags)
		if err != nil {
			out = append(out, errnoName(err))
			continue
		}
		out = append(out, fmt.Sprintf("%d %q", n, b[:n]))
	}
	return out
}

// "send DATA oob" is send(2) with MSG_OOB: the segment carries URG, which
// the wire record shows and "expect wire" can ask for, and the reads
// (read oob, and plain reads, with SO_OOBINLINE or without) return what
// the kernel returns to the same calls, on both runners. Before, send had
// no oob, and SO_OOBINLINE no name.
func TestUrgentData(t *testing.T) {
	if !root() {
		t.Skip("needs root: packets are captured only there")
	}
	for _, inline := range []bool{false, true} {
		want := urgentReads(t, inline)
		opt := 0
		if inline {
			opt = 1
		}
		sc := parse(t, fmt.Sprintf(`scenario t/urgent
title "urgent data"
on tcp4
server setsockopt SO_OOBINLINE %d
client send "ab"
client send "x" oob
server read 1 oob
server read 16 nonblock
server read 16 nonblock
`, opt))
		for _, portable := range []bool{false, true} {
			for _, r := range newLab(t, lab.Options{Portable: portable}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
				var got []string
				for line := 7; line <= 9; line++ {
					st := step(t, r, line)
					if st.Result != nil && st.Result.Kind == scenario.ResultCount {
						got = append(got, fmt.Sprintf("%d %q", st.Result.N, st.Data))
					} else {
						got = append(got, result(st))
					}
				}
				if strings.Join(got, ", ") != strings.Join(want, ", ") {
					t.Errorf("SO_OOBINLINE %d (portable %v): reads %q, the kernel %q\n%s", opt, portable, got, want, timeline(r))
				}
				var flags []string
				for _, p := range step(t, r, 6).Packets {
					if p.From == "client" {
						flags = append(flags, p.Flags)
					}
				}
				if len(flags) != 1 || !strings.Contains(flags[0], "U") {
					t.Errorf("SO_OOBINLINE %d (portable %v): client's segments of the oob send %v, expected one with URG\n%s", opt, portable, flags, timeline(r))
				}
			}
		}
	}
}
