package lab_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// inThread makes call on a goroutine, lets it block, does then on this
// one, and returns the call's errno name ("ok" without an error).
func inThread(t *testing.T, call func() error, then func()) string {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	time.Sleep(20 * time.Millisecond)
	then()
	return errnoName(<-done)
}

// timeouts bounds fd's blocking calls, as the lab bounds its own.
func timeouts(t *testing.T, fd int) {
	t.Helper()
	tv := unix.NsecToTimeval((300 * time.Millisecond).Nanoseconds())
	for _, opt := range []int{unix.SO_RCVTIMEO, unix.SO_SNDTIMEO} {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
			t.Fatal(err)
		}
	}
}

func loopbackListener(t *testing.T, backlog int) (int, unix.Sockaddr) {
	t.Helper()
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(l) })
	if err := unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(l, backlog); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(l)
	return l, sa
}

// "accept async" and "connect async" make the call on a thread of its own
// while later statements shut the socket down, as gVisor's tests do: the
// results are the kernel's for the same calls made here (an accept a
// shutdown rd ends, a connect to a full backlog a shutdown rdwr ends), and
// the socket an async accept made is the named actor of the statements
// after it. Before, neither could be async.
func TestAcceptAndConnectAsync(t *testing.T) {
	l, _ := loopbackListener(t, 16)
	timeouts(t, l)
	accepted := inThread(t, func() error { _, _, err := unix.Accept4(l, 0); return err }, func() { unix.Shutdown(l, unix.SHUT_RD) })

	full, sa := loopbackListener(t, 0)
	_ = full
	c1, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	defer unix.Close(c1)
	if err := unix.Connect(c1, sa); err != nil {
		t.Fatal(err)
	}
	c, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	defer unix.Close(c)
	timeouts(t, c)
	connected := inThread(t, func() error { return unix.Connect(c, sa) }, func() { unix.Shutdown(c, unix.SHUT_RDWR) })

	sc := parse(t, `scenario t/async-accept-connect
title "accept and connect blocked in another thread"
setup none
on tcp4
limit 500ms
l socket
l bind
l listen
l accept as s async
sleep 20ms
l shutdown rd
f socket
f bind
f listen 0
c1 socket
c1 connect f
c socket
c connect f async
sleep 20ms
c shutdown rdwr
l3 socket
l3 bind
l3 listen
l3 accept as s3 async
c3 socket
c3 connect l3
s3 write "x" -> 1
`)
	for _, r := range newLab(t, lab.Options{}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
		if got := result(step(t, r, 9)); got != accepted {
			t.Errorf("accept async ended by shutdown rd: %s, the kernel %s\n%s", got, accepted, timeline(r))
		}
		if got := result(step(t, r, 18)); got != connected {
			t.Errorf("connect async ended by shutdown rdwr: %s, the kernel %s\n%s", got, connected, timeline(r))
		}
		if st := step(t, r, 18); len(st.Packets) == 0 || st.Packets[0].From != "c" || st.Packets[0].To != "f" || st.Packets[0].Flags != "S" {
			t.Errorf("connect async: packets %+v, expected c's SYN to f first\n%s", st.Packets, timeline(r))
		}
		if got := result(step(t, r, 27)); got != "1" {
			t.Errorf("s3 write after its async accept: %s, expected 1\n%s", got, timeline(r))
		}
	}
}
