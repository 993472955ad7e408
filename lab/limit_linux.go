package lab

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/scenario"
)

// limitGrace is how long after the step's limit the watchdog waits before
// it ends a call: a timeout the kernel holds at the limit ends the call
// first, with the kernel's own EAGAIN.
const limitGrace = 50 * time.Millisecond

// watchdog ends a call still blocked at the step's limit, or at once when
// the run is cancelled (Ctrl-C, SIGTERM): it signals the run's thread until
// the call returns. A socket call under a timeout is never restarted after
// a signal (signal(7)) and the runner keeps a timeout on every socket, so
// reads, writes, connect and accept return; close under SO_LINGER and poll
// return on any signal. SIGURG is the signal: Go's runtime handles it,
// harmlessly, as a preemption request.
type watchdog struct {
	fired    atomic.Bool
	done     chan struct{}
	finished chan struct{}
}

// arm starts the watchdog of one call.
func (r *runner) arm() *watchdog {
	w := &watchdog{done: make(chan struct{}), finished: make(chan struct{})}
	pid, tid := unix.Getpid(), r.tid
	go func() {
		defer close(w.finished)
		t := time.NewTimer(r.limit + limitGrace)
		defer t.Stop()
		select {
		case <-w.done:
			return
		case <-t.C:
		case <-r.ctx.Done():
		}
		w.fired.Store(true)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			unix.Tgkill(pid, tid, unix.SIGURG)
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// stop ends the watchdog once the call has returned, and reports whether
// it had to end the call.
func (w *watchdog) stop() bool {
	close(w.done)
	<-w.finished
	return w.fired.Load()
}

// endedByLab reports whether a call's result is the watchdog's doing: the
// EINTR or EAGAIN it caused, or a close it cut short.
func endedByLab(op *scenario.Op, res scenario.Result) bool {
	switch {
	case res.Kind == scenario.ResultBlocked:
		return true
	case res.Kind == scenario.ResultErrno && (res.Errno == "EINTR" || res.Errno == "EAGAIN"):
		return true
	case op.Kind == scenario.OpClose:
		return true
	}
	return false
}
