package proxy

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fullListener returns the address of a loopback listener whose accept
// queue is full, so that the kernel drops further SYNs and a dial to it
// waits: an upstream that never answers, without leaving the host.
func fullListener(t *testing.T) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*unix.SockaddrInet4).Port}).String()
	// Fill the queue; with backlog 0 it holds one connection.
	for i := 0; i < 2; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return addr
}

// TestStopDoesNotWaitForUpstream: deleting a proxy returns at once even
// while a connection waits for an upstream that does not answer the
// handshake.
func TestStopDoesNotWaitForUpstream(t *testing.T) {
	_, cl := startServer(t)
	p := createProxy(t, cl, "silent", fullListener(t))
	dial(t, p.Listen)
	time.Sleep(20 * time.Millisecond) // the proxy is now dialing
	done := make(chan error, 1)
	go func() { done <- p.Delete() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(dialTimeout / 2):
		t.Fatal("Delete waited for the upstream dial")
	}
}
