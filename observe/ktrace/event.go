// Package ktrace reads the Linux kernel's own account of what happened to
// TCP connections, from the tracepoints tcp:tcp_send_reset (every RST the
// kernel sends, with its reason since Linux 6.10), tcp:tcp_receive_reset,
// sock:inet_sock_set_state and sock:inet_sk_error_report, through a tracefs
// instance of its own.
//
// Tracing is global: an instance sees every network namespace, so callers
// attribute events by addresses, ports and socket cookies. Reason names
// come from the running kernel (its trace output and the tracepoint's
// format file), never from a table in this package: they differ between
// kernel versions.
//
// The line and format parsers are portable, so recorded traces can be read
// anywhere; the Tracer works on Linux only.
package ktrace

import (
	"net/netip"
	"time"
)

// Event is one line of trace output: a tracepoint hit, a trace marker, or
// a notice that events were lost.
type Event struct {
	// Mono is the event's time on CLOCK_MONOTONIC (the instance's "mono"
	// trace clock), with the microsecond resolution of the trace text.
	Mono time.Duration
	// Name is the tracepoint's name, such as "tcp_send_reset", or
	// "tracing_mark_write" for a marker, or Lost.
	Name string
	CPU  int
	// PID and Comm are the task that was running when the event fired. For
	// events fired in softirq context (most receive-side ones) that task
	// is whichever one the interrupt found, not the socket's owner.
	PID  int
	Comm string
	// Src and Dst are the socket's local and remote addresses, or for
	// tcp_send_reset the RST's source and destination. IPv4-mapped IPv6
	// addresses are unmapped. A port is 0 while unknown (a SYN_SENT socket
	// before its port is chosen).
	Src, Dst netip.AddrPort
	// State is the socket's state when tcp_send_reset fired, without the
	// TCP_ prefix ("CLOSE", "ESTABLISHED"), or "UNKNOWN" when the RST
	// answers a packet for which there is no socket.
	State string
	// Reason is tcp_send_reset's reason as the kernel printed it, such as
	// "TCP_ABORT_ON_CLOSE" or "NO_SOCKET"; empty on kernels before 6.10.
	Reason string
	// OldState and NewState are inet_sock_set_state's states, without the
	// TCP_ prefix.
	OldState, NewState string
	// Error is inet_sk_error_report's errno (104 for ECONNRESET).
	Error int
	// Cookie is tcp_receive_reset's socket cookie, the value sock_diag and
	// SO_COOKIE report.
	Cookie uint64
	// Message is a trace marker's text.
	Message string
	// Lost is how many events the kernel dropped on CPU, for a Lost event.
	Lost int
	// Raw is the line as the kernel printed it.
	Raw string
}

// Lost is the Name of the event ParseLine returns for a "CPU:N [LOST M
// EVENTS]" line: the ring buffer overflowed and the account is incomplete.
const Lost = "LOST"

// Unparsed is the Name of an event whose line Sync could not parse; Raw
// holds the line.
const Unparsed = "unparsed"

// Names of the tracepoints a Tracer enables, and of trace markers.
const (
	SendReset    = "tcp_send_reset"
	ReceiveReset = "tcp_receive_reset"
	SetState     = "inet_sock_set_state"
	ErrorReport  = "inet_sk_error_report"
	Marker       = "tracing_mark_write"
)
