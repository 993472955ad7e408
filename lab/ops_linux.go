package lab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab/internal/block"
	"github.com/teardown-net/teardown/lab/sock"
	"github.com/teardown-net/teardown/scenario"
)

func ptr[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }

// do performs one operation with the system call it names. A non-nil error
// is a failure of the lab; what the kernel answered is in the result.
func (r *runner) do(op *scenario.Op, st *Step) (scenario.Result, error) {
	run, ok := operations[op.Kind]
	if !ok {
		return scenario.Result{}, fmt.Errorf("operation %q is not implemented by the runner", op.Kind)
	}
	if op.Kind == scenario.OpSocket {
		return run(r, nil, op, st)
	}
	e, err := r.endpoint(op.Actor)
	if err != nil {
		return scenario.Result{}, err
	}
	return run(r, e, op, st)
}

// operation carries out one kind of operation on the actor's endpoint (nil
// for socket, which makes it).
type operation func(r *runner, e *sock.Endpoint, op *scenario.Op, st *Step) (scenario.Result, error)

// operations are the runner's implementations of the language's
// operations; TestNames checks that every one the parser accepts is here.
var operations = map[scenario.OpKind]operation{
	scenario.OpSocket: func(r *runner, _ *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		e, err := r.socket(op.Actor, op.Host, families[op.Family])
		if err != nil {
			if errors.Is(err, sock.ErrNotSocket) {
				return scenario.Result{}, err
			}
			return errResult(err)
		}
		r.add(e)
		return okResult(), nil
	},
	scenario.OpBind: func(r *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		if op.Address != "" {
			sa, err := r.bindAddress(op.Address)
			if err != nil {
				return scenario.Result{}, err
			}
			return result(r.net.BindTo(e, sa))
		}
		if op.Target != "" {
			t, err := r.endpoint(op.Target)
			if err != nil {
				return scenario.Result{}, err
			}
			if err := r.net.BindLike(e, t); err != nil {
				var errno unix.Errno
				if !errors.As(err, &errno) {
					return scenario.Result{}, fmt.Errorf("bind to %s's address: %w", op.Target, err)
				}
				return errResult(err)
			}
			return okResult(), nil
		}
		if err := r.net.Bind(e); err != nil {
			if errors.Is(err, sock.ErrNotSocket) {
				return scenario.Result{}, err
			}
			return errResult(err)
		}
		return okResult(), nil
	},
	scenario.OpListen: func(_ *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		if err := unix.Listen(e.FD, op.Backlog); err != nil {
			return errResult(err)
		}
		if name := sock.BoundName(e.FD); !e.Local.IsValid() || name.IsValid() && name.Port() != e.Local.Port() {
			// Never bound, or bound to port 0 and let go of it by a
			// shutdown of its listen (tcp_disconnect): listen chose a
			// port, by which the socket is known from now on.
			e.Local = name
		}
		return okResult(), nil
	},
	scenario.OpConnect: func(r *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		return r.connect(e, op)
	},
	scenario.OpAccept: func(r *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		return r.accept(e, op)
	},
	scenario.OpWrite: (*runner).write,
	scenario.OpSend:  (*runner).write,
	scenario.OpRead:  (*runner).read,
	scenario.OpClose: func(_ *runner, e *sock.Endpoint, _ *scenario.Op, _ *Step) (scenario.Result, error) {
		if err := unix.Close(e.FD); err != nil {
			return errResult(err)
		}
		e.FD, e.Closed = -1, true
		return okResult(), nil
	},
	scenario.OpShutdown: func(_ *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		how, ok := shutdownHows[op.How]
		if !ok {
			return scenario.Result{}, fmt.Errorf("shutdown %q is not known to the runner", op.How)
		}
		return result(unix.Shutdown(e.FD, how))
	},
	scenario.OpLinger: func(_ *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		return result(setLinger(e.FD, op.Linger))
	},
	scenario.OpNonblock: func(_ *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		if e.Pipe {
			// Pipe ends are always non-blocking underneath; blocking is
			// emulated, so only the scenario's view changes.
			if e.FD < 0 {
				return errResult(unix.EBADF)
			}
			e.Nonblock = op.On
			return okResult(), nil
		}
		if err := unix.SetNonblock(e.FD, op.On); err != nil {
			return errResult(err)
		}
		e.Nonblock = op.On
		return okResult(), nil
	},
	scenario.OpSetsockopt: func(r *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		return r.setsockopt(e, op)
	},
	scenario.OpGetsockopt: func(_ *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		return getsockopt(e, op)
	},
	scenario.OpDup: func(r *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		fd, err := unix.FcntlInt(uintptr(e.FD), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return errResult(err)
		}
		// The same socket (or pipe end) under a second descriptor: what
		// the lab knows of it is the same, and closing one leaves the
		// socket open.
		d := *e
		d.Name, d.FD, d.Closed = op.As, fd, false
		r.add(&d)
		return okResult(), nil
	},
	scenario.OpUnlink: func(r *runner, e *sock.Endpoint, _ *scenario.Op, _ *Step) (scenario.Result, error) {
		path := e.Path
		if path == "" {
			sa, err := r.net.BindAddr(e)
			if err != nil {
				return scenario.Result{}, err
			}
			u, ok := sa.(*unix.SockaddrUnix)
			if !ok {
				return scenario.Result{}, fmt.Errorf("unlink: %s has no path", e.Name)
			}
			path = u.Name
		}
		if strings.HasPrefix(path, "@") {
			return scenario.Result{}, fmt.Errorf("unlink: %s is bound to the abstract name %s, which is no file", e.Name, path)
		}
		return result(unix.Unlink(path))
	},
	scenario.OpPoll: func(r *runner, e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
		return r.poll(e, op)
	},
	scenario.OpEpoll: (*runner).epoll,
}

// bindAddress turns the literal address of a bind into the sockaddr of
// its own family, which the kernel then judges against the socket's: an
// IPv4 address on a tcp6 socket is the kernel's EINVAL or EAFNOSUPPORT to
// give, not the lab's to refuse.
func (r *runner) bindAddress(s string) (unix.Sockaddr, error) {
	a, err := scenario.ParseBindAddress(s)
	if err != nil {
		return nil, fmt.Errorf("bind: %w", err)
	}
	switch a.Kind {
	case scenario.AddressIP:
		if a.IP.Addr().Is4() {
			return &unix.SockaddrInet4{Addr: a.IP.Addr().As4(), Port: int(a.IP.Port())}, nil
		}
		return &unix.SockaddrInet6{Addr: a.IP.Addr().As16(), Port: int(a.IP.Port())}, nil
	case scenario.AddressAbstract:
		// x/sys/unix turns a leading '@' into the NUL of the abstract
		// namespace.
		return &unix.SockaddrUnix{Name: "@" + a.Name}, nil
	case scenario.AddressPath:
		return r.net.UnixAddr(a.Name), nil
	}
	return nil, fmt.Errorf("bind address %q is not known to the runner", s)
}

// shutdownHows are the directions of shutdown.
var shutdownHows = map[string]int{"rd": unix.SHUT_RD, "wr": unix.SHUT_WR, "rdwr": unix.SHUT_RDWR}

// pollBits are the events poll can ask for.
var pollBits = map[string]int16{"in": unix.POLLIN, "out": unix.POLLOUT, "rdhup": unix.POLLRDHUP, "pri": unix.POLLPRI}

func result(err error) (scenario.Result, error) {
	if err != nil {
		return errResult(err)
	}
	return okResult(), nil
}

func setLinger(fd, secs int) error {
	l := unix.Linger{}
	if secs >= 0 {
		l = unix.Linger{Onoff: 1, Linger: int32(secs)}
	}
	return unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &l)
}

// blocking reports whether a call on e may block: the lab then reads an
// EAGAIN after the step's limit as "still blocked".
func blocking(e *sock.Endpoint, op *scenario.Op) bool {
	return !e.Nonblock && !op.Nonblock && op.Timeout == 0
}

// limited reports whether a blocking call on e governed by opt
// (SO_RCVTIMEO or SO_SNDTIMEO) that gave up gave up at the lab's limit:
// then it is "blocked"; else its EAGAIN or partial count is the kernel's
// answer to the scenario's own timeout, and recorded as such.
func (r *runner) limited(e *sock.Endpoint, op *scenario.Op, opt int) bool {
	// The kernel holds the limit in jiffies, rounded up: a call it ended
	// took the limit at least. One that gave up sooner was ended by a
	// signal ("interrupt"), and its result is the kernel's.
	atLimit := time.Since(r.callStart) >= r.limit
	return blocking(e, op) && r.net.LabLimited(e, opt) && atLimit || r.wd != nil && r.wd.fired.Load()
}

func (r *runner) connect(e *sock.Endpoint, op *scenario.Op) (scenario.Result, error) {
	t, err := r.endpoint(op.Target)
	if err != nil {
		return scenario.Result{}, err
	}
	sa, err := r.net.PeerAddr(t, e)
	if err != nil {
		return scenario.Result{}, fmt.Errorf("connect to %s: %w", op.Target, err)
	}
	var sent int
	if op.FastOpen {
		sent, err = sendtoFastOpen(e.FD, op.Data, sa)
	} else {
		err = unix.Connect(e.FD, sa)
		if errors.Is(err, unix.EINTR) && op.Interrupt == 0 {
			err = block.FinishConnect(e.FD, r.callStart)
		}
	}
	if a := sock.Name(e.FD, unix.Getsockname); a.IsValid() {
		e.Local = a
	} else if !e.PortKept {
		// The kernel let go of the port of an attempt that failed: a
		// second attempt after a first failed takes another, which the
		// runner learns from its SYN (learnAddress), as the first's.
		e.Local = netip.AddrPort{}
	}
	// Even a connect that failed names its peer: the packets and the
	// kernel's events of the attempt belong to this pair.
	// The address the connect went to, not the target's own: a wildcard
	// listener is reached at one of its host's addresses.
	if e.Remote = sock.Name(e.FD, unix.Getpeername); !e.Remote.IsValid() {
		e.Remote = sock.Name(0, func(int) (unix.Sockaddr, error) { return sa, nil })
	}
	if block.ConnectGaveUp(err) && r.limited(e, op, unix.SO_SNDTIMEO) {
		return blockedResult(), nil
	}
	if op.FastOpen && err == nil {
		return countResult(sent), nil
	}
	return result(err)
}

// sendtoFastOpen connects fd to sa with sendto(2) and MSG_FASTOPEN, the
// data in the SYN where the kernel may put it there, and returns the
// count sendto gave. x/sys/unix's Sendto gives no count.
func sendtoFastOpen(fd int, p []byte, sa unix.Sockaddr) (int, error) {
	var raw unsafe.Pointer
	var size uintptr
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		r := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.Addr}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&r.Port))[:], uint16(a.Port))
		raw, size = unsafe.Pointer(&r), unsafe.Sizeof(r)
	case *unix.SockaddrInet6:
		r := unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.Addr}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&r.Port))[:], uint16(a.Port))
		raw, size = unsafe.Pointer(&r), unsafe.Sizeof(r)
	default:
		return 0, fmt.Errorf("connect fastopen to %T: the parser lets it through only on TCP", sa)
	}
	var b unsafe.Pointer
	if len(p) > 0 {
		b = unsafe.Pointer(&p[0])
	}
	n, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(b), uintptr(len(p)), unix.MSG_FASTOPEN, uintptr(raw), size)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

func (r *runner) accept(l *sock.Endpoint, op *scenario.Op) (scenario.Result, error) {
	name := op.As
	if name == "" {
		name = "server"
	}
	s, err := r.net.Accept(l, name)
	if err != nil {
		if errors.Is(err, unix.EAGAIN) && r.limited(l, op, unix.SO_RCVTIMEO) {
			return blockedResult(), nil
		}
		return errResult(err)
	}
	r.add(s)
	return okResult(), nil
}

func (r *runner) write(e *sock.Endpoint, op *scenario.Op, st *Step) (scenario.Result, error) {
	if e.Pipe {
		return r.pipeWrite(e, op, st)
	}
	var n int
	var err error
	switch {
	case op.Kind == scenario.OpWrite && !op.NoSignal:
		n, err = unix.Write(e.FD, op.Data)
	default:
		n, err = sendto(e.FD, op.Data, sendFlags(op))
	}
	if (errors.Is(err, unix.EAGAIN) || (err == nil && n < len(op.Data))) && r.limited(e, op, unix.SO_SNDTIMEO) {
		st.Moved = max(n, 0)
		return blockedResult(), nil
	}
	if err != nil {
		return errResult(err)
	}
	return countResult(n), nil
}

// sendFlags are the flags of op's send(2): MSG_NOSIGNAL with nosignal,
// MSG_OOB with oob.
func sendFlags(op *scenario.Op) int {
	flags := 0
	if op.NoSignal {
		flags |= unix.MSG_NOSIGNAL
	}
	if op.OOB {
		flags |= unix.MSG_OOB
	}
	return flags
}

// sendto calls sendto(2) with no address, which x/sys/unix offers only
// without the byte count.
func sendto(fd int, p []byte, flags int) (int, error) {
	var b unsafe.Pointer
	if len(p) > 0 {
		b = unsafe.Pointer(&p[0])
	}
	n, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(b), uintptr(len(p)), uintptr(flags), 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

// pipeWrite emulates a blocking write on a pipe end that is non-blocking
// underneath, so that the step's limit can end it.
func (r *runner) pipeWrite(e *sock.Endpoint, op *scenario.Op, st *Step) (scenario.Result, error) {
	if op.Kind == scenario.OpSend || op.NoSignal {
		n, err := sendto(e.FD, op.Data, sendFlags(op)|unix.MSG_NOSIGNAL)
		if err != nil {
			return errResult(err)
		}
		return countResult(n), nil
	}
	deadline := time.Now().Add(r.limit)
	total := 0
	for {
		n, err := unix.Write(e.FD, op.Data[total:])
		if n > 0 {
			total += n
		}
		switch {
		case err == nil && total == len(op.Data):
			return countResult(total), nil
		case err != nil && !errors.Is(err, unix.EAGAIN):
			if total > 0 {
				return countResult(total), nil
			}
			return errResult(err)
		case e.Nonblock:
			if total > 0 {
				return countResult(total), nil
			}
			return errResult(err)
		}
		ready, err := block.One(e.FD, unix.POLLOUT, deadline, r.unasked(op))
		if !ready && (err == nil || r.wd.fired.Load()) {
			st.Moved = total
			return blockedResult(), nil
		}
		if err != nil {
			// A signal ends a blocking write that has moved bytes with
			// their count, as write(2) does.
			if total > 0 {
				return countResult(total), nil
			}
			return errResult(err)
		}
	}
}

func (r *runner) read(e *sock.Endpoint, op *scenario.Op, st *Step) (scenario.Result, error) {
	buf := make([]byte, op.Size)
	var n int
	var err error
	switch {
	case e.Pipe:
		n, err = r.pipeRead(e, op, buf)
		if errors.Is(err, errBlocked) {
			return blockedResult(), nil
		}
	case op.Nonblock && len(op.Flags) == 0:
		n, _, err = unix.Recvfrom(e.FD, buf, unix.MSG_DONTWAIT)
	case len(op.Flags) > 0:
		flags := 0
		if op.Nonblock {
			flags = unix.MSG_DONTWAIT
		}
		for _, f := range op.Flags {
			bit, ok := recvFlags[f]
			if !ok {
				return scenario.Result{}, fmt.Errorf("read %s is not known to the runner", f)
			}
			flags |= bit
		}
		n, err = recv(e.FD, buf, flags)
		if n > len(buf) {
			// MSG_TRUNC: the count is of the bytes the kernel had, more
			// than the buffer holds.
			buf = buf[:0]
		}
	default:
		if op.Timeout > 0 {
			tv := unix.NsecToTimeval(op.Timeout.Nanoseconds())
			if err := unix.SetsockoptTimeval(e.FD, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err == nil {
				// The socket's own timeout, or the lab's limit, again.
				defer r.net.SetTimeout(e, unix.SO_RCVTIMEO, e.RcvTimeo)
			}
		}
		n, err = unix.Read(e.FD, buf)
	}
	if err != nil {
		if errors.Is(err, unix.EAGAIN) && r.limited(e, op, unix.SO_RCVTIMEO) {
			return blockedResult(), nil
		}
		return errResult(err)
	}
	st.Data = string(buf[:min(n, len(buf))])
	if slices.Contains(op.Flags, "trunc") && r.net.Kind.IsTCP() {
		// On TCP, MSG_TRUNC discards the bytes without copying them: the
		// buffer holds nothing that was read.
		st.Data = ""
	}
	if slices.Contains(op.Flags, "waitall") && n < op.Size && r.limited(e, op, unix.SO_RCVTIMEO) && time.Since(st.Start) >= r.limit {
		// MSG_WAITALL waited for more until the lab's limit ended it.
		st.Moved = n
		return blockedResult(), nil
	}
	return countResult(n), nil
}

// recv calls recvfrom(2) with no address and returns its count as the
// kernel gave it: with MSG_TRUNC it can exceed the buffer.
func recv(fd int, p []byte, flags int) (int, error) {
	var b unsafe.Pointer
	if len(p) > 0 {
		b = unsafe.Pointer(&p[0])
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(b), uintptr(len(p)), uintptr(flags), 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

// recvFlags are the flags a read can give recv(2).
var recvFlags = map[string]int{"peek": unix.MSG_PEEK, "waitall": unix.MSG_WAITALL, "oob": unix.MSG_OOB, "trunc": unix.MSG_TRUNC}

// interrupt signals the run's thread after d, and again every few
// milliseconds until the returned function is called when the call has
// returned: a single signal could arrive before the thread is blocked in
// the call (on a loaded machine) and be lost on it. SIGURG is the signal:
// Go's runtime already handles it, harmlessly, as a preemption request.
func (r *runner) interrupt(d time.Duration) (stop func()) {
	pid, tid := unix.Getpid(), r.tid
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTimer(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				unix.Tgkill(pid, tid, unix.SIGURG)
				t.Reset(5 * time.Millisecond)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

var errBlocked = errors.New("blocked")

// pipeRead emulates a blocking read on a pipe end, which is non-blocking
// underneath: it reads first, so that whatever the kernel answers at once
// (data, EOF, EBADF on the write end) is the answer, and waits with poll
// only on EAGAIN. poll is never restarted after a signal, so an interrupt
// gives EINTR as a blocking read without SA_RESTART would.
func (r *runner) pipeRead(e *sock.Endpoint, op *scenario.Op, buf []byte) (int, error) {
	deadline := time.Now().Add(r.limit)
	if op.Timeout > 0 {
		deadline = time.Now().Add(min(op.Timeout, r.limit))
	}
	for {
		n, err := unix.Read(e.FD, buf)
		if !errors.Is(err, unix.EAGAIN) || e.Nonblock {
			return n, err
		}
		ready, err := block.One(e.FD, unix.POLLIN, deadline, r.unasked(op))
		if !ready && (err == nil || r.wd.fired.Load()) {
			return 0, errBlocked
		}
		if err != nil {
			return 0, err
		}
	}
}

// unasked returns whether a signal that ends op's wait with EINTR is none
// the scenario sent (block.Wait): no "interrupt", and not the watchdog's.
func (r *runner) unasked(op *scenario.Op) func() bool {
	return func() bool { return op.Interrupt == 0 && !(r.wd != nil && r.wd.fired.Load()) }
}

func (r *runner) poll(e *sock.Endpoint, op *scenario.Op) (scenario.Result, error) {
	var events int16
	for _, ev := range op.Events {
		bit, ok := pollBits[ev]
		if !ok {
			return scenario.Result{}, fmt.Errorf("poll event %q is not known to the runner", ev)
		}
		events |= bit
	}
	// Without a timeout, or with one past the step's limit, poll waits
	// like any blocking call, until the limit.
	timeout, limited := block.Timeout(op.Timeout, op.Now, r.limit)
	fds := []unix.PollFd{{Fd: block.PollFD(e.FD), Events: events}}
	n, err := block.Poll(fds, time.Now().Add(timeout), r.unasked(op))
	if err != nil {
		return errResult(err)
	}
	if n == 0 {
		if limited {
			return blockedResult(), nil
		}
		return countResult(0), nil
	}
	return scenario.Result{Kind: scenario.ResultEvents, Events: sortedEvents(fds[0].Revents)}, nil
}

// epollSet is an actor's epoll instance and what its descriptor is
// registered on it for.
type epollSet struct {
	fd int
	// attached: the descriptor has been registered, for events.
	attached bool
	events   uint32
}

// epoll waits on the actor's epoll instance, made at its first epoll and
// kept for the run, as a program keeps one: edge-triggered readiness is
// reported once per change, and a closed descriptor leaves the instance
// (while a dup of it stays open, it does not). The descriptor is
// registered the first time, and registered anew (EPOLL_CTL_MOD) when the
// events or the mode change; that registration's error is the result.
func (r *runner) epoll(e *sock.Endpoint, op *scenario.Op, _ *Step) (scenario.Result, error) {
	var want uint32
	for _, ev := range op.Events {
		bit, ok := pollBits[ev]
		if !ok {
			return scenario.Result{}, fmt.Errorf("epoll event %q is not known to the runner", ev)
		}
		want |= uint32(uint16(bit))
	}
	if op.Edge {
		want |= unix.EPOLLET
	}
	ep := r.epolls[e.Name]
	if ep == nil {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return scenario.Result{}, fmt.Errorf("epoll_create1 for %s: %w", e.Name, err)
		}
		ep = &epollSet{fd: fd}
		if r.epolls == nil {
			r.epolls = map[string]*epollSet{}
		}
		r.epolls[e.Name] = ep
	}
	if !ep.attached || ep.events != want {
		ctl := unix.EPOLL_CTL_MOD
		if !ep.attached {
			ctl = unix.EPOLL_CTL_ADD
		}
		ev := unix.EpollEvent{Events: want, Fd: int32(e.FD)}
		if err := unix.EpollCtl(ep.fd, ctl, e.FD, &ev); err != nil {
			return errResult(err)
		}
		ep.attached, ep.events = true, want
	}
	timeout, limited := block.Timeout(op.Timeout, op.Now, r.limit)
	evs := make([]unix.EpollEvent, 1)
	n, err := block.Wait(time.Now().Add(timeout), r.unasked(op), func(ms int) (int, error) { return unix.EpollWait(ep.fd, evs, ms) })
	if err != nil {
		return errResult(err)
	}
	if n == 0 {
		if limited {
			return blockedResult(), nil
		}
		return countResult(0), nil
	}
	return scenario.Result{Kind: scenario.ResultEvents, Events: epollEvents(evs[0].Events)}, nil
}

// epollEvents names epoll_wait's event bits.
func epollEvents(bits uint32) []string {
	var names []string
	for _, b := range []struct {
		bit  uint32
		name string
	}{
		{unix.EPOLLIN, "EPOLLIN"}, {unix.EPOLLOUT, "EPOLLOUT"}, {unix.EPOLLPRI, "EPOLLPRI"},
		{unix.EPOLLRDHUP, "EPOLLRDHUP"}, {unix.EPOLLHUP, "EPOLLHUP"}, {unix.EPOLLERR, "EPOLLERR"},
	} {
		if bits&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	slices.Sort(names)
	return names
}

// sockopts maps the option names of the language to level and number.
var sockopts = map[string][2]int{
	"SO_KEEPALIVE":         {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"SO_RCVBUF":            {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"SO_SNDBUF":            {unix.SOL_SOCKET, unix.SO_SNDBUF},
	"SO_REUSEADDR":         {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"SO_ERROR":             {unix.SOL_SOCKET, unix.SO_ERROR},
	"SO_TYPE":              {unix.SOL_SOCKET, unix.SO_TYPE},
	"SO_ACCEPTCONN":        {unix.SOL_SOCKET, unix.SO_ACCEPTCONN},
	"SO_LINGER":            {unix.SOL_SOCKET, unix.SO_LINGER},
	"SO_RCVTIMEO":          {unix.SOL_SOCKET, unix.SO_RCVTIMEO},
	"SO_SNDTIMEO":          {unix.SOL_SOCKET, unix.SO_SNDTIMEO},
	"TCP_KEEPIDLE":         {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
	"TCP_KEEPINTVL":        {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
	"TCP_KEEPCNT":          {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
	"TCP_USER_TIMEOUT":     {unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT},
	"TCP_NODELAY":          {unix.IPPROTO_TCP, unix.TCP_NODELAY},
	"TCP_LINGER2":          {unix.IPPROTO_TCP, unix.TCP_LINGER2},
	"TCP_FASTOPEN":         {unix.IPPROTO_TCP, unix.TCP_FASTOPEN},
	"TCP_FASTOPEN_CONNECT": {unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT},
	"IPV6_V6ONLY":          {unix.IPPROTO_IPV6, unix.IPV6_V6ONLY},
	"SO_OOBINLINE":         {unix.SOL_SOCKET, unix.SO_OOBINLINE},
}

func (r *runner) setsockopt(e *sock.Endpoint, op *scenario.Op) (scenario.Result, error) {
	o, ok := sockopts[op.Option]
	if !ok {
		return scenario.Result{}, fmt.Errorf("setsockopt %s is not known to the runner", op.Option)
	}
	switch op.Option {
	case "SO_LINGER":
		return result(setLinger(e.FD, op.Linger))
	case "SO_RCVTIMEO", "SO_SNDTIMEO":
		return result(r.net.SetTimeout(e, o[1], time.Duration(op.Value)*time.Millisecond))
	}
	return result(unix.SetsockoptInt(e.FD, o[0], o[1], op.Value))
}

func getsockopt(e *sock.Endpoint, op *scenario.Op) (scenario.Result, error) {
	o, ok := sockopts[op.Option]
	if !ok {
		return scenario.Result{}, fmt.Errorf("getsockopt %s is not known to the runner", op.Option)
	}
	switch op.Option {
	case "SO_LINGER":
		l, err := unix.GetsockoptLinger(e.FD, o[0], o[1])
		if err != nil {
			return errResult(err)
		}
		return countResult(int(l.Linger)), nil
	case "SO_RCVTIMEO", "SO_SNDTIMEO":
		// The call is made, for its errors; the value is the socket's
		// own, as the kernel reported it when it was set, where the
		// kernel now holds the lab's limit instead.
		if _, err := unix.GetsockoptTimeval(e.FD, o[0], o[1]); err != nil {
			return errResult(err)
		}
		own := e.RcvTimeo
		if op.Option == "SO_SNDTIMEO" {
			own = e.SndTimeo
		}
		return countResult(int(own.Milliseconds())), nil
	}
	v, err := unix.GetsockoptInt(e.FD, o[0], o[1])
	if err != nil {
		return errResult(err)
	}
	if op.Option == "SO_ERROR" && v != 0 {
		return errResult(unix.Errno(v))
	}
	return countResult(v), nil
}
