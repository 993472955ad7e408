//go:build darwin || freebsd || linux

package block

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Wait makes a call that waits until deadline (poll, epoll_wait), given
// the milliseconds that remain, and makes it again for what then remains
// when a signal ends it with EINTR and again reports that the signal was
// none the scenario sent. poll(2) and epoll_wait(2) are never restarted
// after a signal handler, SA_RESTART or not (signal(7)), and the Go runtime
// signals its threads to preempt them (SIGURG), so such a signal can end
// a wait anywhere in it; the program a scenario describes gets none, and
// waits its whole timeout. A nil again makes every EINTR such a signal.
func Wait(deadline time.Time, again func() bool, call func(ms int) (int, error)) (int, error) {
	for {
		n, err := call(msUntil(deadline))
		if !errors.Is(err, unix.EINTR) || again != nil && !again() {
			return n, err
		}
	}
}

// Poll waits in poll(2) for the events of fds until deadline, as Wait
// does, and returns poll's count.
func Poll(fds []unix.PollFd, deadline time.Time, again func() bool) (int, error) {
	return Wait(deadline, again, func(ms int) (int, error) { return unix.Poll(fds, ms) })
}

// One waits until deadline for events on fd, as Poll does, and reports
// whether any came; a closed fd (-1) gives EBADF.
func One(fd int, events int16, deadline time.Time, again func() bool) (bool, error) {
	if fd < 0 {
		return false, unix.EBADF
	}
	n, err := Poll([]unix.PollFd{{Fd: int32(fd), Events: events}}, deadline, again)
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// Timeout is how long a poll or epoll asked to wait for asked (0: no
// timeout given), or with now for "timeout 0", waits under the run's
// limit: its own timeout, or the limit when it has none or one past the
// limit. limited says the limit bounds the wait, so that a wait that
// ends with no event is blocked, not the kernel's 0.
func Timeout(asked time.Duration, now bool, limit time.Duration) (d time.Duration, limited bool) {
	switch {
	case now:
		return 0, false
	case asked == 0 || asked > limit:
		return limit, true
	}
	return asked, false
}

// msUntil is the time to deadline in milliseconds, rounded up so that a
// wait is never shorter than asked, and 0 once it has passed: one look
// that does not wait.
func msUntil(deadline time.Time) int {
	d := max(time.Until(deadline), 0)
	return int((d + time.Millisecond - 1) / time.Millisecond)
}
