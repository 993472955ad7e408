package kernel

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/teardown-net/teardown/observe/tcpstate"
)

// ErrUnsupported is wrapped by Open when this system cannot run the
// observer: not Linux, no BTF, or a kernel or privilege that refuses the
// programs.
var ErrUnsupported = fmt.Errorf("eBPF kernel observer: %w", errors.ErrUnsupported)

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("kernel observer closed")

// Kind says which tracepoint an Event comes from.
type Kind uint8

// The kinds of Event; the values are the BPF program's.
const (
	SendReset    Kind = 1 // tcp_send_reset: this host sent an RST
	ReceiveReset Kind = 2 // tcp_receive_reset: an RST arrived for a socket
	StateChange  Kind = 3 // inet_sock_set_state
	SocketError  Kind = 4 // inet_sk_error_report not explained by a received RST
	Drop         Kind = 5 // kfree_skb: a TCP packet dropped, with its skb_drop_reason
	Retransmit   Kind = 6 // tcp_retransmit_skb after a retransmission timeout: unanswered
)

var kindNames = [...]string{SendReset: "send_reset", ReceiveReset: "receive_reset", StateChange: "state", SocketError: "error", Drop: "drop", Retransmit: "retransmit"}

// String returns the kind's name as the JSON schema spells it.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Attribution says how an Event's Owner is known.
type Attribution uint8

// The attributions; the values are the BPF program's.
const (
	// None: no task was seen acting on the socket, and none held it when
	// the observer started.
	None Attribution = 0
	// Exact: the owner is the task that last acted on the socket with its
	// lock held (a system call on it), seen by the observer.
	Exact Attribution = 1
	// Snapshot: the owner held the socket in its file table when the
	// observer started, and no task has been seen acting on it since.
	Snapshot Attribution = 2
)

var attributionNames = [...]string{None: "none", Exact: "exact", Snapshot: "snapshot"}

// String returns "none", "exact" or "snapshot".
func (a Attribution) String() string {
	if int(a) < len(attributionNames) {
		return attributionNames[a]
	}
	return "Attribution(" + strconv.Itoa(int(a)) + ")"
}

// Owner is the process a socket belongs to.
type Owner struct {
	PID  int    // thread group id: the process
	TID  int    // the thread that acted
	Comm string // the thread's command name
	// Cgroup is the owner's cgroup v2 id when it acted (the inode number
	// of its directory under /sys/fs/cgroup).
	Cgroup uint64
	How    Attribution
	// Listener is true when no task has acted on the socket since it was
	// made and the owner is that of the listener on its namespace and
	// port: the process that accepted it, or will.
	Listener bool
}

// Event is one thing the kernel did to a TCP socket.
type Event struct {
	Kind Kind
	// Mono is the time on CLOCK_MONOTONIC, the clock of ktrace.Mono.
	Mono time.Duration
	// Cookie is the socket's cookie (SO_COOKIE, sock_diag), 0 for an RST
	// sent with no socket.
	Cookie uint64
	// Netns is the inode number of the socket's network namespace (as
	// in /proc/PID/ns/net), or for an RST sent with no socket the
	// receiving device's.
	Netns uint32
	// Local and Remote are the socket's addresses; for an RST sent with
	// no socket, Local is where the packet it answers was sent to. IPv4
	// sockets have IPv4 addresses; a port is 0 while unknown.
	Local, Remote netip.AddrPort
	// State is the socket's state when the event fired; for StateChange
	// the new state, OldState the one before.
	State, OldState tcpstate.State
	// NoSocket is true for an RST that answers a packet no socket took
	// (State is then 0).
	NoSocket bool
	// Reason is the kernel's name for why it sent an RST, such as
	// "TCP_ABORT_ON_CLOSE" or "NO_SOCKET"; empty when HasReason is false
	// (Linux before 6.10 gives none). For a Drop it is the skb_drop_reason
	// without its SKB_DROP_REASON_ prefix ("NO_SOCKET", "TCP_INVALID_SEQUENCE").
	Reason    string
	HasReason bool
	// Unread is rcv_nxt - copied_seq, Unacked write_seq - snd_una: the
	// bytes received but not read by the application, and sent (or
	// queued) but not acknowledged by the peer. Valid when Queues is
	// true (not for TIME_WAIT, request sockets or no socket).
	Unread, Unacked uint32
	Queues          bool
	// Cgroup is the socket's own cgroup v2 id (the cgroup of the task
	// that created it), 0 when unknown.
	Cgroup uint64
	// Owner is the socket's process; Owner.How is None when unknown.
	Owner Owner
	// Orphan is true when no process holds the socket any more (closed
	// by its process: FIN_WAIT2, TIME_WAIT, LAST_ACK …); Owner is then
	// the last one.
	Orphan bool
	// OnCPU is the process that was running when the event fired, which
	// in interrupt context is unrelated to the socket.
	OnCPU int
	// Errno is the error the kernel reported to the socket
	// (inet_sk_error_report), 0 if none: for ReceiveReset the error that
	// followed the RST, for SocketError its error.
	Errno syscall.Errno
	// ErrnoPending is true for a ReceiveReset after which the kernel
	// was expected to report an error that the observer did not see.
	ErrnoPending bool
	// Retransmits is, for a Retransmit, how many retransmission timeouts
	// in a row the peer has left unanswered, this one included; the
	// kernel gives up at tcp_retries2 (tcp_syn_retries for a SYN) and
	// the application gets ETIMEDOUT.
	Retransmits int
}

// Predicted returns the errno an application is given for an RST received
// in state s, by the kernel's rule in tcp_reset: ECONNREFUSED in SYN_SENT,
// EPIPE in CLOSE_WAIT, none in CLOSE, ECONNRESET otherwise.
func Predicted(s tcpstate.State) syscall.Errno {
	switch s {
	case tcpstate.SynSent:
		return syscall.ECONNREFUSED
	case tcpstate.CloseWait:
		return syscall.EPIPE
	case tcpstate.Close:
		return 0
	}
	return syscall.ECONNRESET
}

// OwnAbort reports whether a SocketError is the one tcp_disconnect reports
// to a socket it has just aborted with an RST of its own (a close with
// SO_LINGER 0, or connect with AF_UNSPEC): by then the kernel has cleared
// the socket's peer port (and its address, unless bound), and moved its
// write sequence a window ahead, so the event names no connection, and
// counts no real unacknowledged bytes. The RST the socket sent is the
// account of that end; no application is given this error. A State of 0
// (unknown, as tracefs gives it) passes on the port alone.
func OwnAbort(e *Event) bool {
	return e.Kind == SocketError && (e.State == tcpstate.Close || e.State == 0) && e.Remote.Port() == 0
}
