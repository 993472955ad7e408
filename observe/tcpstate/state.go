// Package tcpstate lists the TCP sockets of a network namespace with their
// states and queues, as the kernel's sock_diag interface reports them: what
// netstat and ss show, including request sockets, sockets their process
// has closed (FIN_WAIT2, LAST_ACK…) and TIME_WAIT. The lab dumps after
// every step of a scenario to follow each socket's state.
//
// The State type is portable; dumping works on Linux only.
package tcpstate

import (
	"fmt"
	"strconv"
	"strings"
)

// State is a TCP socket state, numbered as the Linux kernel numbers them
// (include/net/tcp_states.h), which sock_diag and tracepoints report.
type State uint8

// The TCP states. NewSynRecv is a request socket: a connection whose SYN a
// listener answered, not yet complete.
const (
	Established State = iota + 1
	SynSent
	SynRecv
	FinWait1
	FinWait2
	TimeWait
	Close
	CloseWait
	LastAck
	Listen
	Closing
	NewSynRecv
)

// stateNames are the kernel's names without their TCP_ prefix; they are a
// stable part of the kernel's interface (ss and the tracepoints print them).
var stateNames = [...]string{
	Established: "ESTABLISHED",
	SynSent:     "SYN_SENT",
	SynRecv:     "SYN_RECV",
	FinWait1:    "FIN_WAIT1",
	FinWait2:    "FIN_WAIT2",
	TimeWait:    "TIME_WAIT",
	Close:       "CLOSE",
	CloseWait:   "CLOSE_WAIT",
	LastAck:     "LAST_ACK",
	Listen:      "LISTEN",
	Closing:     "CLOSING",
	NewSynRecv:  "NEW_SYN_RECV",
}

// String returns the state's kernel name without the TCP_ prefix, such as
// "FIN_WAIT2", or "State(N)" for a number the kernel does not define.
func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// ParseState returns the state named name, with or without the TCP_ prefix
// the tracepoints print ("TIME_WAIT", "TCP_TIME_WAIT").
func ParseState(name string) (State, error) {
	n := strings.TrimPrefix(name, "TCP_")
	for s, sn := range stateNames {
		if sn != "" && sn == n {
			return State(s), nil
		}
	}
	return 0, fmt.Errorf("TCP state %q: expected one of %s", name, strings.Join(stateNames[1:], " "))
}
