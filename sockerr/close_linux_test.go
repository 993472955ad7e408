package sockerr

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// closeEnv runs a close test in a fresh network namespace when it can, so
// that the namespace's own TCP counters tell which RSTs its kernel sent;
// otherwise on the host's loopback, without counters.
type closeEnv struct {
	ns *netns
}

func newCloseEnv(t *testing.T) closeEnv {
	if os.Geteuid() != 0 {
		t.Log("not root: on the host's loopback, without RST counters")
		return closeEnv{}
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Log("no ip(8): on the host's loopback, without RST counters")
		return closeEnv{}
	}
	return closeEnv{ns: newNetns(t)}
}

func (e closeEnv) pair(t *testing.T, network string) (client, server net.Conn) {
	t.Helper()
	if e.ns == nil {
		return pair(t, network)
	}
	var err error
	e.ns.run(t, func() { client, server, err = dialPair(network) })
	if err != nil {
		t.Fatalf("connect a %s pair: %v", network, err)
	}
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

// rsts returns a function reporting how many RSTs the namespace's kernel
// sent since, because a socket was closed with unread data
// (TCPAbortOnClose) and because data arrived after close (TCPAbortOnData),
// or ok false when the test runs without counters.
func (e closeEnv) rsts(t *testing.T) func() (onClose, onData int64, ok bool) {
	if e.ns == nil {
		return func() (int64, int64, bool) { return 0, 0, false }
	}
	before := e.ns.tcpCounters(t)
	return func() (int64, int64, bool) {
		after := e.ns.tcpCounters(t)
		return after["TCPAbortOnClose"] - before["TCPAbortOnClose"],
			after["TCPAbortOnData"] - before["TCPAbortOnData"], true
	}
}

// smallBuffers shrinks the socket buffers between client and server so
// that a few megabytes keep the client sending until the server reads.
func smallBuffers(client, server net.Conn) {
	type buffers interface {
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
	}
	client.(buffers).SetWriteBuffer(16 << 10)
	server.(buffers).SetReadBuffer(64 << 10)
}

var response = bytes.Repeat([]byte("response "), 8<<10)

// peer is the client side of a close test: one goroutine sends, the other
// reads everything until EOF or an error.
type peer struct {
	sent     chan error // the sender's end: nil when all was sent and CloseWrite succeeded
	received chan []byte
	readErr  chan error // nil for EOF
}

// startPeer starts reading at once, and starts sending total bytes (total
// < 0: until a write fails) once start is closed.
func startPeer(c net.Conn, total int, start <-chan struct{}) *peer {
	p := &peer{sent: make(chan error, 1), received: make(chan []byte, 1), readErr: make(chan error, 1)}
	go func() {
		var buf bytes.Buffer
		_, err := io.Copy(&buf, c)
		p.received <- buf.Bytes()
		p.readErr <- err
	}()
	go func() {
		<-start
		chunk := make([]byte, 16<<10)
		for n := 0; total < 0 || n < total; n += len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				p.sent <- err
				return
			}
		}
		p.sent <- c.(interface{ CloseWrite() error }).CloseWrite()
	}()
	return p
}

// TestGracefulClose closes the server while the client is still sending,
// with unread bytes in the server's receive queue. GracefulClose must let
// the client finish and read the whole response and then EOF, with no RST;
// a plain Close in the same state must reset the client, which shows that
// the test can fail.
func TestGracefulClose(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network+"/graceful", func(t *testing.T) {
			env := newCloseEnv(t)
			c, s := env.pair(t, network)
			smallBuffers(c, s)
			rsts := env.rsts(t)
			go1 := make(chan struct{})
			close(go1)
			p := startPeer(c, 1<<20, go1)
			if _, err := s.Write(response); err != nil {
				t.Fatal(err)
			}
			if err := waitUnread(s); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-p.sent:
				t.Fatalf("the client finished sending (%v) before the close; the test would prove nothing", err)
			default:
			}

			if err := GracefulClose(s, time.Minute); err != nil {
				t.Errorf("GracefulClose: %v", err)
			}
			if err := <-p.sent; err != nil {
				t.Errorf("client send: %v, want all 1 MiB sent and a half-close", err)
			}
			if got := <-p.received; !bytes.Equal(got, response) {
				t.Errorf("client received %d bytes, want the %d-byte response", len(got), len(response))
			}
			if err := <-p.readErr; err != nil {
				t.Errorf("client read: %v, want EOF", err)
			}
			if onClose, onData, ok := rsts(); ok && network == "tcp" && (onClose != 0 || onData != 0) {
				t.Errorf("the kernel sent RSTs: %d for close with unread data, %d for data after close; want none", onClose, onData)
			}
		})
		t.Run(network+"/plain close", func(t *testing.T) {
			env := newCloseEnv(t)
			c, s := env.pair(t, network)
			smallBuffers(c, s)
			rsts := env.rsts(t)
			go1 := make(chan struct{})
			close(go1)
			p := startPeer(c, 1<<20, go1)
			if _, err := s.Write(response); err != nil {
				t.Fatal(err)
			}
			if err := waitUnread(s); err != nil {
				t.Fatal(err)
			}
			s.Close()
			<-p.received
			// The reset is reported once: to whichever of the client's
			// read and write comes first. The other sees EOF or EPIPE.
			readErr, sendErr := <-p.readErr, <-p.sent
			t.Logf("client read: %v; client send: %v", readErr, sendErr)
			if Classify(readErr) != Reset && Classify(sendErr) != Reset {
				t.Errorf("after a plain close with unread data, neither the client's read (%v) nor its write (%v) was reset", readErr, sendErr)
			}
			if onClose, _, ok := rsts(); ok && network == "tcp" && onClose != 1 {
				t.Errorf("TCPAbortOnClose went up by %d, want 1", onClose)
			}
		})
	}
}

// TestGracefulCloseTimeout has the client send without end once it has
// read the server's response and EOF. GracefulClose gives up after its
// timeout with an error wrapping os.ErrDeadlineExceeded, and closes; the
// client has the whole response and its EOF, and its writes then fail.
func TestGracefulCloseTimeout(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			c, s := pair(t, network)
			start := make(chan struct{})
			p := startPeer(c, -1, start)
			if _, err := s.Write(response); err != nil {
				t.Fatal(err)
			}
			closed := make(chan error, 1)
			go func() { closed <- GracefulClose(s, 200*time.Millisecond) }()

			if got := <-p.received; !bytes.Equal(got, response) {
				t.Errorf("client received %d bytes, want the %d-byte response", len(got), len(response))
			}
			if err := <-p.readErr; err != nil {
				t.Errorf("client read: %v, want EOF", err)
			}
			close(start)
			err := <-closed
			t.Logf("GracefulClose: %v", err)
			if !errors.Is(err, os.ErrDeadlineExceeded) || Classify(err) != Deadline {
				t.Errorf("GracefulClose: %v, want the deadline error", err)
			}
			if _, err := s.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
				t.Errorf("read after GracefulClose: %v, want net.ErrClosed", err)
			}
			err = <-p.sent
			t.Logf("client send after the close: %v", err)
			if k := Classify(err); k != Reset && k != BrokenPipe {
				t.Errorf("client send after the close: %v (%v), want reset or broken-pipe", err, k)
			}
		})
	}
}

// TestGracefulClosePeerDone covers a peer that has already finished: the
// close succeeds even with no time to wait, because GracefulClose reads
// what has arrived, EOF included.
func TestGracefulClosePeerDone(t *testing.T) {
	c, s := pair(t, "tcp")
	c.Write([]byte("last words"))
	c.(*net.TCPConn).CloseWrite()
	if err := waitUnread(s); err != nil {
		t.Fatal(err)
	}
	if err := GracefulClose(s, 0); err != nil {
		t.Errorf("GracefulClose after the peer finished: %v", err)
	}
	if err := read(c); err != io.EOF {
		t.Errorf("peer read: %v, want EOF", err)
	}
}

// onlySyscallConn hides SetLinger, so that AbortiveClose must set the
// option through the descriptor.
type onlySyscallConn struct{ net.Conn }

func (c onlySyscallConn) SyscallConn() (syscall.RawConn, error) {
	return c.Conn.(syscall.Conn).SyscallConn()
}

// wrapped stands for a connection that wraps another, as *tls.Conn does.
type wrapped struct{ net.Conn }

func (w wrapped) NetConn() net.Conn { return w.Conn }

// TestAbortiveClose closes the server abortively in each way a connection
// can offer it, and checks that the client's read fails with ECONNRESET.
func TestAbortiveClose(t *testing.T) {
	tests := []struct {
		name string
		wrap func(net.Conn) net.Conn
	}{
		{"TCPConn", func(c net.Conn) net.Conn { return c }},
		{"SyscallConn", func(c net.Conn) net.Conn { return onlySyscallConn{c} }},
		{"NetConn", func(c net.Conn) net.Conn { return wrapped{c} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := pair(t, "tcp")
			if err := AbortiveClose(tt.wrap(s)); err != nil {
				t.Fatalf("AbortiveClose: %v", err)
			}
			err := read(c)
			if !errors.Is(err, syscall.ECONNRESET) || Classify(err) != Reset {
				t.Errorf("peer read: %v, want ECONNRESET", err)
			}
		})
	}
	t.Run("unix", func(t *testing.T) {
		c, s := pair(t, "unix")
		err := AbortiveClose(s)
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("AbortiveClose of a Unix socket: %v, want errors.ErrUnsupported", err)
		}
		if err := read(s); !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after AbortiveClose: %v, want net.ErrClosed", err)
		}
		if err := read(c); err != io.EOF {
			t.Errorf("peer read: %v, want EOF from the plain close", err)
		}
	})
}
