// Package scenario holds teardown's scenario language: the syntax tree of a
// .td file, its parser and its validation.
//
// A scenario is a short script of socket operations by named endpoints,
// with the results and observations the author expects. The package never
// touches a socket: it turns text into a Scenario that the lab runs.
// docs/scenario-language.md is the reference for the language.
package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Pos is a place in a scenario file. Line and Col count from 1; Col counts
// bytes.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	f := p.File
	if f == "" {
		f = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d", f, p.Line, p.Col)
}

// A Transport names a kind of endpoint pair the lab can build.
type Transport string

// The transports. Unix is a SOCK_STREAM socket bound to a path; UnixPacket a
// SOCK_SEQPACKET one; Socketpair a connected AF_UNIX SOCK_STREAM pair; Pipe a
// pipe(2) whose write end is the client and read end the server.
const (
	TCP4       Transport = "tcp4"
	TCP6       Transport = "tcp6"
	Unix       Transport = "unix"
	UnixPacket Transport = "unixpacket"
	Socketpair Transport = "socketpair"
	Pipe       Transport = "pipe"
)

// Transports lists every transport in the order reports show them.
var Transports = []Transport{TCP4, TCP6, Unix, UnixPacket, Socketpair, Pipe}

// Groups are names that stand for several transports in guards, in "on"
// lines and in alternative labels.
var Groups = map[string][]Transport{
	"tcp":   {TCP4, TCP6},
	"local": {Unix, UnixPacket, Socketpair},
	"all":   Transports,
}

// IsTCP reports whether t carries TCP, so that wire, state and reason
// observations apply.
func (t Transport) IsTCP() bool { return t == TCP4 || t == TCP6 }

// Linux is the operating system whose results a statement's default
// result states.
const Linux = "linux"

// OSes are the operating systems an alternative result may name.
var OSes = []string{Linux, "darwin", "freebsd", "windows"}

// Setup says what exists before the first step.
type Setup string

const (
	// SetupConnected (the default): a listener, a client connected to it
	// and the accepted server socket ("listener", "client", "server").
	// For socketpair and pipe there is no listener.
	SetupConnected Setup = "connected"
	// SetupListening: a listener bound and listening ("listener") and a
	// client socket created but not connected ("client").
	SetupListening Setup = "listening"
	// SetupNone: nothing; the script creates its sockets with "socket".
	SetupNone Setup = "none"
)

// Net says which hosts a scenario's endpoints live on.
type Net string

const (
	// NetLoopback (the default): one host; every endpoint talks over its
	// loopback interface.
	NetLoopback Net = "loopback"
	// NetDirect: two hosts, "client" and "server", joined by a link. The
	// listener and the sockets it accepts live on the server host, the
	// other actors on the client host unless "socket at HOST" says.
	NetDirect Net = "direct"
	// NetRouted: three hosts, "client", "router" and "server": the client
	// and the server each have a link to the router, which forwards
	// between them and can answer for the server with ICMP.
	NetRouted Net = "routed"
)

// Hosts lists the hosts of a network, in the order reports show them.
func (n Net) Hosts() []string {
	switch n {
	case NetDirect:
		return []string{"client", "server"}
	case NetRouted:
		return []string{"client", "router", "server"}
	}
	return nil
}

// Scenario is one parsed .td file.
type Scenario struct {
	ID     string // "close-unread/read"; lower case, digits, '-', '/', '.'
	Title  string
	Source []Source // where the claims come from (seed file and example)
	Notes  []string // free text shown with the report
	// Slow, when set, says why the scenario's kernel timers cannot be
	// shortened below a second ("slow REASON"); the catalog's wall-time
	// target leaves such scenarios out.
	Slow  string
	On    []Transport
	Setup Setup
	// Net is the network the run builds (default NetLoopback).
	Net Net
	// Limit ends a blocking step that has not completed (default 2s).
	Limit time.Duration
	Steps []Step
	// File is the name the scenario was parsed from, for messages.
	File string
	Pos  Pos // of the "scenario" statement
}

// Source names a document a scenario reproduces: a seed file and the part
// of it ("example 1", "EPIPE paragraph").
type Source struct {
	Document string `json:"document"`
	Part     string `json:"part,omitempty"`
}

// Guard restricts a statement to some transports. The zero Guard (nil)
// applies everywhere.
type Guard []Transport

// Has reports whether the guard lets a statement run on t.
func (g Guard) Has(t Transport) bool {
	if len(g) == 0 {
		return true
	}
	for _, x := range g {
		if x == t {
			return true
		}
	}
	return false
}

// Step is one statement in the body of a scenario: an operation by an actor,
// a sleep, a fault in the network, a sysctl, an injected segment, or an
// expectation about what was observed. Exactly one of Op, Sleep, Fault,
// Sysctl, Inject and Expect is set.
type Step struct {
	Pos    Pos
	Text   string // the statement as written, without comment
	Guard  Guard
	Op     *Op
	Sleep  time.Duration // "sleep 100ms"; >0 when this is a sleep
	Fault  *Fault
	Sysctl *Sysctl
	Inject *Inject
	Expect *Expect
}

// Inject is "inject FROM>TO FLAGS [seq=N] [ack=N] [len=N] [ts=N]": a TCP
// segment made by the lab, as if FROM sent it to TO on their connection,
// and sent from FROM's host on the real link. Its sequence number is
// FROM's next (the end of what FROM has sent, a SYN and a FIN counting
// one) plus Seq; its acknowledgment, with ACK set, TO's next plus Ack.
// Both are offsets and may be negative, so that "in window" and "out of
// window" are said relative to the live connection.
type Inject struct {
	From, To string
	// Flags are letters from "SFRP." ('.' is ACK), as written.
	Flags    string
	Seq, Ack int64
	// Len is the number of payload bytes.
	Len int
	// Timestamp: the segment carries a timestamp option (RFC 7323) whose
	// TSval is FROM's last plus TS, so that a segment can be newer or
	// older than what TO has seen (PAWS), and whose TSecr is TO's last
	// TSval with ACK set, 0 without.
	Timestamp bool
	TS        int64
}

// Sysctl is "sysctl [HOST] NAME VALUE": a setting of the network
// namespace's own (net.ipv4.tcp_fin_timeout, net.core.somaxconn, ...),
// which goes with the namespace when the run ends.
type Sysctl struct {
	// Host is the host whose namespace it is set in; "" on loopback.
	Host  string
	Name  string
	Value string
}

// FaultKind names something that goes wrong in the network.
type FaultKind string

// The faults, written "fault KIND HOST".
const (
	// FaultDrop: the host's link goes down; what it sends and what is sent
	// to it is lost without a word, as when a host crashes or a cable is
	// pulled.
	FaultDrop FaultKind = "drop"
	// FaultUnreachable (routed only): the router answers packets for the
	// host with an ICMP error, Fault.Answer (one of UnreachAnswers), in
	// place of forwarding them.
	FaultUnreachable FaultKind = "unreachable"
	// FaultNoRoute: the host loses its routes to the other hosts.
	FaultNoRoute FaultKind = "noroute"
	// FaultReboot: the host forgets every connection, as a host that
	// rebooted: its sockets vanish without a packet.
	FaultReboot FaultKind = "reboot"
	// FaultHeal undoes drop, unreachable and noroute for the host.
	FaultHeal FaultKind = "heal"
)

// Fault is "fault KIND HOST", or "fault unreachable HOST [ANSWER]".
type Fault struct {
	Kind FaultKind
	Host string
	// Answer is the ICMP error of an unreachable fault (one of
	// UnreachAnswers, default "host"); "" for the other faults.
	Answer string
}

// OpKind names a socket operation.
type OpKind string

// The operations. Their arguments are in Op.
const (
	OpSocket     OpKind = "socket"
	OpBind       OpKind = "bind"
	OpListen     OpKind = "listen"
	OpConnect    OpKind = "connect"
	OpAccept     OpKind = "accept"
	OpWrite      OpKind = "write"
	OpSend       OpKind = "send"
	OpRead       OpKind = "read"
	OpClose      OpKind = "close"
	OpShutdown   OpKind = "shutdown"
	OpLinger     OpKind = "linger"
	OpNonblock   OpKind = "nonblock"
	OpSetsockopt OpKind = "setsockopt"
	OpGetsockopt OpKind = "getsockopt"
	OpPoll       OpKind = "poll"
	// OpDup duplicates the actor's descriptor (dup(2)) as a new actor,
	// "dup as NAME": one socket, two descriptors.
	OpDup OpKind = "dup"
	// OpUnlink removes the path a unix socket is bound to, or would be
	// bound to (unlink(2)).
	OpUnlink OpKind = "unlink"
	// OpEpoll waits with epoll_wait(2) on an epoll instance of the
	// actor's own, on which the actor's descriptor is registered the
	// first time (EPOLL_CTL_ADD) and again whenever the events or the
	// mode change (EPOLL_CTL_MOD).
	OpEpoll OpKind = "epoll"
)

// Op is "ACTOR OPERATION ARGUMENTS [-> RESULT ...]".
type Op struct {
	Actor string
	Kind  OpKind

	// Host is the host socket creates the socket on ("socket at server");
	// empty for the actor's default host.
	Host string
	// Family is the IP family socket makes the socket of, TCP4 or TCP6
	// ("socket tcp4" on a tcp6 run: an IPv4 client of a dual-stack
	// listener); empty for the run's transport's own.
	Family Transport
	// Target is the actor whose address connect uses, and bind when it
	// names one.
	Target string
	// Address is the literal address bind gives, as written between
	// quotes: "127.0.0.1:8080", "[::1]:0", "0.0.0.0:80", a path relative
	// to the run's directory ("a.sock") or an abstract unix name ("@a").
	// See ParseBindAddress.
	Address string
	// As is the name accept gives the new socket (default "server"), and
	// the name of dup's new descriptor.
	As string
	// Backlog for listen (default 16).
	Backlog int

	// Data for write and send: Text when quoted, else Count filler bytes;
	// for connect with FastOpen, what goes in the SYN.
	Data []byte
	// FastOpen: connect with sendto(2) and MSG_FASTOPEN, the data in the
	// SYN ("connect TARGET fastopen DATA").
	FastOpen bool
	// NoSignal: send with MSG_NOSIGNAL.
	NoSignal bool
	// OOB: send with MSG_OOB, TCP's urgent data ("send DATA oob").
	OOB bool

	// Size for read.
	Size int
	// Nonblock: this read does not block (MSG_DONTWAIT).
	Nonblock bool
	// Timeout for read (SO_RCVTIMEO for this call) and poll; 0 is none.
	Timeout time.Duration
	// Interrupt: a signal is sent to the blocked call after this long
	// (read, write, send, accept, connect, poll).
	Interrupt time.Duration
	// Async: the call is made on a thread of its own, and the statements
	// after it run while it blocks; its result is recorded when it
	// returns (read, write, send, poll, accept and connect; "async" after
	// the arguments). An async accept's actor exists once it has returned.
	Async bool
	// Flags for read: recv(2) flags from RecvFlags, as written.
	Flags []string

	// How for shutdown: "rd", "wr" or "rdwr".
	How string

	// Linger for linger and setsockopt SO_LINGER: seconds, or -1 for off.
	Linger int
	// On for nonblock on|off.
	On bool

	// Option and Value for setsockopt and getsockopt (Value unused there).
	Option string
	Value  int

	// Events for poll and epoll: "in", "out", "rdhup", "pri"; none for
	// "poll none".
	Events []string
	// Now: poll or epoll with timeout 0, which looks and returns at once.
	Now bool
	// Edge: epoll registers the descriptor edge-triggered (EPOLLET).
	Edge bool

	// Expect is the "-> RESULT ..." part; nil when the line has none.
	Expect *Expectation
}

// ResultKind says what kind of value an operation produced or is expected
// to produce.
type ResultKind string

const (
	// ResultOK is success of an operation that moves no bytes.
	ResultOK ResultKind = "ok"
	// ResultCount is a byte count (read, write) or a value (getsockopt).
	ResultCount ResultKind = "count"
	// ResultErrno is a failure with an errno, by name.
	ResultErrno ResultKind = "errno"
	// ResultBlocked is a call still blocked when the step's limit ran out.
	ResultBlocked ResultKind = "blocked"
	// ResultEvents is poll's revents or epoll's events, as names
	// ("POLLIN|POLLHUP", "EPOLLIN"); no events (a wait that timed out) is
	// ResultCount with N 0.
	ResultEvents ResultKind = "events"
)

// Result is what an operation returned, written "5", "0", "ok",
// "ECONNRESET", "EPIPE+SIGPIPE", "blocked" or "POLLIN|POLLRDHUP".
type Result struct {
	Kind   ResultKind `json:"kind"`
	N      int        `json:"n,omitempty"`      // ResultCount
	Errno  string     `json:"errno,omitempty"`  // ResultErrno: "ECONNRESET"
	Events []string   `json:"events,omitempty"` // ResultEvents, sorted: "POLLHUP", "POLLIN"
	// SIGPIPE: the call raised SIGPIPE.
	SIGPIPE bool `json:"sigpipe,omitempty"`
}

// Expectation is the "-> RESULT [LABEL: RESULT ...]" part of an operation.
// Default is expected on linux for every transport the line runs on; an
// alternative overrides it where its label matches.
type Expectation struct {
	Pos          Pos
	Default      Result
	Alternatives []Alternative
}

// Alternative is "LABEL: RESULT" after the default result.
//
// Label forms: an OS ("darwin"), transports or groups ("tcp", "unix,pipe"),
// both ("darwin/tcp"), or "seed" (optionally "seed/tcp"), which records what
// a source document claims without making it the expectation: the report
// says when the kernel differs from the seed.
type Alternative struct {
	Pos        Pos
	OS         string      // "" matches every OS
	Transports []Transport // empty matches every transport
	Seed       bool
	// Documented: the value comes from a document, not a measurement
	// ("darwin: 0 documented").
	Documented bool
	Result     Result
}

// ExpectKind names what an expect statement checks.
type ExpectKind string

const (
	// ExpectWire: a packet from one actor to another with the given flags
	// was seen during the preceding step ("expect wire server>client R").
	ExpectWire ExpectKind = "wire"
	// ExpectReason: the kernel gave this reason for an RST sent from the
	// actor's side during the preceding step.
	ExpectReason ExpectKind = "reason"
	// ExpectState: the TCP state of the actor's connection now, including
	// after close (orphans); CLOSE when the kernel no longer has it.
	ExpectState ExpectKind = "state"
	// ExpectRecvQ and ExpectSendQ: the actor's receive and send queues
	// now, as netstat and ss show them (the receive queue counts a
	// received FIN as one byte until a read reaches it).
	ExpectRecvQ ExpectKind = "recvq"
	ExpectSendQ ExpectKind = "sendq"
	// ExpectUnread: the bytes a read by the actor would return now
	// (FIONREAD on its own descriptor), on every transport.
	ExpectUnread ExpectKind = "unread"
	// ExpectTook: the preceding step's call took a time that compares
	// with a duration ("expect took >= 1s", "expect took < 50ms").
	ExpectTook ExpectKind = "took"
)

// Expect is "expect [GUARD:] [no] KIND ARGUMENTS".
type Expect struct {
	Kind ExpectKind `json:"kind"`
	// Not: "expect no wire ..." checks that no such packet was seen.
	Not bool `json:"not,omitempty"`
	// Actor whose side is checked; for wire, the sender.
	Actor string `json:"actor"`
	// Peer is the receiver for wire.
	Peer string `json:"peer,omitempty"`
	// Flags for wire: the letters that must all be set, from "SFRP." ('.'
	// is ACK), as written.
	Flags string `json:"flags,omitempty"`
	// Name is the reason or state name as written: "TCP_ABORT_ON_CLOSE",
	// "FIN_WAIT2".
	Name string `json:"name,omitempty"`
	// N for recvq, sendq and unread.
	N int `json:"n,omitempty"`
	// Cmp and D for took: one of TookComparisons and a duration.
	Cmp string        `json:"cmp,omitempty"`
	D   time.Duration `json:"d_ns,omitempty"`
}

// Resolve returns the result expected of this line on os for transport t,
// whether that value is only documented, and false when nothing is expected
// there (another OS with no alternative for it).
func (e *Expectation) Resolve(os string, t Transport) (r Result, documented, ok bool) {
	best, bestScore := e.Default, 0
	if os != Linux {
		bestScore = -1 // the default is a linux expectation
	}
	for _, a := range e.Alternatives {
		if a.Seed {
			continue
		}
		if a.OS != "" && a.OS != os {
			continue
		}
		if a.OS == "" && os != Linux {
			continue
		}
		if len(a.Transports) > 0 && !Guard(a.Transports).Has(t) {
			continue
		}
		// An OS label is more specific than a transport label, and fewer
		// transports more specific than more: "unixpacket: EPIPE" wins
		// over "local: EPIPE+SIGPIPE" on unixpacket.
		score := 0
		if a.OS != "" {
			score += 1000
		}
		if n := len(a.Transports); n > 0 {
			score += 100 - n
		}
		if score > bestScore {
			best, bestScore, documented = a.Result, score, a.Documented
		}
	}
	if bestScore < 0 {
		return Result{}, false, false
	}
	return best, documented, true
}

// Seed returns what a source document claims for this line on t, if the
// line records such a claim.
func (e *Expectation) Seed(t Transport) (Result, bool) {
	for _, a := range e.Alternatives {
		if a.Seed && (len(a.Transports) == 0 || Guard(a.Transports).Has(t)) {
			return a.Result, true
		}
	}
	return Result{}, false
}

// String writes r the way the language spells it.
func (r Result) String() string {
	var s string
	switch r.Kind {
	case ResultOK:
		s = "ok"
	case ResultCount:
		s = strconv.Itoa(r.N)
	case ResultErrno:
		s = r.Errno
	case ResultBlocked:
		s = "blocked"
	case ResultEvents:
		s = strings.Join(r.Events, "|")
	default:
		s = "?"
	}
	if r.SIGPIPE {
		s += "+SIGPIPE"
	}
	return s
}

// Equal reports whether two results are the same.
func (r Result) Equal(o Result) bool {
	return r.String() == o.String()
}
