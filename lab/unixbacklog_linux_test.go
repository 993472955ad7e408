package lab_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// A blocking Unix connect to a listener whose backlog is full waits: a
// program that set no timeout is still blocked when the step's limit
// runs out. The EAGAIN the kernel returns when the lab's own send
// timeout ends the wait is the lab's doing; the lab recorded it as the
// kernel's answer.
func TestUnixConnectToFullBacklog(t *testing.T) {
	// The kernel's side, without the lab: the second connect waits, and
	// a send timeout ends it with EAGAIN.
	path := t.TempDir() + "/l"
	l, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l)
	if err := unix.Bind(l, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Listen(l, 0)
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	var last error
	start := time.Now()
	for range 2 {
		c, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, c)
		tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
		unix.SetsockoptTimeval(c, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
		start = time.Now()
		last = unix.Connect(c, &unix.SockaddrUnix{Name: path})
	}
	if !errors.Is(last, unix.EAGAIN) || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("second connect to a backlog of 0: %v after %v; this test expects the kernel to wait, then EAGAIN", last, time.Since(start))
	}

	sc := parse(t, `scenario t/unix-connect-full
title "a blocking unix connect to a full backlog"
setup none
on unix unixpacket
limit 300ms
l socket
l bind
l listen 0
a socket
a connect l -> ok
b socket
b connect l -> blocked
`)
	for _, portable := range []bool{false, true} {
		for _, r := range newLab(t, lab.Options{Portable: portable}).Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
			if got := result(step(t, r, 12)); got != "blocked" {
				t.Errorf("%s (portable %v): the second connect %s, want blocked\n%s", r.Transport, portable, got, timeline(r))
			}
		}
	}
}
