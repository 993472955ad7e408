package sockerr

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
)

// errnoKinds is the one table from errno names to kinds. Classify reaches it
// through the platform's errno-to-name table (errno_unix.go,
// errno_windows.go, winerror.go); KindOfName exposes it.
var errnoKinds = map[string]Kind{
	// POSIX names, as in errno.h on Linux, macOS and the BSDs.
	"ECONNRESET":   Reset,
	"ENETRESET":    Reset,
	"EPIPE":        BrokenPipe,
	"ESHUTDOWN":    BrokenPipe,
	"ECONNREFUSED": Refused,
	"ECONNABORTED": Aborted,
	"ETIMEDOUT":    TimedOut,
	"ENETUNREACH":  Unreachable,
	"EHOSTUNREACH": Unreachable,
	"ENETDOWN":     Unreachable,
	"EHOSTDOWN":    Unreachable,
	"EAGAIN":       WouldBlock,
	"EWOULDBLOCK":  WouldBlock,
	"EINTR":        Interrupted,
	"ECANCELED":    Canceled,

	// Winsock names, as in winsock2.h.
	"WSAECONNRESET":   Reset,
	"WSAENETRESET":    Reset,
	"WSAESHUTDOWN":    BrokenPipe,
	"WSAECONNREFUSED": Refused,
	"WSAECONNABORTED": Aborted,
	"WSAETIMEDOUT":    TimedOut,
	"WSAENETUNREACH":  Unreachable,
	"WSAEHOSTUNREACH": Unreachable,
	"WSAENETDOWN":     Unreachable,
	"WSAEHOSTDOWN":    Unreachable,
	"WSAEWOULDBLOCK":  WouldBlock,
	"WSAEINTR":        Interrupted,
	"WSAECANCELLED":   Canceled,

	// Win32 names, as in winerror.h: what Windows reports for sockets
	// through overlapped I/O and the NTSTATUS translation.
	"ERROR_NETNAME_DELETED":      Reset,
	"ERROR_CONNECTION_REFUSED":   Refused,
	"ERROR_PORT_UNREACHABLE":     Refused,
	"ERROR_CONNECTION_ABORTED":   Aborted,
	"ERROR_SEM_TIMEOUT":          TimedOut,
	"ERROR_NETWORK_UNREACHABLE":  Unreachable,
	"ERROR_HOST_UNREACHABLE":     Unreachable,
	"ERROR_PROTOCOL_UNREACHABLE": Unreachable,
	"ERROR_OPERATION_ABORTED":    Canceled,
	"WSA_OPERATION_ABORTED":      Canceled,
}

// dialNames are errno names that mean Unreachable from connect(2) alone.
var dialNames = map[string]bool{"EACCES": true, "EINVAL": true, "WSAEACCES": true, "WSAEINVAL": true}

// KindOfName returns the kind Classify gives an errno with the symbolic
// name name, on any platform: "ECONNRESET", "WSAECONNRESET" and
// "ERROR_NETNAME_DELETED" are all Reset. Case does not matter. It reports
// false for a name outside the table; Classify calls such errors Other.
//
// The table is the one Classify itself uses:
//
//	Reset        ECONNRESET ENETRESET WSAECONNRESET WSAENETRESET ERROR_NETNAME_DELETED
//	BrokenPipe   EPIPE ESHUTDOWN WSAESHUTDOWN
//	Refused      ECONNREFUSED WSAECONNREFUSED ERROR_CONNECTION_REFUSED ERROR_PORT_UNREACHABLE
//	Aborted      ECONNABORTED WSAECONNABORTED ERROR_CONNECTION_ABORTED
//	TimedOut     ETIMEDOUT WSAETIMEDOUT ERROR_SEM_TIMEOUT
//	Unreachable  ENETUNREACH EHOSTUNREACH ENETDOWN EHOSTDOWN WSAENETUNREACH WSAEHOSTUNREACH
//	             WSAENETDOWN WSAEHOSTDOWN ERROR_NETWORK_UNREACHABLE ERROR_HOST_UNREACHABLE
//	             ERROR_PROTOCOL_UNREACHABLE
//	WouldBlock   EAGAIN EWOULDBLOCK WSAEWOULDBLOCK
//	Interrupted  EINTR WSAEINTR
//	Canceled     ECANCELED WSAECANCELLED ERROR_OPERATION_ABORTED WSA_OPERATION_ABORTED
//
// No errno name stands for PeerClosed, LocalClosed or Deadline: those come
// from io.EOF, net.ErrClosed and the deadline errors, never from an errno.
func KindOfName(name string) (Kind, bool) {
	k, ok := errnoKinds[strings.ToUpper(name)]
	return k, ok
}

// Classify returns the kind of err. It looks through every layer of
// wrapping and checks, in this order:
//
//  1. nil: Other.
//  2. errors.Is(err, net.ErrClosed): LocalClosed.
//  3. errors.Is(err, context.Canceled): Canceled. The net package's own
//     "operation was canceled" matches it.
//  4. errors.Is(err, os.ErrDeadlineExceeded) or
//     errors.Is(err, context.DeadlineExceeded): Deadline. The net
//     package's "i/o timeout" matches one of them.
//  5. a syscall.Errno (which golang.org/x/sys/unix and
//     golang.org/x/sys/windows errno values are) whose name is in the table
//     of KindOfName: that name's kind. On Windows the errno is matched by
//     its number (10054 is WSAECONNRESET), as well as Go's own invented
//     errno values (syscall.ECONNRESET and the like). An errno outside
//     the table falls through.
//  6. errors.Is(err, io.EOF) or errors.Is(err, io.ErrUnexpectedEOF):
//     PeerClosed. The unexpected EOF is still the peer closing, only in the
//     middle of a message; MayHaveLostData tells the two apart.
//  7. an error in the chain with a Timeout() bool method that reports true
//     (net.Error, *net.DNSError, a TLS handshake timeout): Deadline, since
//     Go reports expiry of the program's own timers this way. ETIMEDOUT,
//     whose syscall.Errno also has Timeout() true, was already TimedOut
//     in step 5.
//  8. anything else: Other.
//
// Then the HTTP rules, for errors from net/http's client and transport
// (matched by their types' names and texts, so that sockerr imports
// neither net/http's internals nor golang.org/x/net):
//
//   - in a *url.Error from http.Client (not from its dial), Reset,
//     BrokenPipe, PeerClosed and LocalClosed all become PeerClosed, and so
//     does "http: server closed idle connection": they are the one way a
//     server ends a connection the client chose for a request, the
//     keep-alive race when the connection had been idle, and net/http
//     reports it in all five forms;
//   - an HTTP/2 stream error (RST_STREAM) is Refused for REFUSED_STREAM,
//     Canceled for CANCEL and Reset for the other codes; a GOAWAY that
//     ended the connection, or "http2: client connection lost", is
//     PeerClosed;
//   - "net/http: TLS handshake timeout" is Deadline;
//   - "http: read on closed response body" is LocalClosed.
func Classify(err error) Kind { return classify(err, errnoName) }

// classify is Classify with the platform's errno naming passed in, so that
// tests on any platform can run the Windows naming through the same rules.
func classify(err error, errnoName func(error) string) Kind {
	base := classifyBase(err, errnoName)
	if k, _, ok := classifyHTTP(err, base); ok {
		return k
	}
	return base
}

// classifyBase is Classify without the HTTP rules.
func classifyBase(err error, errnoName func(error) string) Kind {
	switch {
	case err == nil:
		return Other
	case errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		return LocalClosed
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return Deadline
	}
	if name := errnoName(err); name != "" {
		if k, ok := errnoKinds[name]; ok {
			return k
		}
		// connect(2) fails with EACCES on a prohibit route and EINVAL on
		// a blackhole route: the route says the peer is unreachable.
		if dialNames[name] && duringDial(err) {
			return Unreachable
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return PeerClosed
	}
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return Deadline
	}
	return Other
}

// duringDial reports whether err comes from an attempt to connect, so that
// no byte of application data can have been sent: a *net.OpError whose Op
// is "dial", or an *os.SyscallError from connect(2) or ConnectEx.
func duringDial(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var se *os.SyscallError
	return errors.As(err, &se) && (se.Syscall == "connect" || se.Syscall == "connectex")
}

// MayHaveLostData reports whether, after err, bytes this side wrote may not
// have reached the peer's application, or bytes the peer wrote may not have
// reached this side. The rules:
//
//   - nil: false.
//   - an error from a connection attempt (a *net.OpError with Op "dial", or
//     an *os.SyscallError from connect or connectex): false, whatever its
//     kind. The connection never carried data.
//   - Refused: false; a connection was never made.
//   - WouldBlock, Interrupted: false; the call moved no bytes and the
//     connection is intact.
//   - LocalClosed: false; the program closed the connection itself, and the
//     call that failed moved no bytes. Whatever that close discarded is the
//     close's doing, and the peer learns of it.
//   - PeerClosed: false for io.EOF, the orderly end of the peer's stream:
//     everything it sent has arrived. True for io.ErrUnexpectedEOF: the
//     stream ended inside a message.
//   - Reset, Aborted: true. An RST discards what the receiving kernel had
//     not yet handed to its application, and what the sender had not yet
//     had acknowledged.
//   - TimedOut, Unreachable: true. Bytes in flight were never acknowledged.
//   - BrokenPipe: true. EPIPE does not mean that everything written before
//     was delivered. On Linux a write after the peer's FIN succeeds, the
//     peer's kernel answers the bytes with an RST because its application
//     has closed, and because the socket is in CLOSE_WAIT the RST is
//     reported as EPIPE, not ECONNRESET: the earlier, successful write was
//     discarded. Only the bytes written before the peer closed, and read
//     by it, arrived. (That all earlier data arrived is true only when the
//     pipe broke by this side's own shutdown.)
//   - Deadline on a read of a net.Conn (a *net.OpError with Op "read"
//     around os.ErrDeadlineExceeded): false. The read consumed nothing and
//     the connection is intact (see Intact); read again.
//   - other Deadline, Canceled: true. A write cut short by a deadline or
//     a cancellation has sent only a prefix of its buffer, and a request
//     whose wait for the response was cut short may have been processed
//     with its answer never read.
//   - an HTTP request that was never sent (the transport knew the
//     connection closed: "http: server closed idle connection"; the TLS
//     handshake timed out or failed with an alert; the stream was refused
//     with REFUSED_STREAM): false. An HTTP request that the server ended
//     before its response, after it was written: true, whatever the
//     kind, io.EOF included: the server discarded a request it had not
//     answered. Use TraceRequest to tell the two apart where the error
//     alone cannot (a reset during the TLS handshake).
//   - Other: true, since nothing is known.
//
// No result ever proves that the peer's application read what was written:
// only a reply from it can.
func MayHaveLostData(err error) bool {
	if err == nil || duringDial(err) {
		return false
	}
	_, end, _ := classifyHTTP(err, classifyBase(err, errnoName))
	switch end {
	case httpUnsent:
		return false
	case httpEnded:
		return true
	}
	if readDeadline(err) {
		return false
	}
	switch Classify(err) {
	case Refused, WouldBlock, Interrupted, LocalClosed:
		return false
	case PeerClosed:
		return errors.Is(err, io.ErrUnexpectedEOF)
	default:
		return true
	}
}

// Retryable reports whether a request that failed with err may be sent
// again on a new connection without risk of it being carried out twice;
// idempotent says whether carrying it out twice is harmless. The rules:
//
//   - Refused: true. A refused connection carried nothing.
//   - Reset, Aborted, TimedOut, Unreachable, Deadline from a connection
//     attempt (a *net.OpError with Op "dial", or an *os.SyscallError from
//     connect or connectex): true. No byte of the request left.
//   - Reset, Aborted, TimedOut, Unreachable, BrokenPipe, PeerClosed and
//     Deadline on an established connection: idempotent. The request may
//     have been received and carried out, and only its answer lost; this
//     includes a peer that closed an idle kept-alive connection just as the
//     request went out. A caller that has already acted on part of the
//     response must not retry whatever Retryable says.
//   - LocalClosed, Canceled: false. The program itself ended the request.
//   - WouldBlock, Interrupted: false. The connection is intact: repeat the
//     call itself on the same connection (after waiting for readiness, for
//     WouldBlock), do not open a new one.
//   - Other and nil: false.
//   - an HTTP request that was never sent (see MayHaveLostData): true,
//     idempotent or not, unless the program canceled it or closed it.
//
// Retryable judges safety, not budget: a Deadline that came from a context
// fails again at once under the same context, so a retry needs a fresh one,
// and every retry should wait (back off) before it dials again.
func Retryable(err error, idempotent bool) bool {
	if err == nil {
		return false
	}
	k := Classify(err)
	if _, end, _ := classifyHTTP(err, classifyBase(err, errnoName)); end == httpUnsent && k != Canceled && k != LocalClosed {
		return true
	}
	switch k {
	case Refused:
		return true
	case Reset, Aborted, TimedOut, Unreachable, Deadline:
		return idempotent || duringDial(err)
	case BrokenPipe, PeerClosed:
		return idempotent
	default:
		return false
	}
}

// readDeadline reports whether err is a read on a connection that ended
// because the program's read deadline passed: a *net.OpError with Op
// "read" around os.ErrDeadlineExceeded, not inside an HTTP client's
// error (whose transport closes the connection).
func readDeadline(err error) bool {
	var op *net.OpError
	var ue *url.Error
	return errors.As(err, &op) && op.Op == "read" && errors.Is(err, os.ErrDeadlineExceeded) && !errors.As(err, &ue)
}

// Intact reports whether the connection that err came from is still
// usable: the call failed, the connection did not. That is so for
// WouldBlock and Interrupted, and for a read or write of a net.Conn
// whose deadline passed (os.ErrDeadlineExceeded): set a new deadline and
// call again. After a write deadline, part of the buffer may have been
// written (see MayHaveLostData); the connection is intact still. A
// deadline inside an HTTP client's error is not intact: the transport
// closed the connection.
func Intact(err error) bool {
	switch Classify(err) {
	case WouldBlock, Interrupted:
		return true
	case Deadline:
		var op *net.OpError
		var ue *url.Error
		return errors.As(err, &op) && (op.Op == "read" || op.Op == "write") &&
			errors.Is(err, os.ErrDeadlineExceeded) && !errors.As(err, &ue)
	}
	return false
}
