//go:build darwin || freebsd || linux

package portable

import (
	"slices"
	"time"

	"github.com/teardown-net/teardown/observe/tcpstate"
)

// Settle waits, up to bound, for the kernel to finish reacting to the last
// step, as far as the run's own descriptors show it: no socket in a state
// that waits for the peer's answer on loopback (SYN_SENT, SYN_RECV,
// FIN_WAIT1, CLOSING, LAST_ACK) and the states and unread bytes the same
// over a few samples. It reports false when the bound ran out first.
//
// Without a view of the queues and packets this is weaker than the full
// runner's settle: a reaction that changes nothing the descriptors show is
// not waited for, which is also why no result depends on it.
func (r *Run) Settle(bound time.Duration) bool {
	const (
		every  = 2 * time.Millisecond
		stable = 3 // samples alike in a row
	)
	deadline := time.Now().Add(bound)
	var last sample
	same := 0
	for {
		s := r.sample()
		if s.equal(last) {
			same++
		} else {
			same = 0
		}
		last = s
		if same >= stable && !s.waiting() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every)
	}
}

type sample struct {
	states  []State
	unreads []Unread
}

func (r *Run) sample() sample { return sample{r.States(), r.Unreads()} }

func (s sample) equal(o sample) bool {
	return slices.Equal(s.states, o.states) && slices.Equal(s.unreads, o.unreads)
}

// waiting reports whether a socket is in a state that lasts on loopback
// only until the peer answers.
func (s sample) waiting() bool {
	for _, st := range s.states {
		switch st.State {
		case tcpstate.SynSent, tcpstate.SynRecv, tcpstate.FinWait1, tcpstate.Closing, tcpstate.LastAck:
			return true
		}
	}
	return false
}
