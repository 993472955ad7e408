//go:build darwin || freebsd || linux

package block

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Timeouts are a socket's own SO_RCVTIMEO and SO_SNDTIMEO, as the kernel
// reported them back when the scenario set them, 0 for none (the kernel's
// default). The kernel holds them when they end a call within the run's
// limit, and the limit otherwise, so that every blocking call ends by the
// limit and a signal ends a blocking call instead of restarting it
// (signal(7)).
type Timeouts struct {
	RcvTimeo, SndTimeo time.Duration
}

// Own returns the socket's own timeout for opt, SO_RCVTIMEO or
// SO_SNDTIMEO.
func (t *Timeouts) Own(opt int) time.Duration {
	if opt == unix.SO_RCVTIMEO {
		return t.RcvTimeo
	}
	return t.SndTimeo
}

// LabLimited reports whether a blocking call governed by opt (SO_RCVTIMEO
// for reads and accept, SO_SNDTIMEO for writes and connect) ends at limit
// rather than at the socket's own timeout: an EAGAIN or a partial write
// from it is then the lab's doing, not the kernel's answer to the program.
func (t *Timeouts) LabLimited(opt int, limit time.Duration) bool {
	own := t.Own(opt)
	return own == 0 || own > limit
}

// ConnectGaveUp reports whether err is what a blocking connect returns
// when its send timeout ends the wait: EINPROGRESS from TCP, whose
// handshake goes on, and EAGAIN from a Unix socket whose listener's
// backlog is full.
func ConnectGaveUp(err error) bool {
	return errors.Is(err, unix.EINPROGRESS) || errors.Is(err, unix.EAGAIN)
}

// Apply gives the kernel the timeout it should hold on fd for opt: the
// socket's own when it ends a call within limit, else limit.
func (t *Timeouts) Apply(fd, opt int, limit time.Duration) error {
	d := limit
	if !t.LabLimited(opt, limit) {
		d = t.Own(opt)
	}
	tv := unix.NsecToTimeval(d.Nanoseconds())
	return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv)
}

// Set sets fd's own timeout for opt to d, as a program would, and returns
// the kernel's error. The kernel is given d, so that it judges the value;
// what it holds afterwards is recorded as the socket's own, and replaced
// on the socket by limit when that is none or longer than limit.
func (t *Timeouts) Set(fd, opt int, d, limit time.Duration) error {
	tv := unix.NsecToTimeval(d.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
		return err
	}
	got, err := unix.GetsockoptTimeval(fd, unix.SOL_SOCKET, opt)
	if err != nil {
		return err
	}
	if opt == unix.SO_RCVTIMEO {
		t.RcvTimeo = time.Duration(got.Nano())
	} else {
		t.SndTimeo = time.Duration(got.Nano())
	}
	return t.Apply(fd, opt, limit)
}
