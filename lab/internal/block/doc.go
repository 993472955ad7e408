//go:build darwin || freebsd || linux

// Package block is what both of the lab's runners, the full Linux one and
// the portable one, do around a call that may block: the receive and send
// timeouts the kernel holds for a socket (the scenario's own, or the run's
// limit), and the waits in poll(2) the runners make themselves, which last
// as long as asked however often a signal the scenario did not send ends
// them. One place, so that the runners cannot come to differ in either.
package block
