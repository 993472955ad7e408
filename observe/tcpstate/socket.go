package tcpstate

import (
	"errors"
	"net/netip"
)

// Socket is one TCP socket as sock_diag reports it.
type Socket struct {
	// Local and Remote are the socket's addresses. IPv4-mapped IPv6
	// addresses (a dual-stack socket talking IPv4) are unmapped, so one
	// connection has the same addresses whichever family its sockets have.
	Local, Remote netip.AddrPort
	State         State
	// RecvQ and SendQ are, for a LISTEN socket, the length of its accept
	// queue and its backlog. For other sockets RecvQ is the bytes received
	// and not yet read — counting a received FIN as one until a read
	// reaches it, as ss shows — and
	// SendQ the bytes written and not yet acknowledged by the peer.
	RecvQ, SendQ uint32
	// Inode is the socket's inode number; it is 0 for a socket no file
	// refers to: closed by its process, waiting in an accept queue, a
	// request socket or TIME_WAIT.
	Inode uint32
	// Cookie is the kernel's unique identifier of the socket, never reused
	// while the system runs; the tracepoints and SO_COOKIE report it too.
	Cookie uint64
	// Orphan reports that the process has closed the socket and the kernel
	// is finishing the connection alone: FIN_WAIT1, FIN_WAIT2, CLOSING,
	// LAST_ACK, TIME_WAIT or CLOSE with no file.
	Orphan bool
	// Timer is the timer running on the socket: 0 none, 1 retransmission
	// (or loss probe), 2 keepalive, 3 TIME_WAIT, 4 zero-window probe (ss's
	// "timer:" column). When it fires is left out on purpose, so that two
	// dumps of sockets where nothing happened compare equal.
	Timer uint8
	// Info reports whether the fields below are known: the kernel gives
	// tcp_info for full sockets, not for TIME_WAIT or request sockets.
	Info bool
	// Unacked is the segments sent and not acknowledged, Retrans those of
	// them retransmitted and not yet acknowledged, Backoff the
	// retransmission timer's exponential backoff; from tcp_info.
	Unacked, Retrans, Backoff uint32
}

// Tables name the kernel's tables of TCP sockets a dump walks.
type Tables uint8

const (
	// Connected holds the sockets with a connection, in any state from
	// SYN_SENT to TIME_WAIT, request sockets, and sockets in CLOSE still in
	// the established-socket table: those of the namespace's own table,
	// when it has one.
	Connected Tables = 1 << iota
	// BoundOnly holds the sockets bound to a port and neither listening
	// nor connected, in state CLOSE: bound and not yet listening, or
	// bound explicitly (or accepted from a listener that was) and closed
	// by the kernel — a reset, a timeout — while the process still holds
	// them. Kernels before 6.6 do not report these.
	BoundOnly
	// Listening holds the listening sockets. Their table is the host's
	// in every namespace (tcp_listen_portaddr_hash, thousands of
	// buckets), so a dump of them costs several times one of Connected
	// in a namespace with a small table of its own; Dumper.Listener looks
	// one up without walking it.
	Listening
	// Connections is Connected and Listening.
	Connections = Connected | Listening
	// All is every table.
	All = Connections | BoundOnly
)

// orphanStates are the states in which a socket without a file has been
// closed by its process. A not-yet-accepted socket has no file either, but
// is ESTABLISHED or CLOSE_WAIT, or a request socket.
const orphanStates = 1<<FinWait1 | 1<<FinWait2 | 1<<Closing | 1<<LastAck | 1<<TimeWait | 1<<Close

// ErrUnsupported is what Open returns on systems other than Linux.
var ErrUnsupported = errors.New("TCP socket dumps are implemented on Linux only")
