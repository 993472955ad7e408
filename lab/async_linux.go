package lab

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab/sock"
	"github.com/teardown-net/teardown/scenario"
)

// asyncCall is a call made on a thread of its own ("async"), whose result
// is written into its step when it returns.
type asyncCall struct {
	index int // of its step in the record
	done  chan asyncResult
	// makes is the actor an async accept makes, "" for other calls.
	makes string
}

type asyncResult struct {
	st  Step
	res scenario.Result
	err error
	// own is the call's copy of the actor's endpoint as the call left
	// it, and made the endpoints it made (an accept's socket): the
	// runner takes what a connect learned and the actors an accept made
	// from them when it collects the result.
	own  *sock.Endpoint
	made []*sock.Endpoint
}

// start makes op's call on a new thread and returns at once. The call gets
// a copy of the actor's endpoint as it is now, so that a close by a later
// step (which marks the runner's endpoint closed) leaves the call with the
// descriptor it was given, as a program's blocked thread keeps its own:
// what happens to that call is then the kernel's to say.
func (r *runner) start(op *scenario.Op, st Step, index int) error {
	e, err := r.endpoint(op.Actor)
	if err != nil {
		return err
	}
	own := *e
	a := *r
	a.eps = map[string]*sock.Endpoint{op.Actor: &own}
	a.all, a.epolls, a.async, a.wd = nil, nil, nil, nil
	if op.Kind == scenario.OpConnect {
		t, err := r.endpoint(op.Target)
		if err != nil {
			return err
		}
		target := *t
		a.eps[op.Target] = &target
		// Where the connect goes is known before it returns, so that
		// the packets of the handshake it waits for are the actor's
		// while it waits (its own address the runner learns from its
		// SYN, learnAddress).
		if sa, err := r.net.PeerAddr(t, e); err == nil && !e.Remote.IsValid() {
			e.Remote = sock.Name(0, func(int) (unix.Sockaddr, error) { return sa, nil })
		}
	}
	c := &asyncCall{index: index, done: make(chan asyncResult, 1)}
	if op.Kind == scenario.OpAccept {
		c.makes = op.As
		if c.makes == "" {
			c.makes = "server"
		}
	}
	r.async = append(r.async, c)
	tids := make(chan int, 1)
	go func() {
		// Never unlocked: the thread goes with the goroutine, and its
		// signal mask with it.
		runtime.LockOSThread()
		var set unix.Sigset_t
		sigaddset(&set, unix.SIGPIPE)
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
			c.done <- asyncResult{err: fmt.Errorf("block SIGPIPE on an async call's thread: %w", err)}
			return
		}
		a.tid = unix.Gettid()
		tids <- a.tid
		res, err := a.call(op, &st)
		c.done <- asyncResult{st: st, res: res, err: err, own: &own, made: a.all}
	}()
	select {
	case tid := <-tids:
		c.waitInCall(tid)
	case out := <-c.done:
		// Failed before its call; collect reports it.
		c.done <- out
	}
	return nil
}

// waitInCall waits, for a bounded time, until the call's thread sleeps
// inside a system call other than the runtime's futex — blocked in the
// call itself, not in a setsockopt or ioctl the lab makes before it — or
// the call has returned, so that the next step finds it under way, as
// "async" promises, even on a loaded machine where a new thread takes a
// while to start.
func (c *asyncCall) waitInCall(tid int) {
	task := fmt.Sprintf("/proc/self/task/%d/", tid)
	deadline := time.Now().Add(asyncStartBound)
	for time.Now().Before(deadline) {
		if len(c.done) > 0 {
			return
		}
		b, err := os.ReadFile(task + "syscall")
		if err != nil {
			return // the thread has ended
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			if n, err := strconv.Atoi(f[0]); err == nil && n != unix.SYS_FUTEX && sleeping(task) {
				return
			}
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// sleeping reports whether the task whose /proc directory is task is
// asleep (state S or D in its stat file).
func sleeping(task string) bool {
	b, err := os.ReadFile(task + "stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and
	// may itself hold spaces or parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	st := b[i+2]
	return st == 'S' || st == 'D'
}

// asyncStartBound bounds the wait for an async call to be under way: a
// call that neither blocks nor returns by then (a long copy) is taken as
// under way.
const asyncStartBound = time.Second

// collect writes the results of the async calls that have returned into
// their steps; with wait, it waits for all of them.
func (r *runner) collect(wait bool) error {
	var first error
	keep := r.async[:0]
	for _, c := range r.async {
		var out asyncResult
		if wait {
			out = <-c.done
		} else {
			select {
			case out = <-c.done:
			default:
				keep = append(keep, c)
				continue
			}
		}
		if out.err != nil {
			if first == nil {
				first = fmt.Errorf("line %d: %w", r.rec.Steps[c.index].Line, out.err)
			}
			continue
		}
		st := &r.rec.Steps[c.index]
		res := out.res
		st.Result, st.Took, st.Moved, st.Data = &res, out.st.Took, out.st.Moved, out.st.Data
		r.takeFrom(out)
	}
	r.async = keep
	return first
}

// takeFrom gives the runner what an async call made or learned: the
// actor an accept made, which later steps may then use, and the addresses
// a connect's socket has now (a failed connect's own the runner learned
// from its SYN already, and keeps).
func (r *runner) takeFrom(out asyncResult) {
	for _, e := range out.made {
		r.add(e)
	}
	if out.own == nil {
		return
	}
	// By its cookie: the actor's name may have passed to a new socket
	// since (retire).
	if i := slices.IndexFunc(r.all, func(e *sock.Endpoint) bool { return e.Cookie == out.own.Cookie }); i >= 0 {
		e := r.all[i]
		if out.own.Local.IsValid() {
			e.Local = out.own.Local
		}
		if out.own.Remote.IsValid() {
			e.Remote = out.own.Remote
		}
	}
}

// awaitMakers waits for the async accepts still under way that make the
// actors op uses, as a program's thread that uses an accepted socket
// waits for the accept that gives it: the step is then made with the
// actor, or, when the accept failed, without it (an error of the run).
func (r *runner) awaitMakers(op *scenario.Op) error {
	for _, name := range []string{op.Actor, op.Target} {
		if name == "" {
			continue
		}
		// Even where the name is taken, by a closed actor the accept's
		// socket will replace.
		for _, c := range r.async {
			if c.makes == name {
				if err := r.collectOne(c); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// collectOne waits for the async call c and takes its result.
func (r *runner) collectOne(c *asyncCall) error {
	out := <-c.done
	c.done <- out
	return r.collect(false)
}
