package lab_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// A poll or epoll_wait under a timeout that the Go runtime's preemption
// signal ends is made again for the time that remains: the scenario sent
// no signal, so its wait ends as the kernel ends it, at its timeout (or,
// with none, at the lab's limit: blocked). The test sends SIGURG to every
// thread of the process, as the runtime may, all through the run; poll(2)
// and epoll_wait(2) are never restarted after a handler (signal(7)), and
// neither is the poll with which the lab waits on a pipe.
func TestSpuriousEINTROnWaits(t *testing.T) {
	for _, src := range []string{`scenario t/eintr-waits
title "waits the runtime's signals land in"
setup listening
limit 300ms
on tcp4 tcp6 unix
listener poll in timeout 150ms  -> 0
expect took >= 150ms
listener epoll in timeout 150ms -> 0
expect took >= 150ms
listener poll in                -> blocked
listener epoll in               -> blocked
`, `scenario t/eintr-pipe
title "a pipe read the runtime's signals land in"
limit 300ms
on pipe
server read 16                  -> blocked
client write 1048576            -> blocked
`} {
		l := newLab(t, lab.Options{})
		stop := preemptAllThreads(t)
		recs := l.Run(context.Background(), lab.Plan([]*scenario.Scenario{parse(t, src)}, nil))
		stop()
		for _, r := range recs {
			if r.Verdict != lab.Match {
				t.Errorf("%s: %s %s\n%s", r.Transport, r.Verdict, r.Error, timeline(r))
			}
		}
	}
}

// preemptAllThreads sends SIGURG, the Go runtime's preemption signal, to
// every thread of the process every half millisecond until stop is called.
func preemptAllThreads(t *testing.T) (stop func()) {
	t.Helper()
	done, finished := make(chan struct{}), make(chan struct{})
	pid := unix.Getpid()
	go func() {
		defer close(finished)
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			tasks, err := os.ReadDir("/proc/self/task")
			if err != nil {
				t.Errorf("list the threads: %v", err)
				return
			}
			for _, task := range tasks {
				if tid, err := strconv.Atoi(task.Name()); err == nil {
					unix.Tgkill(pid, tid, unix.SIGURG)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// A blocking connect that the runtime's preemption signal ends under the
// lab's send timeout (EINTR, never restarted then) goes on in the kernel:
// both runners wait for it as the uninterrupted call would, and a connect
// to a listener whose queue is full, whose SYN the kernel drops, is blocked
// at the limit, not EINTR.
func TestSpuriousEINTROnConnect(t *testing.T) {
	sc := parse(t, `scenario t/eintr-connect
title "a connect the runtime's signals land in"
setup none
limit 300ms
on tcp4 tcp6
l socket
l bind
l listen 0
c1 socket
c1 connect l -> ok
c2 socket
c2 connect l -> blocked
`)
	for _, portable := range []bool{false, true} {
		l := newLab(t, lab.Options{Portable: portable})
		stop := preemptAllThreads(t)
		recs := l.Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil))
		stop()
		for _, r := range recs {
			if r.Verdict != lab.Match {
				t.Errorf("%s (portable %v): %s %s\n%s", r.Transport, portable, r.Verdict, r.Error, timeline(r))
			}
		}
	}
}
