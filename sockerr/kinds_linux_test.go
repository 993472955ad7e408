package sockerr

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// writeUntilError writes to conn until a write fails, for at most ten
// seconds, and returns the failure.
func writeUntilError(conn net.Conn) error {
	b := []byte("more")
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); {
		if _, err := conn.Write(b); err != nil {
			return err
		}
	}
	return errors.New("writes still succeed after 10s")
}

func read(conn net.Conn) error {
	_, err := conn.Read(make([]byte, 16))
	return err
}

// TestKindsOnLoopback produces each kind that loopback can produce with
// real sockets, and checks that Classify, MayHaveLostData and Retryable
// (for a non-idempotent request) judge the error as documented.
func TestKindsOnLoopback(t *testing.T) {
	tests := []struct {
		name    string
		produce func(t *testing.T) error
		want    Kind
		lost    bool
		retry   bool
	}{
		{"EOF/tcp", func(t *testing.T) error {
			c, s := pair(t, "tcp")
			s.Close()
			return read(c)
		}, PeerClosed, false, false},
		{"EOF/unix", func(t *testing.T) error {
			c, s := pair(t, "unix")
			s.Close()
			return read(c)
		}, PeerClosed, false, false},
		{"unexpected EOF", func(t *testing.T) error {
			c, s := pair(t, "tcp")
			s.Write([]byte("ab"))
			s.Close()
			_, err := io.ReadFull(c, make([]byte, 4))
			return err
		}, PeerClosed, true, false},
		{"reset/linger 0", func(t *testing.T) error {
			c, s := pair(t, "tcp")
			s.(*net.TCPConn).SetLinger(0)
			s.Close()
			return read(c)
		}, Reset, true, false},
		{"reset/close with unread data/tcp", func(t *testing.T) error {
			c, s := pair(t, "tcp")
			c.Write([]byte("hello"))
			if err := waitUnread(s); err != nil {
				t.Fatal(err)
			}
			s.Close()
			return read(c)
		}, Reset, true, false},
		{"reset/close with unread data/unix", func(t *testing.T) error {
			c, s := pair(t, "unix")
			c.Write([]byte("hello"))
			if err := waitUnread(s); err != nil {
				t.Fatal(err)
			}
			s.Close()
			return read(c)
		}, Reset, true, false},
		{"broken pipe/tcp", func(t *testing.T) error {
			c, s := pair(t, "tcp")
			s.Close()
			return writeUntilError(c)
		}, BrokenPipe, true, false},
		{"broken pipe/unix", func(t *testing.T) error {
			c, s := pair(t, "unix")
			s.Close()
			return writeUntilError(c)
		}, BrokenPipe, true, false},
		{"broken pipe/own shutdown", func(t *testing.T) error {
			c, _ := pair(t, "tcp")
			c.(*net.TCPConn).CloseWrite()
			_, err := c.Write([]byte("x"))
			return err
		}, BrokenPipe, true, false},
		{"refused", func(t *testing.T) error {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
			}
			return err
		}, Refused, false, true},
		{"deadline/read", func(t *testing.T) error {
			c, _ := pair(t, "tcp")
			c.SetReadDeadline(time.Now().Add(-time.Second))
			return read(c)
		}, Deadline, false, false},
		{"deadline/dial context", func(t *testing.T) error {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			defer cancel()
			c, err := new(net.Dialer).DialContext(ctx, "tcp", "127.0.0.1:1")
			if err == nil {
				c.Close()
			}
			return err
		}, Deadline, false, true},
		{"local closed", func(t *testing.T) error {
			c, _ := pair(t, "tcp")
			c.Close()
			return read(c)
		}, LocalClosed, false, false},
		{"would block", func(t *testing.T) error {
			c, _ := pair(t, "tcp")
			var err error
			rc, _ := c.(syscall.Conn).SyscallConn()
			rc.Read(func(fd uintptr) bool {
				_, err = syscall.Read(int(fd), make([]byte, 16))
				return true
			})
			return os.NewSyscallError("read", err)
		}, WouldBlock, false, false},
		{"interrupted", produceEINTR, Interrupted, false, false},
		{"canceled", func(t *testing.T) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			c, err := new(net.Dialer).DialContext(ctx, "tcp", "127.0.0.1:1")
			if err == nil {
				c.Close()
			}
			return err
		}, Canceled, false, false},
		{"aborted", produceECONNABORTED, Aborted, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.produce(t)
			if err == nil {
				t.Fatal("no error produced")
			}
			t.Logf("produced: %v", err)
			if got := Classify(err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", err, got, tt.want)
			}
			if got := MayHaveLostData(err); got != tt.lost {
				t.Errorf("MayHaveLostData(%v) = %v, want %v", err, got, tt.lost)
			}
			if got := Retryable(err, false); got != tt.retry {
				t.Errorf("Retryable(%v, false) = %v, want %v", err, got, tt.retry)
			}
		})
	}
}

// produceEINTR interrupts a blocking receive with a signal. Go's net
// package never shows EINTR (its sockets are non-blocking and it retries),
// and Go installs its signal handlers with SA_RESTART, so the receive is on
// a blocking socket of its own with SO_RCVTIMEO set: such a receive fails
// with EINTR even under SA_RESTART (signal(7)). The signal is SIGURG, which
// the runtime already uses to preempt goroutines and ignores otherwise.
func produceEINTR(t *testing.T) error {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	tv := syscall.NsecToTimeval(int64(time.Second))
	if err := syscall.SetsockoptTimeval(fds[0], syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	tids := make(chan int)
	result := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tids <- syscall.Gettid()
		for range 20 {
			_, _, err := syscall.Recvfrom(fds[0], make([]byte, 1), 0)
			if err != syscall.EAGAIN {
				result <- os.NewSyscallError("recvfrom", err)
				return
			}
		}
		result <- errors.New("20 receives timed out without a signal interrupting one")
	}()
	tid := <-tids
	for {
		select {
		case err := <-result:
			return err
		case <-time.After(time.Millisecond):
			syscall.Tgkill(syscall.Getpid(), tid, syscall.SIGURG)
		}
	}
}

// produceECONNABORTED destroys a connected socket from outside, as an
// administrator does with ss -K (SOCK_DESTROY through sock_diag): Linux
// aborts the connection with ECONNABORTED for its owner and sends an RST to
// the peer. It skips without root or ss(8), or when the kernel lacks
// CONFIG_INET_DIAG_DESTROY. Go's Accept retries ECONNABORTED itself, so
// this is the way a Go program on Linux sees it.
func produceECONNABORTED(t *testing.T) error {
	if os.Geteuid() != 0 {
		t.Skip("destroying a socket needs root (CAP_NET_ADMIN)")
	}
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("destroying a socket needs ss(8) from iproute2")
	}
	c, s := pair(t, "tcp")
	local, remote := c.LocalAddr().(*net.TCPAddr), c.RemoteAddr().(*net.TCPAddr)
	out, err := exec.Command("ss", "-K", "-t", "-n",
		"src", local.String(), "dst", remote.String()).CombinedOutput()
	if err != nil {
		t.Skipf("ss -K: %v: %s", err, out)
	}
	err = read(c)
	if got := Classify(read(s)); got != Reset {
		t.Errorf("the destroyed socket's peer reads %v, want reset", got)
	}
	return err
}

// TestUnreachable connects where the namespace has no route (ENETUNREACH)
// and where its route is of type unreachable (EHOSTUNREACH), prohibit
// (EACCES) or blackhole (EINVAL).
func TestUnreachable(t *testing.T) {
	n := newNetns(t)
	n.ip(t, "route", "add", "unreachable", "198.18.7.0/24")
	n.ip(t, "route", "add", "prohibit", "198.18.8.0/24")
	n.ip(t, "route", "add", "blackhole", "198.18.9.0/24")
	tests := []struct {
		addr, errno string
	}{
		{"198.18.5.1:80", "ENETUNREACH"},
		{"198.18.7.1:80", "EHOSTUNREACH"},
		{"198.18.8.1:80", "EACCES"},
		{"198.18.9.1:80", "EINVAL"},
	}
	for _, tt := range tests {
		var err error
		n.run(t, func() {
			var c net.Conn
			if c, err = net.Dial("tcp", tt.addr); c != nil {
				c.Close()
			}
		})
		t.Logf("dial %s: %v", tt.addr, err)
		var errno syscall.Errno
		if !errors.As(err, &errno) || errnoNames[errno] != tt.errno {
			t.Errorf("dial %s: %v, want %s", tt.addr, err, tt.errno)
		}
		if got := Classify(err); got != Unreachable {
			t.Errorf("Classify(%v) = %v, want unreachable", err, got)
		}
		if MayHaveLostData(err) || !Retryable(err, false) {
			t.Errorf("%v: a failed dial lost nothing and may be retried", err)
		}
	}
}

// acrossLink makes two namespaces joined by a veth pair, with permanent
// neighbour entries so that no failed ARP turns a lost peer into
// EHOSTUNREACH, and returns the server's namespace and a client connection
// from the other one to a server there, accepted. The server side's link is
// veth1, which a test takes down to make the peer vanish.
func acrossLink(t *testing.T) (*netns, net.Conn) {
	t.Helper()
	a, b := newNetns(t), newNetns(t)
	ipCmd(t, "-n", a.name, "link", "add", "veth0", "address", "02:00:00:00:00:01", "type", "veth",
		"peer", "name", "veth1", "address", "02:00:00:00:00:02", "netns", b.name)
	a.ip(t, "addr", "add", "198.18.0.1/30", "dev", "veth0")
	b.ip(t, "addr", "add", "198.18.0.2/30", "dev", "veth1")
	a.ip(t, "neigh", "replace", "198.18.0.2", "lladdr", "02:00:00:00:00:02", "nud", "permanent", "dev", "veth0")
	b.ip(t, "neigh", "replace", "198.18.0.1", "lladdr", "02:00:00:00:00:01", "nud", "permanent", "dev", "veth1")
	a.ip(t, "link", "set", "veth0", "up")
	b.ip(t, "link", "set", "veth1", "up")
	var ln net.Listener
	var err error
	b.run(t, func() { ln, err = net.Listen("tcp", "198.18.0.2:0") })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var c net.Conn
	a.run(t, func() { c, err = net.Dial("tcp", ln.Addr().String()) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return b, c
}

// TestTimedOut makes a peer vanish: two namespaces joined by a veth pair,
// a connection across it, then the server's end of the link goes down, so
// the client's segments are dropped silently. With TCP_USER_TIMEOUT at
// 300ms the client's kernel gives up quickly and its read fails with
// ETIMEDOUT. The neighbour entries are permanent so that no failed ARP
// turns the outcome into EHOSTUNREACH.
func TestTimedOut(t *testing.T) {
	b, c := acrossLink(t)
	err := control(c, func(fd int) error {
		return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, 300)
	})
	if err != nil {
		t.Fatal(err)
	}

	b.ip(t, "link", "set", "veth1", "down")
	if _, err := c.Write([]byte("anyone there?")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(time.Minute))
	err = read(c)
	t.Logf("read after the peer vanished: %v", err)
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Errorf("read: %v, want ETIMEDOUT", err)
	}
	if got := Classify(err); got != TimedOut {
		t.Errorf("Classify(%v) = %v, want timed-out", err, got)
	}
	if !MayHaveLostData(err) || Retryable(err, false) || !Retryable(err, true) {
		t.Errorf("%v: data may be lost, and only an idempotent request may be retried", err)
	}
}

// TestTimedOutThenEOF: after TCP_USER_TIMEOUT the write that notices gets
// ETIMEDOUT and the next read io.EOF, as if the peer had closed. Through a
// Conn, that io.EOF is judged as the timeout it is.
func TestTimedOutThenEOF(t *testing.T) {
	b, raw := acrossLink(t)
	if err := control(raw, func(fd int) error {
		return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, 300)
	}); err != nil {
		t.Fatal(err)
	}
	c := Watch(raw)
	b.ip(t, "link", "set", "veth1", "down")
	var werr error
	for deadline := time.Now().Add(10 * time.Second); werr == nil && time.Now().Before(deadline); {
		_, werr = c.Write([]byte("anyone there?"))
		time.Sleep(50 * time.Millisecond)
	}
	if !errors.Is(werr, syscall.ETIMEDOUT) {
		t.Fatalf("write: %v, want ETIMEDOUT", werr)
	}
	_, rawErr := raw.Read(make([]byte, 1))
	_, err := c.Read(make([]byte, 1))
	t.Logf("write: %v; then read: %v; through the Conn: %v", werr, rawErr, err)
	if !errors.Is(rawErr, io.EOF) || Classify(rawErr) != PeerClosed {
		t.Fatalf("the raw read gave %v (%v); this test expects the kernel's io.EOF", rawErr, Classify(rawErr))
	}
	if !errors.Is(err, io.EOF) {
		t.Errorf("read through the Conn: %v, want it to be io.EOF still", err)
	}
	if got := Classify(err); got != TimedOut {
		t.Errorf("Classify(%v) = %v, want timed-out: the peer never closed", err, got)
	}
	if !MayHaveLostData(err) || !errors.Is(c.Failed(), syscall.ETIMEDOUT) {
		t.Errorf("%v: lost %v, failed %v", err, MayHaveLostData(err), c.Failed())
	}
}

// TestBrokenPipeAfterWrite shows why MayHaveLostData reports true for
// EPIPE: the write before it succeeded, yet its bytes reached no
// application, because the peer had closed; its kernel answered them with
// the RST that the writer's kernel reports as EPIPE.
func TestBrokenPipeAfterWrite(t *testing.T) {
	c, s := pair(t, "tcp")
	s.Close()
	if err := read(c); err != io.EOF {
		t.Fatalf("read after the peer closed: %v, want EOF", err)
	}
	n, err := c.Write([]byte("lost"))
	if err != nil || n != 4 {
		t.Fatalf("first write after the peer closed: %d, %v; want it to succeed", n, err)
	}
	err = writeUntilError(c)
	if !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write after the RST: %v, want EPIPE", err)
	}
	if !MayHaveLostData(err) {
		t.Errorf("MayHaveLostData(%v) = false, but %q was accepted by write and never read", err, "lost")
	}
}
