//go:build darwin || freebsd || linux

package portable

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab/internal/block"
	"github.com/teardown-net/teardown/lab/sock"
	"github.com/teardown-net/teardown/scenario"
)

// Outcome is what one call did.
type Outcome struct {
	Result scenario.Result
	// Moved is the number of bytes a blocked call moved.
	Moved int
	// Data is what a read returned.
	Data string
}

// Do makes the operation's call and returns what the kernel answered, with
// whether the call raised SIGPIPE. A non-nil error is a failure of the
// runner, not an answer of the kernel.
func (r *Run) Do(op *scenario.Op) (Outcome, error) {
	// A SIGPIPE raised by anything before the call is not the call's.
	if _, err := r.pipe.taken(); err != nil {
		return Outcome{}, err
	}
	out, err := r.do(op)
	for err == nil && block.Spurious(op, out.Result) {
		out, err = r.do(op)
	}
	if err != nil {
		return Outcome{}, err
	}
	if out.Result.SIGPIPE, err = r.pipe.taken(); err != nil {
		return Outcome{}, err
	}
	return out, nil
}

func (r *Run) do(op *scenario.Op) (Outcome, error) {
	if op.Kind == scenario.OpSocket {
		if _, err := r.socket(op.Actor, op.Family); err != nil {
			return errOutcome(err)
		}
		return ok(), nil
	}
	run, found := operations[op.Kind]
	if !found {
		return Outcome{}, fmt.Errorf("operation %q is not carried by the portable runner", op.Kind)
	}
	e, err := r.endpoint(op.Actor)
	if err != nil {
		return Outcome{}, err
	}
	return run(r, e, op)
}

type operation func(r *Run, e *Endpoint, op *scenario.Op) (Outcome, error)

// operations are the operations the portable runner carries out; Refusal
// names the others.
var operations = map[scenario.OpKind]operation{
	scenario.OpBind: (*Run).bindOp,
	scenario.OpListen: func(_ *Run, e *Endpoint, op *scenario.Op) (Outcome, error) {
		if err := unix.Listen(e.FD, op.Backlog); err != nil {
			return errOutcome(err)
		}
		if name := sock.NameOf(e.FD, unix.Getsockname); e.Local.IsValid() && name.Port() != 0 && name.Port() != e.Local.Port() {
			// Bound to port 0 and let go of it by a shutdown of its
			// listen: listen chose another port, by which the socket is
			// known from now on.
			e.Local = name
		}
		return ok(), nil
	},
	scenario.OpConnect: (*Run).connect,
	scenario.OpAccept:  (*Run).accept,
	scenario.OpWrite:   (*Run).write,
	scenario.OpSend:    (*Run).write,
	scenario.OpRead:    (*Run).read,
	scenario.OpClose: func(_ *Run, e *Endpoint, _ *scenario.Op) (Outcome, error) {
		if err := unix.Close(e.FD); err != nil {
			return errOutcome(err)
		}
		e.FD, e.Closed = -1, true
		return ok(), nil
	},
	scenario.OpShutdown: func(_ *Run, e *Endpoint, op *scenario.Op) (Outcome, error) {
		how, found := map[string]int{"rd": unix.SHUT_RD, "wr": unix.SHUT_WR, "rdwr": unix.SHUT_RDWR}[op.How]
		if !found {
			return Outcome{}, fmt.Errorf("shutdown %q is not known to the runner", op.How)
		}
		return result(unix.Shutdown(e.FD, how))
	},
	scenario.OpLinger: func(_ *Run, e *Endpoint, op *scenario.Op) (Outcome, error) {
		return result(setLinger(e.FD, op.Linger))
	},
	scenario.OpNonblock: func(_ *Run, e *Endpoint, op *scenario.Op) (Outcome, error) {
		if e.Pipe {
			if e.FD < 0 {
				return errOutcome(unix.EBADF)
			}
			e.Nonblock = op.On
			return ok(), nil
		}
		if err := unix.SetNonblock(e.FD, op.On); err != nil {
			return errOutcome(err)
		}
		e.Nonblock = op.On
		return ok(), nil
	},
	scenario.OpSetsockopt: (*Run).setsockopt,
	scenario.OpGetsockopt: (*Run).getsockopt,
	scenario.OpPoll:       (*Run).poll,
	scenario.OpDup: func(r *Run, e *Endpoint, op *scenario.Op) (Outcome, error) {
		fd, err := unix.Dup(e.FD)
		if err != nil {
			return errOutcome(err)
		}
		unix.CloseOnExec(fd)
		d := *e
		d.Name, d.FD, d.Closed = op.As, fd, false
		r.add(&d)
		return ok(), nil
	},
	scenario.OpUnlink: func(r *Run, e *Endpoint, _ *scenario.Op) (Outcome, error) {
		path := e.Path
		if path == "" {
			u, isUnix := r.bindAddr(e).(*unix.SockaddrUnix)
			if !isUnix {
				return Outcome{}, fmt.Errorf("unlink: %s has no path", e.Name)
			}
			path = u.Name
		}
		return result(unix.Unlink(path))
	},
}

func (r *Run) bindOp(e *Endpoint, op *scenario.Op) (Outcome, error) {
	switch {
	case op.Address != "":
		a, err := scenario.ParseBindAddress(op.Address)
		if err != nil {
			return Outcome{}, fmt.Errorf("bind: %w", err)
		}
		var sa unix.Sockaddr
		switch a.Kind {
		case scenario.AddressIP:
			if a.IP.Addr().Is4() {
				sa = &unix.SockaddrInet4{Addr: a.IP.Addr().As4(), Port: int(a.IP.Port())}
			} else {
				sa = &unix.SockaddrInet6{Addr: a.IP.Addr().As16(), Port: int(a.IP.Port())}
			}
		case scenario.AddressPath:
			sa = &unix.SockaddrUnix{Name: r.dir + "/" + a.Name}
		case scenario.AddressAbstract:
			// x/sys/unix turns a leading '@' into the NUL of Linux's
			// abstract namespace; Refusal keeps it to Linux.
			sa = &unix.SockaddrUnix{Name: "@" + a.Name}
		default:
			return Outcome{}, fmt.Errorf("bind address %q is not known to the runner", op.Address)
		}
		return result(r.bindTo(e, sa))
	case op.Target != "":
		t, err := r.endpoint(op.Target)
		if err != nil {
			return Outcome{}, err
		}
		sa, err := r.peerAddr(t, e)
		if err != nil {
			return Outcome{}, err
		}
		return result(r.bindTo(e, sa))
	}
	return result(r.bind(e))
}

// blocking reports whether a call on e may block until the run's limit.
func blocking(e *Endpoint, op *scenario.Op) bool {
	return !e.Nonblock && !op.Nonblock && op.Timeout == 0
}

// watchdog ends a blocking call the kernel's timeout did not end (macOS
// holds no SO_SNDTIMEO for connect): a second past the limit it shuts the
// socket down, which wakes the call on every system here.
type watchdog struct {
	t     *time.Timer
	fired atomic.Bool
}

func (r *Run) watch(fd int) *watchdog {
	w := &watchdog{}
	w.t = time.AfterFunc(r.limit+time.Second, func() {
		w.fired.Store(true)
		unix.Shutdown(fd, unix.SHUT_RDWR)
	})
	return w
}

func (w *watchdog) stop() bool {
	w.t.Stop()
	return w.fired.Load()
}

func (r *Run) connect(e *Endpoint, op *scenario.Op) (Outcome, error) {
	t, err := r.endpoint(op.Target)
	if err != nil {
		return Outcome{}, err
	}
	sa, err := r.peerAddr(t, e)
	if err != nil {
		return Outcome{}, fmt.Errorf("connect to %s: %w", op.Target, err)
	}
	// Known before the call, so that the packets of a connect that fails
	// at once are still the run's: the address the connect goes to, which
	// for a wildcard listener is one of its addresses.
	e.Peer = sock.NameOf(0, func(int) (unix.Sockaddr, error) { return sa, nil })
	w, start := r.watch(e.FD), time.Now()
	err = unix.Connect(e.FD, sa)
	if errors.Is(err, unix.EINTR) && op.Interrupt == 0 {
		err = block.FinishConnect(e.FD, start)
	}
	if w.stop() || block.ConnectGaveUp(err) && blocking(e, op) && r.labLimited(e, unix.SO_SNDTIMEO) {
		return Outcome{Result: blocked()}, nil
	}
	return result(err)
}

func (r *Run) accept(l *Endpoint, op *scenario.Op) (Outcome, error) {
	as := op.As
	if as == "" {
		as = "server"
	}
	if listening(l.FD) && blocking(l, op) && r.labLimited(l, unix.SO_RCVTIMEO) {
		// macOS's accept ignores SO_RCVTIMEO, and a listener cannot be
		// shut down to wake it: wait for a connection with poll, up to
		// the limit, and accept only then. A socket that is not
		// listening is the kernel's to refuse at once.
		ready, err := block.One(l.FD, unix.POLLIN, time.Now().Add(r.limit), nil)
		if err != nil {
			return errOutcome(err)
		}
		if !ready {
			return Outcome{Result: blocked()}, nil
		}
	}
	w := r.watch(l.FD)
	_, err := r.acceptAs(l, as)
	if fired := w.stop(); fired || errors.Is(err, unix.EAGAIN) && blocking(l, op) && r.labLimited(l, unix.SO_RCVTIMEO) {
		return Outcome{Result: blocked()}, nil
	}
	return result(err)
}

// listening reports whether fd is a listening socket.
func listening(fd int) bool {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	return err == nil && v != 0
}

// errOutcome turns an error from a system call into a result named from
// x/sys/unix's errno names, the one table every runner uses; an error
// that is no errno is a failure of the runner.
func errOutcome(err error) (Outcome, error) {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return Outcome{}, err
	}
	n := scenario.CanonicalErrno(unix.ErrnoName(errno))
	if n == "" {
		n = fmt.Sprintf("errno %d", int(errno))
	}
	return Outcome{Result: scenario.Result{Kind: scenario.ResultErrno, Errno: n}}, nil
}

func result(err error) (Outcome, error) {
	if err != nil {
		return errOutcome(err)
	}
	return ok(), nil
}

func ok() Outcome                 { return Outcome{Result: scenario.Result{Kind: scenario.ResultOK}} }
func count(n int) scenario.Result { return scenario.Result{Kind: scenario.ResultCount, N: n} }
func blocked() scenario.Result    { return scenario.Result{Kind: scenario.ResultBlocked} }
