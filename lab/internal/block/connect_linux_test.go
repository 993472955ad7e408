package block

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A blocking connect under a send timeout that SIGURG, the Go runtime's
// preemption signal, keeps interrupting ends with EINTR while its handshake
// goes on; FinishConnect ends it as the uninterrupted call would: with the
// connection once the listener takes it, and with EINPROGRESS when the
// timeout comes first. The listener's queue is full, so the connect waits
// for its SYN to be sent again.
func TestFinishConnect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		accept  bool // the listener makes room for the connection
		want    error
	}{
		{"established", 5 * time.Second, true, nil},
		{"timeout first", 300 * time.Millisecond, false, unix.EINPROGRESS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(l)
			lo := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
			if err := unix.Bind(l, lo); err != nil {
				t.Fatal(err)
			}
			if err := unix.Listen(l, 0); err != nil {
				t.Fatal(err)
			}
			sa, err := unix.Getsockname(l)
			if err != nil {
				t.Fatal(err)
			}
			// The first connection fills the queue of a backlog of 0.
			first, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(first)
			if err := unix.Connect(first, sa); err != nil {
				t.Fatal(err)
			}
			c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(c)
			tv := unix.NsecToTimeval(tc.timeout.Nanoseconds())
			if err := unix.SetsockoptTimeval(c, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
				t.Fatal(err)
			}
			if tc.accept {
				// Room for the connection, a tenth of a second in: the
				// SYN sent again after a second then gets an answer.
				accepted := make(chan int, 1)
				time.AfterFunc(100*time.Millisecond, func() {
					fd, _, _ := unix.Accept(l)
					accepted <- fd
				})
				defer func() { unix.Close(<-accepted) }()
			}
			defer preempting(t)()
			start := time.Now()
			err = unix.Connect(c, sa)
			if !errors.Is(err, unix.EINTR) {
				t.Fatalf("connect: %v, want EINTR from a signal", err)
			}
			if err := FinishConnect(c, start); err != tc.want {
				t.Fatalf("FinishConnect: %v, want %v", err, tc.want)
			}
			if took := time.Since(start); tc.want != nil && took < tc.timeout {
				t.Errorf("FinishConnect gave up after %v, before the timeout of %v", took, tc.timeout)
			}
		})
	}
}
