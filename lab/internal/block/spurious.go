//go:build darwin || freebsd || linux

package block

import "github.com/teardown-net/teardown/scenario"

// Spurious reports whether res is an EINTR the scenario did not ask for,
// on a call that a program would simply have made again. The Go runtime
// signals a thread to preempt it (SIGURG), and a signal that lands as the
// thread enters a call ends any socket call under a timeout with EINTR,
// SA_RESTART or not (signal(7)); the program the scenario describes gets
// no such signal. Only calls that did nothing when interrupted are made
// again: not connect, whose handshake goes on (FinishConnect), nor close.
// poll and epoll, and the waits on a pipe, are made again inside their
// operation, for the time that remains of their timeout (Wait).
func Spurious(op *scenario.Op, res scenario.Result) bool {
	if op.Interrupt > 0 || res.Kind != scenario.ResultErrno || res.Errno != "EINTR" {
		return false
	}
	switch op.Kind {
	case scenario.OpRead, scenario.OpWrite, scenario.OpSend, scenario.OpAccept:
		return true
	}
	return false
}
