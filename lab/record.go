package lab

import (
	"net/netip"
	"time"

	"github.com/teardown-net/teardown/scenario"
)

// Verdict is the outcome of comparing what happened with what was
// expected.
type Verdict string

const (
	// Match: everything the scenario expects on this OS and transport
	// happened.
	Match Verdict = "match"
	// Differs: at least one result or check is not what was expected.
	Differs Verdict = "differs"
	// Skipped: the run did not take place; Record.Skip says why.
	Skipped Verdict = "skipped"
	// Failed: the lab could not carry the run out (Record.Error says why),
	// so it says nothing of the kernel's behaviour either way.
	Failed Verdict = "error"
	// Unchecked: a step or check with nothing to compare (no expectation,
	// or an observation this environment cannot make).
	Unchecked Verdict = "unchecked"
)

// Record is everything one run of a scenario on one transport observed,
// with its comparison against the scenario's expectations.
type Record struct {
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	// Notes are the scenario's notes, free text from its author.
	Notes     []string           `json:"notes,omitempty"`
	File      string             `json:"file,omitempty"`
	Sources   []scenario.Source  `json:"sources,omitempty"`
	Transport scenario.Transport `json:"transport"`
	Env       Env                `json:"env"`
	Start     time.Time          `json:"start"`
	Duration  time.Duration      `json:"duration_ns"`
	Verdict   Verdict            `json:"verdict"`
	// Skip says why the run did not take place (Verdict Skipped).
	Skip string `json:"skip,omitempty"`
	// Error is a failure of the lab itself that ended the run early or
	// made its results meaningless (Verdict Failed).
	Error string `json:"error,omitempty"`
	// Limits lists what this run could not observe, and why.
	Limits []string `json:"limits,omitempty"`
	// Timers lists the kernel timers the scenario shortened, each with
	// the namespace's default it overrode and the time that would take.
	Timers []Timer `json:"timers,omitempty"`
	Steps  []Step  `json:"steps"`
	// Pcap is the capture file of the run, when one was asked for.
	Pcap string `json:"pcap,omitempty"`
}

// Env describes where a run took place.
type Env struct {
	OS     string `json:"os"`
	Kernel string `json:"kernel"`
	// Isolated: the run had a network namespace of its own.
	Isolated bool `json:"isolated"`
	// Portable: the portable runner made the run. TCP states then come
	// from each socket's own open descriptor: a closed one's state and
	// every socket's queues are not observed.
	Portable bool `json:"portable,omitempty"`
	Capture  bool `json:"capture"`
	Trace    bool `json:"trace"`
	// Reasons are the RST reason names the running kernel has, read from
	// its tracepoint's format; nil when it does not say.
	Reasons []string `json:"rst_reasons,omitempty"`
}

// StepKind says what a step of a record is.
type StepKind string

// The kinds of step, as the JSON record spells them.
const (
	// StepSetup is what the scenario's setup built before its first
	// statement.
	StepSetup StepKind = "setup"
	// StepOp is an operation: a system call by an actor.
	StepOp StepKind = "op"
	// StepSleep is a pause during which the kernel's timers run.
	StepSleep StepKind = "sleep"
	// StepFault is a change to the network of hosts.
	StepFault StepKind = "fault"
	// StepSysctl is a setting of a host's network namespace.
	StepSysctl StepKind = "sysctl"
	// StepInject is a TCP segment the lab made and sent on the link.
	StepInject StepKind = "inject"
	// StepExpect is an expect statement, checked against the step before
	// it.
	StepExpect StepKind = "expect"
	// StepEnd is the end of the run, after the last step: what the kernel
	// did once that step had settled (a delayed ACK, a FIN answered late, a
	// TIME_WAIT reached) and the states the run left, looked at once more
	// under the same settling rule, before the runner closes what the
	// scenario left open. It has no line, and nothing checks it.
	StepEnd StepKind = "end"
)

// Step is what happened at one statement of the scenario.
type Step struct {
	Line int      `json:"line"`
	Text string   `json:"text"`
	Kind StepKind `json:"kind"`
	// Skip: the statement's guard excludes this transport.
	Skip bool `json:"skip,omitempty"`

	// Op steps.
	Actor  string           `json:"actor,omitempty"`
	Op     scenario.OpKind  `json:"op,omitempty"`
	Result *scenario.Result `json:"result,omitempty"`
	// Moved is the number of bytes a blocked or partial call moved.
	Moved int `json:"moved,omitempty"`
	// Data is what a read returned, for the report.
	Data string `json:"data,omitempty"`
	// Took is how long the call took.
	Took time.Duration `json:"took_ns"`
	// Async: the call ran on a thread of its own while the steps after it
	// ran; its result and Took are from when it returned.
	Async bool `json:"async,omitempty"`
	// Expected is the result expected on this OS and transport.
	Expected *scenario.Result `json:"expected,omitempty"`
	// Seed is what a source document claims, and SeedDiffers whether the
	// kernel did something else.
	Seed        *scenario.Result `json:"seed,omitempty"`
	SeedDiffers bool             `json:"seed_differs,omitempty"`
	// Documented lists what other OSes are documented to do here.
	Documented []Documented `json:"documented,omitempty"`

	// Expect steps.
	Check *Check `json:"check,omitempty"`

	Verdict Verdict `json:"verdict"`

	// What the kernel did during the step and until it settled.
	Start time.Time `json:"start"`
	// mono is Start on CLOCK_MONOTONIC, the clock of the kernel's trace,
	// against which the runner places the kernel's events.
	mono    time.Duration
	Packets []Packet `json:"packets,omitempty"`
	Events  []Event  `json:"events,omitempty"`
	// Sockets is the TCP state of every endpoint after the step.
	Sockets []SockState `json:"sockets,omitempty"`
	// Unread is, for each endpoint with an open descriptor that can be
	// read, the bytes a read would return after the step (FIONREAD), on
	// every transport.
	Unread []Unread `json:"unread,omitempty"`
	// Unsettled: the kernel was still busy when the settle bound ran out.
	Unsettled bool `json:"unsettled,omitempty"`
}

// Documented is an expectation for another OS taken from a document.
type Documented struct {
	OS     string          `json:"os"`
	Result scenario.Result `json:"result"`
	// Measured is false when a document states it and nobody here measured
	// it.
	Measured bool `json:"measured"`
}

// Check is the outcome of an expect statement.
type Check struct {
	Expect scenario.Expect `json:"expect"`
	// Observed says what was seen instead, or what matched.
	Observed string `json:"observed"`
	// Note says why the check cannot match here, such as a reason name the
	// running kernel does not have.
	Note string `json:"note,omitempty"`
}

// Packet is one TCP segment seen on the wire, named by actor.
type Packet struct {
	Time  time.Time `json:"time"`
	From  string    `json:"from"`
	To    string    `json:"to"`
	Flags string    `json:"flags"`
	Seq   uint32    `json:"seq"`
	Ack   uint32    `json:"ack"`
	Len   int       `json:"len"`
	// ICMP, for an ICMP error about one of the run's connections, is its
	// name ("host unreachable"); From is then the actor whose host sent it,
	// or "router", and To the actor whose segment it answers. Flags, Seq,
	// Ack and Len are those of the segment the error quotes.
	ICMP string `json:"icmp,omitempty"`
	// src and dst are the packet's addresses, from which the runner learns
	// the address of a connect that failed.
	src, dst netip.AddrPort
}

// Event is something the kernel reported through its tracepoints: an RST it
// sent or received with its reason, a state change, an error reported to a
// socket.
type Event struct {
	Time   time.Time `json:"time"`
	Name   string    `json:"name"`
	Actor  string    `json:"actor,omitempty"`
	Peer   string    `json:"peer,omitempty"`
	Reason string    `json:"reason,omitempty"`
	State  string    `json:"state,omitempty"`
	From   string    `json:"from_state,omitempty"`
	To     string    `json:"to_state,omitempty"`
	Errno  string    `json:"errno,omitempty"`
}

// Unread is what FIONREAD said of one actor's descriptor.
type Unread struct {
	Actor string `json:"actor"`
	Bytes int    `json:"bytes"`
}

// SockState is the kernel's view of one actor's TCP connection.
type SockState struct {
	Actor string `json:"actor"`
	// State is the TCP state, CLOSE when the kernel has forgotten the
	// connection.
	State string `json:"state"`
	// RecvQ and SendQ are what netstat and ss show: for a LISTEN socket
	// its accept queue and backlog; otherwise the bytes received and not
	// read, in sequence space (a received FIN counts one until a read
	// reaches it, so it is 1 where nothing is left to read), and the bytes
	// sent and not acknowledged. Step.Unread has the bytes a read would
	// return.
	RecvQ uint32 `json:"recvq"`
	SendQ uint32 `json:"sendq"`
	// Orphan: the actor closed its descriptor and no other descriptor
	// refers to the socket (a dup would keep it open), but the kernel
	// keeps the connection.
	Orphan bool `json:"orphan,omitempty"`
	// Unsure says why State, read through the actor's own descriptor by
	// the portable runner, may not be its connection's; checks of it are
	// then left unchecked.
	Unsure string `json:"unsure,omitempty"`
}
