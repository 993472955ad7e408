//go:build linux

// Package nstest gives observe's tests a fresh network namespace and TCP
// sockets made with raw system calls, so that each test sees only its own
// traffic and sockets.
package nstest

import (
	"errors"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/netns"
)

// Enter moves the calling goroutine into a new network namespace whose
// loopback interface is up. It locks the goroutine to its OS thread and never
// unlocks it, so the Go runtime discards the thread, and with it the
// namespace, when the test's goroutine ends. Everything the test does in the
// namespace must happen on this goroutine.
//
// Enter skips the test when the process may not create namespaces.
func Enter(t testing.TB) {
	t.Helper()
	runtime.LockOSThread()
	enter(t, 0)
}

// EnterSmallHash is Enter with a TCP established-socket hash table of the
// given size private to the new namespace, instead of the host's shared
// one (sysctl net.ipv4.tcp_child_ehash_entries, Linux 6.1). A namespace
// created in between carries the setting, so the host's is left alone.
func EnterSmallHash(t testing.TB, entries int) {
	t.Helper()
	runtime.LockOSThread()
	enter(t, entries)
}

func enter(t testing.TB, ehash int) {
	t.Helper()
	if err := netns.Enter(ehash); err != nil {
		if errors.Is(err, netns.ErrPermission) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
}

// Loopback returns the loopback address of the family: 127.0.0.1 for
// unix.AF_INET, ::1 for unix.AF_INET6.
func Loopback(family int) netip.Addr {
	if family == unix.AF_INET6 {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	}
	return &unix.SockaddrInet6{Addr: ap.Addr().As16(), Port: int(ap.Port())}
}

// AddrPort converts a socket address from the kernel.
func AddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// open records the descriptors the tests' sockets hold, so that a cleanup
// never closes a number that Close released and something else reused.
var open struct {
	sync.Mutex
	fds map[int]bool
}

// own registers fd to be closed when the test ends, unless Close closes it
// first.
func own(t testing.TB, fd int) {
	open.Lock()
	if open.fds == nil {
		open.fds = make(map[int]bool)
	}
	open.fds[fd] = true
	open.Unlock()
	t.Cleanup(func() {
		open.Lock()
		defer open.Unlock()
		if open.fds[fd] {
			delete(open.fds, fd)
			unix.Close(fd)
		}
	})
}

// Socket makes a blocking TCP socket of the family, closed when the test
// ends unless the test closed it first with Close.
func Socket(t testing.TB, family int) int {
	t.Helper()
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	own(t, fd)
	return fd
}

// Listen returns a listening socket on the family's loopback address and an
// ephemeral port, and its address.
func Listen(t testing.TB, family, backlog int) (int, netip.AddrPort) {
	t.Helper()
	fd := Socket(t, family)
	if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(Loopback(family), 0))); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		t.Fatalf("listen: %v", err)
	}
	return fd, LocalAddr(t, fd)
}

// LocalAddr returns the socket's local address.
func LocalAddr(t testing.TB, fd int) netip.AddrPort {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	return AddrPort(sa)
}

// Dial connects a new socket to addr; on loopback the handshake is complete
// when connect returns.
func Dial(t testing.TB, addr netip.AddrPort) int {
	t.Helper()
	family := unix.AF_INET
	if addr.Addr().Is6() {
		family = unix.AF_INET6
	}
	fd := Socket(t, family)
	if err := unix.Connect(fd, sockaddr(addr)); err != nil {
		t.Fatalf("connect %v: %v", addr, err)
	}
	return fd
}

// DialErr connects a new socket to addr and returns connect's error.
func DialErr(t testing.TB, addr netip.AddrPort) error {
	t.Helper()
	family := unix.AF_INET
	if addr.Addr().Is6() {
		family = unix.AF_INET6
	}
	return unix.Connect(Socket(t, family), sockaddr(addr))
}

// Accept accepts a connection on the listening socket.
func Accept(t testing.TB, lfd int) int {
	t.Helper()
	fd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	own(t, fd)
	return fd
}

// Pair returns a connected client socket and the server socket accepted for
// it, over the family's loopback, and the listener.
func Pair(t testing.TB, family int) (client, server, listener int) {
	t.Helper()
	lfd, addr := Listen(t, family, 8)
	client = Dial(t, addr)
	return client, Accept(t, lfd), lfd
}

// Write writes all of b.
func Write(t testing.TB, fd int, b string) {
	t.Helper()
	n, err := unix.Write(fd, []byte(b))
	if err != nil || n != len(b) {
		t.Fatalf("write %d bytes: wrote %d, %v", len(b), n, err)
	}
}

// Linger0 sets SO_LINGER with a zero timeout, so that close sends an RST.
func Linger0(t testing.TB, fd int) {
	t.Helper()
	if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
		t.Fatalf("SO_LINGER 0: %v", err)
	}
}

// Close closes a socket made by this package before the test ends.
func Close(t testing.TB, fd int) {
	t.Helper()
	open.Lock()
	delete(open.fds, fd)
	open.Unlock()
	if err := unix.Close(fd); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// Eventually calls cond until it returns true, for up to five seconds, and
// fails the test with what as the reason if it never does. Tests use it to
// wait for the kernel to finish what a system call started (a delayed ACK,
// a softirq) without sleeping a fixed time; the bound is a deadline for a
// hung test, not a timing assertion.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after 5s waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
