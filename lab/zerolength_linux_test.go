package lab_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// Reads and writes of no bytes, which the peer suites ask of the kernel:
// write(2) of 0 returns 0, a read of 0 returns 0 with bytes queued and
// even after an RST, whose error the next real read gets; a write of 0
// after that is EPIPE. The lab records what the same calls return made
// directly, without the lab.
func TestZeroLengthCalls(t *testing.T) {
	c, s := tcpPair(t)
	var direct []string
	do := func(n int, err error) {
		var e unix.Errno
		if errors.As(err, &e) {
			direct = append(direct, unix.ErrnoName(e))
			return
		}
		direct = append(direct, strconv.Itoa(n))
	}
	do(unix.Write(c, nil))
	do(unix.Read(s, nil))
	unix.Write(c, []byte("abc"))
	time.Sleep(20 * time.Millisecond)
	do(unix.Read(s, nil))
	do(unix.Read(s, make([]byte, 3)))
	unix.SetsockoptLinger(c, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	unix.Close(c)
	time.Sleep(20 * time.Millisecond)
	do(unix.Read(s, nil))
	do(unix.Read(s, make([]byte, 16)))
	do(unix.SendmsgN(s, nil, nil, nil, unix.MSG_NOSIGNAL))

	if want := []string{"0", "0", "0", "3", "0", "ECONNRESET", "EPIPE"}; strings.Join(direct, " ") != strings.Join(want, " ") {
		t.Fatalf("the calls made directly gave %v; this test expects %v", direct, want)
	}

	sc := parse(t, `scenario t/zero-length
title "reads and writes of no bytes"
setup connected
on tcp4 tcp6
client write 0
server read 0
client write "abc"
server read 0
server read 3
client linger 0
client close
server read 0
server read 16
server send 0 nosignal
`)
	lines := []int{5, 6, 8, 9, 12, 13, 14}
	for _, r := range newLab(t, lab.Options{}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
		for i, line := range lines {
			if got := result(step(t, r, line)); got != direct[i] {
				t.Errorf("%s, line %d: the lab recorded %s, the same call made directly gave %s\n%s", r.Transport, line, got, direct[i], timeline(r))
			}
		}
	}
}

// On the other transports a write of no bytes returns 0, and so does a
// read of none with bytes queued; on a seqpacket socket the write of none
// sends an empty message, which the next read returns. The lab records
// what the same calls made directly return.
func TestZeroLengthCallsLocal(t *testing.T) {
	direct := map[string][]string{}
	for tr, mk := range map[string]func() ([2]int, error){
		"unix":       func() ([2]int, error) { return unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0) },
		"socketpair": func() ([2]int, error) { return unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0) },
		"unixpacket": func() ([2]int, error) { return unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0) },
		"pipe": func() ([2]int, error) {
			var p [2]int
			err := unix.Pipe2(p[:], unix.O_CLOEXEC)
			return [2]int{p[1], p[0]}, err // written at 0, read at 1
		},
	} {
		fds, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		w0, _ := unix.Write(fds[0], nil)
		unix.Write(fds[0], []byte("abc"))
		r0, _ := unix.Read(fds[1], nil)
		r3, _ := unix.Read(fds[1], make([]byte, 3))
		direct[tr] = []string{strconv.Itoa(w0), strconv.Itoa(r0), strconv.Itoa(r3)}
		unix.Close(fds[0])
		unix.Close(fds[1])
	}
	if got := strings.Join(direct["unixpacket"], " "); got != "0 0 0" {
		t.Fatalf("a seqpacket pair's write of 0, read of 0 and read of 3 gave %s; this test expects 0 0 0 (the empty message read)", got)
	}
	sc := parse(t, `scenario t/zero-length-local
title "reads and writes of no bytes"
on unix unixpacket socketpair pipe
client write 0
client write "abc"
server read 0
server read 3
`)
	for _, portable := range []bool{false, true} {
		for _, r := range newLab(t, lab.Options{Portable: portable}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
			for i, line := range []int{4, 6, 7} {
				if got, want := result(step(t, r, line)), direct[string(r.Transport)][i]; got != want {
					t.Errorf("%s (portable %v), line %d: the lab recorded %s, the same call made directly gave %s\n%s", r.Transport, portable, line, got, want, timeline(r))
				}
			}
		}
	}
}
