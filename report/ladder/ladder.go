// Package ladder draws the life of a connection as a ladder (sequence)
// diagram in SVG: one lifeline per endpoint, time flowing down, each packet
// an arrow from its sender to its receiver, each application call and each
// TCP state change on its endpoint's lifeline.
//
// A Diagram says what happened, not how it came to be known: the lab turns
// its records into one, and a capture's analysis can make one from packets
// alone. The package knows neither; it only lays out and draws.
package ladder

import "time"

// Diagram is what one ladder shows.
type Diagram struct {
	// Title names the diagram for assistive technology and in the SVG's
	// <title>.
	Title string
	// Lanes are the lifelines, left to right. An event naming a lane that
	// is not listed gets a lane of its own, to the right, in the order the
	// events first name it.
	Lanes []Lane
	// Events are what happened, in the order they are drawn: by time, the
	// caller decides ties.
	Events []Event
	// Link gives, for an errno name in a call's result or an error
	// report, the address of the text explaining it, or "" for none.
	Link func(errno string) string
}

// Lane is one lifeline: an endpoint (a socket or a process's end of a
// pipe), a host, or a router.
type Lane struct {
	Name string
	// Note is a second line under the name, such as an address.
	Note string
}

// Event is one thing that happened. Exactly one of Packet, Call, State
// and Note is set.
type Event struct {
	// At is the time since the diagram's start.
	At time.Duration
	// Lane is where the event is drawn: a packet's sender, a call's or a
	// state's endpoint, a note's endpoint ("" for a note across the whole
	// diagram).
	Lane   string
	Packet *Packet
	Call   *Call
	State  *State
	Note   *Note
}

// Packet is a segment or an ICMP error on the wire.
type Packet struct {
	// To is the receiver's lane.
	To string
	// ICMP, when set, describes an ICMP error ("host unreachable") and the
	// TCP fields are those of the segment it quotes, if known.
	ICMP  string
	Flags string
	Seq   uint32
	Ack   uint32
	Len   int
	// Reason is the kernel's reason for an RST it sent.
	Reason string
	// Retransmission: the segment carries sequence space sent before.
	Retransmission bool
	// Lost, when set, says why the packet is taken not to have arrived
	// (drawn stopping short of its receiver).
	Lost string
	// Detail is more text for the hover title.
	Detail string
}

// Call is an application's call on an endpoint.
type Call struct {
	// Op is the call as written ("read 16").
	Op string
	// Result is what it returned ("5", "ECONNRESET", "ok").
	Result string
	// Errno is the errno name in Result, if any, for its link.
	Errno string
	// SIGPIPE: the call raised SIGPIPE.
	SIGPIPE bool
	// Expected is the result expected, set only when it differs.
	Expected string
	// Took is how long the call took: a call of SplitAfter or more that
	// other events happened during is drawn from its start to its return.
	Took time.Duration
	// Detail is more text for the hover title.
	Detail string
}

// State is an endpoint's TCP state from this moment on.
type State struct {
	State string
	// From is the state before, when known.
	From string
	// Orphan: the application has closed its descriptor and the kernel
	// keeps the connection.
	Orphan bool
	// By says how the state is known.
	By     StateSource
	Detail string
}

// StateSource says how a state is known.
type StateSource string

// The sources of states.
const (
	// ByTrace: the kernel reported the change as it happened.
	ByTrace StateSource = "trace"
	// ByDump: a listing of the sockets showed it, some time after the
	// change.
	ByDump StateSource = "dump"
	// ByPackets: the packets imply it (a capture's analysis).
	ByPackets StateSource = "packets"
)

// NoteKind says what a note is about, for its colour.
type NoteKind string

// The kinds of notes.
const (
	// NoteStep is a statement of the script with no call: setup, sleep.
	NoteStep NoteKind = "step"
	// NoteFault is a fault in the network, such as a dropped link.
	NoteFault NoteKind = "fault"
	// NoteKernel is something the kernel reported with no packet to show
	// it: an RST sent that never reached the wire, an error reported to a
	// socket.
	NoteKernel NoteKind = "kernel"
	// NoteCheck is a check that matched; NoteDiffers one that did not.
	NoteCheck   NoteKind = "check"
	NoteDiffers NoteKind = "differs"
)

// Note is text at a moment: on a lane, or across the diagram.
type Note struct {
	Kind NoteKind
	Text string
	// Errno, when set, is linked to its explanation.
	Errno  string
	Detail string
}
