// Package sockerr tells how a network connection ended and closes
// connections on purpose.
//
// Classify turns any error from the net, os and syscall packages (and from
// golang.org/x/sys, whose errno values are syscall.Errno) into a Kind: the
// peer closed, the connection was reset, the pipe is broken, the connection
// was refused, aborted, timed out or unreachable, it was closed locally, a
// deadline or context ended the call, the call would block or was
// interrupted. It looks through wrapping with errors.As and errors.Is, so
// *net.OpError, *os.SyscallError and fmt.Errorf("...: %w") chains work. On
// Windows it matches the Winsock codes (WSAECONNRESET is 10054, ...) by
// number, which errors.Is(err, syscall.ECONNRESET) does not.
//
// Errors from net/http's client get one answer per cause: the keep-alive
// race (a request on a kept-alive connection the server just closed) is
// PeerClosed however net/http reports it; HTTP/2 stream resets, GOAWAY and
// TLS handshake timeouts have kinds of their own.
//
// MayHaveLostData and Retryable answer the two questions that follow an
// error: may bytes have gone missing, and may the request be sent again on a
// new connection. Their doc comments state the exact rules. Intact says
// whether the connection itself is still usable. TraceRequest follows an
// HTTP request with net/http/httptrace, so that a failure before the
// request was written (a reset during the TLS handshake) is known to be
// safe to retry. Watch wraps a net.Conn so that an io.EOF read after the
// connection failed (ETIMEDOUT from TCP_USER_TIMEOUT, then EOF) is judged
// as that failure, not as the peer's close.
//
// AbortiveClose ends a TCP connection with an RST on purpose; GracefulClose
// half-closes, reads what the peer still sends and closes without turning
// unread data into an RST.
//
// The package uses the standard library only.
package sockerr

import (
	"fmt"
	"strings"
)

// A Kind is the way a connection, or one call on it, ended. The zero value
// is Other: an error Classify does not recognise.
type Kind uint8

// The kinds. The first seven come from the network or the peer, the rest
// from this process or from the call itself.
const (
	// Other is any error that is not one of the kinds below, or nil.
	Other Kind = iota
	// PeerClosed: the peer closed its sending side (FIN); a read reached
	// the end of the stream (io.EOF), maybe in the middle of a message
	// (io.ErrUnexpectedEOF).
	PeerClosed
	// Reset: the peer, or a middlebox, sent an RST (ECONNRESET,
	// WSAECONNRESET, ENETRESET).
	Reset
	// BrokenPipe: a write on a connection whose peer has closed, or that
	// was itself shut down for writing (EPIPE, ESHUTDOWN).
	BrokenPipe
	// Refused: nothing listens at the address; the peer answered the
	// connection attempt with an RST or ICMP port unreachable
	// (ECONNREFUSED).
	Refused
	// Aborted: the local stack gave up on the connection (ECONNABORTED),
	// for instance because an administrator destroyed the socket
	// (ss -K on Linux) or Windows saw its retransmissions fail.
	Aborted
	// TimedOut: the kernel gave up: retransmissions, keepalive probes or a
	// connection attempt went unanswered (ETIMEDOUT). It is not a
	// deadline the program set: that is Deadline.
	TimedOut
	// Unreachable: no route to the network or host, or an ICMP
	// unreachable came back (ENETUNREACH, EHOSTUNREACH, ENETDOWN,
	// EHOSTDOWN).
	Unreachable
	// LocalClosed: this process closed the connection and then used it
	// (net.ErrClosed).
	LocalClosed
	// Deadline: a deadline or timeout the program set expired
	// (os.ErrDeadlineExceeded, context.DeadlineExceeded, a net.Error
	// whose Timeout method reports true).
	Deadline
	// WouldBlock: a non-blocking call found nothing to do (EAGAIN,
	// EWOULDBLOCK). The connection is intact.
	WouldBlock
	// Interrupted: a signal interrupted a blocking call (EINTR). The
	// connection is intact.
	Interrupted
	// Canceled: the program canceled the call (context.Canceled,
	// ECANCELED).
	Canceled
)

var kindNames = [...]string{
	Other:       "other",
	PeerClosed:  "peer-closed",
	Reset:       "reset",
	BrokenPipe:  "broken-pipe",
	Refused:     "refused",
	Aborted:     "aborted",
	TimedOut:    "timed-out",
	Unreachable: "unreachable",
	LocalClosed: "local-closed",
	Deadline:    "deadline",
	WouldBlock:  "would-block",
	Interrupted: "interrupted",
	Canceled:    "canceled",
}

// String returns the kind's name: "peer-closed", "reset", "broken-pipe",
// "refused", "aborted", "timed-out", "unreachable", "local-closed",
// "deadline", "would-block", "interrupted", "canceled" or "other".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Kinds returns every kind: PeerClosed, Reset, BrokenPipe, Refused,
// Aborted, TimedOut, Unreachable, LocalClosed, Deadline, WouldBlock,
// Interrupted, Canceled, and Other last.
func Kinds() []Kind {
	return []Kind{
		PeerClosed, Reset, BrokenPipe, Refused, Aborted, TimedOut, Unreachable,
		LocalClosed, Deadline, WouldBlock, Interrupted, Canceled, Other,
	}
}

// ParseKind returns the kind whose String is s.
func ParseKind(s string) (Kind, error) {
	for i, name := range kindNames {
		if s == name {
			return Kind(i), nil
		}
	}
	return Other, fmt.Errorf("sockerr: unknown kind %q, want one of %s", s, strings.Join(kindNames[:], ", "))
}

// MarshalText returns the kind's String, so that kinds read and write as
// their names in JSON and other text formats.
func (k Kind) MarshalText() ([]byte, error) {
	if int(k) >= len(kindNames) {
		return nil, fmt.Errorf("sockerr: marshal kind: invalid value %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText sets k to the kind named by text, as ParseKind does.
func (k *Kind) UnmarshalText(text []byte) error {
	v, err := ParseKind(string(text))
	if err != nil {
		return err
	}
	*k = v
	return nil
}
