package sockerr

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// AbortiveClose closes conn with an RST instead of a FIN, on purpose: it
// sets SO_LINGER to {on, 0 seconds} and closes. The kernel discards
// whatever conn has not yet sent and whatever it has received but not read,
// and the peer's next read or write fails with ECONNRESET (Reset). Use it
// when the peer must learn at once that the exchange failed, or to leave no
// socket in TIME_WAIT; never where the peer still needs what was written.
//
// If conn wraps another connection through a NetConn method, as *tls.Conn
// does, the innermost connection is the one closed, directly: an abortive
// close sends nothing in-band, not even a TLS close_notify. The wrapper's
// own Close then only reports the connection closed.
//
// The linger option is set through a SetLinger method (*net.TCPConn and
// types that embed it have one), or else, for a TCP connection that
// implements syscall.Conn, with setsockopt on its descriptor. Any other
// connection, such as a Unix domain socket, which has no RST, is closed
// plainly and AbortiveClose returns an error wrapping errors.ErrUnsupported.
// In every case conn is closed when AbortiveClose returns.
func AbortiveClose(conn net.Conn) error {
	c := conn
	for {
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = w.NetConn()
	}
	lerr := lingerZero(c)
	cerr := c.Close()
	if lerr != nil {
		return fmt.Errorf("sockerr: abortive close: closed without RST: %w", lerr)
	}
	if cerr != nil {
		return fmt.Errorf("sockerr: abortive close: %w", cerr)
	}
	return nil
}

// lingerZero sets SO_LINGER to {1, 0} on c, so that closing it sends an RST.
func lingerZero(c net.Conn) error {
	if l, ok := c.(interface{ SetLinger(int) error }); ok {
		return l.SetLinger(0)
	}
	network := "unknown"
	if a := c.LocalAddr(); a != nil {
		network = a.Network()
	}
	sc, ok := c.(syscall.Conn)
	if !ok || !strings.HasPrefix(network, "tcp") {
		return fmt.Errorf("%T on network %q has no SO_LINGER: %w", c, network, errors.ErrUnsupported)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = setLingerZero(fd) }); err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("setsockopt SO_LINGER", serr)
	}
	return nil
}

// finalDrain bounds the last read GracefulClose makes after its timeout,
// which takes what has already arrived and what arrives meanwhile.
const finalDrain = 10 * time.Millisecond

// GracefulClose ends conn so that neither side loses data: it half-closes
// conn (CloseWrite sends a FIN; what was written before is still
// delivered), reads and discards what the peer still sends until the peer
// closes its side (EOF) or timeout expires, and then closes conn.
//
// Closing a socket whose receive queue holds unread bytes makes the kernel
// send an RST instead of a FIN (Linux and Windows do; macOS and the BSDs
// send a FIN), and the RST makes the peer's kernel discard what it has
// received but its application has not read yet, including the last
// response this side wrote. A Unix domain socket closed so on Linux makes
// its peer's next read or write fail with ECONNRESET. GracefulClose
// never closes while it could still read: it closes only after EOF, or,
// when timeout expires first, after one last read of everything that has
// arrived (bounded by a few milliseconds). It then returns an error wrapping
// os.ErrDeadlineExceeded, saying that the peer had not closed its side.
// Bytes the peer sends after that meet a closed socket, and the kernel
// answers them with an RST (RFC 1122 4.2.2.13; Linux counts it as
// TCPAbortOnData): only the peer can prevent that, by stopping. A timeout
// of zero or less only reads what has already arrived.
//
// conn must offer CloseWrite, as *net.TCPConn, *net.UnixConn and *tls.Conn
// do (for *tls.Conn the half-close is a TLS close_notify alert); any other conn is closed plainly and GracefulClose returns an error
// wrapping errors.ErrUnsupported. No other goroutine may read conn
// meanwhile. If the peer resets the connection while GracefulClose reads,
// the error wraps the reset (Classify gives Reset). In every case conn is
// closed when GracefulClose returns; the first error is the one returned.
func GracefulClose(conn net.Conn, timeout time.Duration) error {
	hc, ok := conn.(interface{ CloseWrite() error })
	if !ok {
		conn.Close()
		return fmt.Errorf("sockerr: graceful close of %T: no CloseWrite: %w", conn, errors.ErrUnsupported)
	}
	if err := hc.CloseWrite(); err != nil {
		conn.Close()
		return fmt.Errorf("sockerr: graceful close: half-close: %w", err)
	}
	err := discardUntil(conn, time.Now().Add(timeout))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if err = discardUntil(conn, time.Now().Add(finalDrain)); errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("peer did not close its side within %v: %w", timeout, err)
		}
	}
	cerr := conn.Close()
	if err != nil {
		return fmt.Errorf("sockerr: graceful close: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("sockerr: graceful close: %w", cerr)
	}
	return nil
}

// discardUntil reads and discards from conn until EOF, which it reports as
// nil, or until an error, such as the deadline's.
func discardUntil(conn net.Conn, deadline time.Time) error {
	if err := conn.SetReadDeadline(deadline); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, conn)
	return err
}
