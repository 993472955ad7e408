//go:build darwin || freebsd || linux

package capture

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Wait blocks until a packet is queued or d has passed, and reports whether
// one is queued.
func (c *Capture) Wait(d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms < 0 {
			ms = 0
		}
		fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("capture on %s: poll: %w", c.ifname, err)
		}
		if n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLNVAL) != 0 {
			return false, fmt.Errorf("capture on %s: poll: %w", c.ifname, os.ErrClosed)
		}
		return n > 0, nil
	}
}
