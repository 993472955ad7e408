package link

import (
	"net"

	"golang.org/x/sys/unix"
)

// waitUnread blocks, without reading, until c has bytes waiting in its
// receive queue or its peer has closed, or until stop is closed.
func waitUnread(c *net.TCPConn, stop <-chan struct{}) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-stop:
			c.SetReadDeadline(aLongTimeAgo)
		case <-done:
		}
	}()
	var b [1]byte
	rc.Read(func(fd uintptr) bool {
		_, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		// EAGAIN: nothing yet, wait for the socket to become readable.
		// Bytes, EOF or an error: done.
		return err != unix.EAGAIN
	})
}

// drainQueued reads and drops what c's receive queue holds now, without
// waiting, so that closing c sends FIN rather than RST. It reads at most
// 4 MiB: a peer that keeps sending gets its RST.
func drainQueued(c *net.TCPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 64<<10)
	rc.Control(func(fd uintptr) {
		for i := 0; i < 64; i++ {
			n, _, err := unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
			if n <= 0 || err != nil {
				return
			}
		}
	})
}
