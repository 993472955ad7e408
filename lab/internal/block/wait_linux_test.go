package block

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A wait that signals keep interrupting lasts until its deadline when the
// signals are none the scenario sent, and ends at the first otherwise.
// The thread is sent SIGURG, the Go runtime's preemption signal, every
// millisecond all through.
func TestWaitThroughSignals(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	defer preempting(t)()

	const wait = 100 * time.Millisecond
	for _, tc := range []struct {
		name  string
		again func() bool
		want  error
	}{
		{"unasked", nil, nil},
		{"asked", func() bool { return false }, unix.EINTR},
	} {
		start := time.Now()
		ready, err := One(p[0], unix.POLLIN, start.Add(wait), tc.again)
		took := time.Since(start)
		if ready || err != tc.want {
			t.Errorf("%s: ready %v, %v; want %v", tc.name, ready, err, tc.want)
		}
		if tc.want == nil && took < wait {
			t.Errorf("%s: the wait ended after %v, before its %v", tc.name, took, wait)
		}
	}
}

// preempting sends the calling thread, which must be locked, SIGURG, the
// Go runtime's preemption signal, every millisecond until the function it
// returns is called.
func preempting(t *testing.T) (stop func()) {
	t.Helper()
	pid, tid := unix.Getpid(), unix.Gettid()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				unix.Tgkill(pid, tid, unix.SIGURG)
			}
		}
	}()
	return func() { close(done); <-finished }
}
