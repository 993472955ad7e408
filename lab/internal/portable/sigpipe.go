//go:build darwin || freebsd || linux

package portable

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SIGPIPE is observed, not inferred from EPIPE: os/signal delivers it to
// the run, and each call is followed by a marker signal the process sends
// itself. Linux and FreeBSD raise SIGPIPE in the writing thread before the
// call returns (macOS: see taken), so it is in the runtime's set of pending
// signals before the marker is sent; the runtime hands pending signals to
// os/signal in ascending number order, and the marker's number is above
// SIGPIPE's on every system here. Every SIGPIPE the channel gives before
// the marker is therefore the call's, and none after it. Runs are one at a
// time (runs holds the process's one watch) so that no other call's
// SIGPIPE can come between. The marker is a signal nobody else has a
// reason to send to the lab (see marker in the per-system files).

// runs lets one run at a time watch SIGPIPE.
var runs sync.Mutex

type sigpipe struct {
	ch chan os.Signal
}

func watchSIGPIPE() (*sigpipe, error) {
	runs.Lock()
	sp := &sigpipe{ch: make(chan os.Signal, 16)}
	signal.Notify(sp.ch, syscall.SIGPIPE, marker)
	return sp, nil
}

func (sp *sigpipe) stop() {
	signal.Stop(sp.ch)
	runs.Unlock()
}

// errNoMarker: the marker signal did not come back, so SIGPIPE cannot be
// attributed.
var errNoMarker = errors.New("the SIGPIPE marker signal did not arrive within 5s")

// taken reports whether SIGPIPE was raised since the last call of taken.
//
// It waits for two markers, one after the other. macOS directs SIGPIPE at
// the process, and the kernel may hand it to a thread other than the
// writer's; that thread blocks every signal while Go's handler runs, so a
// marker sent in that moment goes to yet another thread and could reach
// the runtime first. The second marker is sent only once the first has
// gone through the runtime and os/signal, long after any handler already
// running has recorded its SIGPIPE.
func (sp *sigpipe) taken() (bool, error) {
	raised := false
	for range 2 {
		got, err := sp.roundTrip()
		if err != nil {
			return false, err
		}
		raised = raised || got
	}
	return raised, nil
}

// roundTrip sends the marker and reports whether SIGPIPE came before it.
func (sp *sigpipe) roundTrip() (bool, error) {
	if err := unix.Kill(unix.Getpid(), marker); err != nil {
		return false, err
	}
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	raised := false
	for {
		select {
		case s := <-sp.ch:
			if s == syscall.SIGPIPE {
				raised = true
				continue
			}
			return raised, nil
		case <-t.C:
			return raised, errNoMarker
		}
	}
}
