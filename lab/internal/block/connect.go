//go:build darwin || freebsd || linux

package block

import (
	"time"

	"golang.org/x/sys/unix"
)

// FinishConnect ends a blocking connect on fd, begun at start, that a
// signal the scenario did not send ended with EINTR, as the call would
// have ended without it. Under a send timeout (the run's limit, or the
// socket's own) the kernel ends a connect with EINTR on any signal,
// SA_RESTART or not (signal(7)), and the Go runtime signals its threads to
// preempt them; the handshake goes on. FinishConnect waits for it until
// the send timeout runs out and returns the connection's error (nil once
// established), or EINPROGRESS when the timeout comes first, as the
// uninterrupted call would.
func FinishConnect(fd int, start time.Time) error {
	tv, err := unix.GetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO)
	if err != nil {
		return err
	}
	deadline := start.Add(time.Duration(tv.Nano()))
	if tv.Nano() == 0 {
		// No send timeout: the kernel restarts an interrupted connect
		// itself, and this is not reached; wait as that call would.
		deadline = start.Add(24 * time.Hour)
	}
	ok, err := One(fd, unix.POLLOUT, deadline, nil)
	if err != nil {
		return err
	}
	if !ok {
		return unix.EINPROGRESS
	}
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	switch {
	case err != nil:
		return err
	case soerr != 0:
		return unix.Errno(soerr)
	}
	return nil
}
