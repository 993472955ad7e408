//go:build darwin || freebsd || linux

// Package portable carries out a scenario's operations through
// golang.org/x/sys/unix in the same way on Linux, macOS and FreeBSD: on
// loopback, with ephemeral ports, in the process's own network namespace,
// one run at a time and without root. It observes what every one of these
// systems lets an unprivileged process see: each call's result, whether it
// raised SIGPIPE, the bytes a read would return (FIONREAD) and the TCP
// state of each socket through its own descriptor (TCP_INFO on Linux and
// FreeBSD, TCP_CONNECTION_INFO on macOS). It sees no kernel reasons and
// no socket whose descriptor is closed; packets are the lab's to capture,
// where root allows, and Addrs tells it which are the run's.
//
// The package knows scenarios' operations, never their expectations: the
// lab turns what it reports into a record and compares that afterwards.
package portable

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab/internal/block"
	"github.com/teardown-net/teardown/lab/sock"
	"github.com/teardown-net/teardown/observe/tcpstate"
	"github.com/teardown-net/teardown/scenario"
)

// ErrNoTransport is returned by Probe when this system cannot make the
// transport's sockets at all (macOS has no AF_UNIX SOCK_SEQPACKET): a run
// is then not one the catalog can be held to.
var ErrNoTransport = errors.New("this system has no such transport")

// Probe reports, as ErrNoTransport with the kernel's errno, whether this
// system can make the sockets of transport t, by making one and closing it.
func Probe(t scenario.Transport) error {
	if t == scenario.Pipe || t == scenario.Socketpair {
		return nil
	}
	fd, err := socket(family(t))
	if err != nil {
		return fmt.Errorf("%w: socket: %v", ErrNoTransport, err)
	}
	unix.Close(fd)
	return nil
}

// Endpoint is one descriptor of a run, named by the actor that holds it.
type Endpoint struct {
	Name string
	// FD is -1 once closed, so that a later call gets EBADF from the
	// kernel instead of reaching a reused descriptor.
	FD     int
	Closed bool
	// Local is a TCP socket's address once bound; Path a unix socket's.
	Local netip.AddrPort
	Path  string
	// Sock and Peer are the TCP addresses of the socket's connection as
	// last seen (getsockname, getpeername, or the address a connect went
	// to), kept after close so that its last packets are still told
	// apart; Addrs refreshes them.
	Sock, Peer netip.AddrPort
	// Pipe ends are non-blocking underneath; Nonblock is what the
	// scenario asked for, and blocking is emulated with poll.
	Pipe, Nonblock, WriteOnly bool
	// Family is a TCP socket's own IP family where the scenario asked for
	// the other one than the run's ("socket tcp4" on a tcp6 run); "" for
	// the run's. An accepted socket has its listener's.
	Family scenario.Transport
	// Timeouts are the socket's own SO_RCVTIMEO and SO_SNDTIMEO; the
	// kernel holds the run's limit instead when they are none or longer.
	block.Timeouts
	// seen is the TCP state last read through the descriptor, and
	// closeWhy why its CLOSE may hide a TIME_WAIT (see States).
	seen     tcpstate.State
	closeWhy string
}

// Run is one run of a scenario on one transport.
type Run struct {
	t     scenario.Transport
	dir   string
	limit time.Duration
	eps   map[string]*Endpoint
	all   []*Endpoint
	pipe  *sigpipe
}

// New starts a run on transport t whose blocking calls end after limit.
// Only one run may exist at a time in a process (SIGPIPE is attributed to
// a call by the order of signals, which another run's would spoil); New
// waits for the one before to be closed.
func New(t scenario.Transport, limit time.Duration) (*Run, error) {
	sp, err := watchSIGPIPE()
	if err != nil {
		return nil, err
	}
	// Named as the full runner names its directories, with the process's
	// id, so that the Linux lab's start removes those a killed process
	// left behind.
	dir, err := os.MkdirTemp(tempBase(), fmt.Sprintf("teardown-lab-%d-", os.Getpid()))
	if err != nil {
		sp.stop()
		return nil, fmt.Errorf("make the run's directory: %w", err)
	}
	return &Run{t: t, dir: dir, limit: limit, eps: map[string]*Endpoint{}, pipe: sp}, nil
}

// tempBase is where runs keep their unix sockets: the temporary directory
// unless its name is so long (macOS's /var/folders/…) that a socket path
// in it would pass sun_path's 104 bytes.
func tempBase() string {
	if d := os.TempDir(); len(d) <= 32 {
		return d
	}
	return "/tmp"
}

// Close closes every descriptor the run holds and removes its directory;
// closing a closed run does nothing.
func (r *Run) Close() {
	if r.pipe == nil {
		return
	}
	for _, e := range r.all {
		if e.FD >= 0 {
			unix.Close(e.FD)
			e.FD = -1
		}
	}
	os.RemoveAll(r.dir)
	r.pipe.stop()
	r.pipe = nil
}

func (r *Run) add(e *Endpoint) {
	if old := r.eps[e.Name]; old != nil {
		// A closed actor whose name a new socket takes: renamed, so that
		// its last packets are not the new one's (sock.RetiredName).
		old.Name = sock.RetiredName(old.Name, func(n string) bool {
			return slices.ContainsFunc(r.all, func(x *Endpoint) bool { return x.Name == n })
		})
	}
	r.eps[e.Name] = e
	r.all = append(r.all, e)
}

func (r *Run) endpoint(name string) (*Endpoint, error) {
	e, ok := r.eps[name]
	if !ok {
		return nil, fmt.Errorf("no socket for %q: the step that creates it did not succeed", name)
	}
	return e, nil
}

// Setup builds what the scenario's setup promises before its first step.
//
// listening, when not nil, is called once the listener listens, before
// anything connects to it: a capture can then keep only the run's ports
// before the handshake.
func (r *Run) Setup(s scenario.Setup, listening func()) error {
	switch s {
	case scenario.SetupNone:
		return nil
	case scenario.SetupConnected:
		if r.t == scenario.Socketpair || r.t == scenario.Pipe {
			return r.pair()
		}
	}
	l, err := r.socket("listener", "")
	if err != nil {
		return err
	}
	if err := r.bind(l); err != nil {
		return fmt.Errorf("bind listener: %w", err)
	}
	if err := unix.Listen(l.FD, 16); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if listening != nil {
		listening()
	}
	c, err := r.socket("client", "")
	if err != nil {
		return err
	}
	if s == scenario.SetupListening {
		return nil
	}
	sa, err := r.peerAddr(l, c)
	if err != nil {
		return err
	}
	if err := unix.Connect(c.FD, sa); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if _, err := r.acceptAs(l, "server"); err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	return nil
}

// kindOf is e's own transport: its Family, else the run's.
func (r *Run) kindOf(e *Endpoint) scenario.Transport {
	if e != nil && e.Family != "" {
		return e.Family
	}
	return r.t
}

func family(t scenario.Transport) (domain, typ int) {
	switch t {
	case scenario.TCP4:
		return unix.AF_INET, unix.SOCK_STREAM
	case scenario.TCP6:
		return unix.AF_INET6, unix.SOCK_STREAM
	case scenario.UnixPacket:
		return unix.AF_UNIX, unix.SOCK_SEQPACKET
	}
	return unix.AF_UNIX, unix.SOCK_STREAM
}

// socket makes the actor's socket with the run's limit as its timeouts;
// fam, when set, is the IP family a TCP run's socket has instead of the
// run's own.
func (r *Run) socket(name string, fam scenario.Transport) (*Endpoint, error) {
	if r.t == scenario.Pipe {
		return nil, fmt.Errorf("socket on a pipe: the parser lets it through only on sockets")
	}
	t := r.t
	if fam != "" {
		if !t.IsTCP() || !fam.IsTCP() {
			return nil, fmt.Errorf("socket %s on %s: the parser lets a family through only on TCP", fam, t)
		}
		t = fam
	}
	fd, err := socket(family(t))
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	// A new socket has had no connection that could be in TIME_WAIT.
	e := &Endpoint{Name: name, FD: fd, seen: tcpstate.Close, Family: fam}
	if err := r.prepare(e); err != nil {
		unix.Close(fd)
		return nil, err
	}
	r.add(e)
	return e, nil
}

func (r *Run) pair() error {
	if r.t == scenario.Pipe {
		p, err := pipe()
		if err != nil {
			return fmt.Errorf("pipe: %w", err)
		}
		r.add(&Endpoint{Name: "client", FD: p[1], Pipe: true, WriteOnly: true})
		r.add(&Endpoint{Name: "server", FD: p[0], Pipe: true})
		return nil
	}
	fds, err := socketpair()
	if err != nil {
		return fmt.Errorf("socketpair: %w", err)
	}
	c, s := &Endpoint{Name: "client", FD: fds[0]}, &Endpoint{Name: "server", FD: fds[1]}
	r.add(c)
	r.add(s)
	for _, e := range []*Endpoint{c, s} {
		if err := r.prepare(e); err != nil {
			return err
		}
	}
	return nil
}

// prepare gives a new socket the timeouts the kernel should hold for it.
func (r *Run) prepare(e *Endpoint) error {
	for _, opt := range []int{unix.SO_RCVTIMEO, unix.SO_SNDTIMEO} {
		if err := r.apply(e, opt); err != nil {
			return fmt.Errorf("set the block limit on %s: %w", e.Name, err)
		}
	}
	return nil
}

// labLimited reports whether a blocking call on e governed by opt ends at
// the run's limit rather than at the socket's own timeout.
func (r *Run) labLimited(e *Endpoint, opt int) bool { return e.Timeouts.LabLimited(opt, r.limit) }

// apply gives the kernel the timeout it should hold on e for opt.
func (r *Run) apply(e *Endpoint, opt int) error { return e.Timeouts.Apply(e.FD, opt, r.limit) }

// setTimeout sets the socket's own SO_RCVTIMEO or SO_SNDTIMEO as a program
// would (block.Timeouts.Set).
func (r *Run) setTimeout(e *Endpoint, opt int, d time.Duration) error {
	return e.Timeouts.Set(e.FD, opt, d, r.limit)
}

// bindAddr is the address bind gives e: loopback with port 0, so that the
// kernel picks an ephemeral one, or a path in the run's directory.
func (r *Run) bindAddr(e *Endpoint) unix.Sockaddr {
	switch r.kindOf(e) {
	case scenario.TCP4:
		return &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	case scenario.TCP6:
		return &unix.SockaddrInet6{Addr: netip.IPv6Loopback().As16()}
	}
	return &unix.SockaddrUnix{Name: filepath.Join(r.dir, e.Name+".sock")}
}

func (r *Run) bind(e *Endpoint) error {
	sa := r.bindAddr(e)
	if u, ok := sa.(*unix.SockaddrUnix); ok {
		// A path left by an earlier bind of the same actor would give
		// EADDRINUSE for a reason the scenario did not write.
		os.Remove(u.Name)
	}
	return r.bindTo(e, sa)
}

func (r *Run) bindTo(e *Endpoint, sa unix.Sockaddr) error {
	if err := unix.Bind(e.FD, sa); err != nil {
		return err
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok {
		e.Path = u.Name
	}
	e.Local = sock.NameOf(e.FD, unix.Getsockname)
	return nil
}

// peerAddr is the address a connect (or bind) by from to e uses, in
// from's family (as the Linux runner's sock.Net.PeerAddr): an IPv4
// address IPv4-mapped for an IPv6 socket, a wildcard the loopback address
// of the family that reaches it, an IPv6 address left to the kernel to
// refuse an IPv4 socket. A unix socket never bound gets the path a bind
// would give it, where nothing listens, so that the kernel answers the
// connect.
func (r *Run) peerAddr(e, from *Endpoint) (unix.Sockaddr, error) {
	switch k := r.kindOf(from); k {
	case scenario.TCP4, scenario.TCP6:
		if !e.Local.IsValid() {
			return nil, fmt.Errorf("%s has no address: bind it first", e.Name)
		}
		a := e.Local.Addr()
		if a.IsUnspecified() {
			a = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			if e.Local.Addr().Is6() && k == scenario.TCP6 {
				a = netip.IPv6Loopback()
			}
		}
		if k == scenario.TCP4 && a.Is4() {
			return &unix.SockaddrInet4{Addr: a.As4(), Port: int(e.Local.Port())}, nil
		}
		return &unix.SockaddrInet6{Addr: a.As16(), Port: int(e.Local.Port())}, nil
	}
	if e.Path == "" {
		return r.bindAddr(e), nil
	}
	return &unix.SockaddrUnix{Name: e.Path}, nil
}

func (r *Run) acceptAs(l *Endpoint, as string) (*Endpoint, error) {
	fd, err := accept(l.FD)
	if err != nil {
		return nil, err
	}
	// The accepted socket inherits the listener's own timeouts, as the
	// kernel copies them.
	// An accepted connection has sent no FIN yet: it cannot be in
	// TIME_WAIT before it has been seen otherwise.
	e := &Endpoint{Name: as, FD: fd, Timeouts: l.Timeouts, seen: tcpstate.Established, Family: l.Family}
	r.add(e)
	if err := r.prepare(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Addr is what the run knows of one actor's TCP addresses: its own (the
// zero AddrPort while the kernel has given it none) and its peer's.
type Addr struct {
	Actor       string
	Local, Peer netip.AddrPort
	Open        bool
}

// Addrs returns the TCP addresses of every socket the run has made, open
// or closed, in the order it made them, refreshed from the kernel for the
// open ones; nil on other transports. They tell the run's packets from
// others on a shared loopback.
func (r *Run) Addrs() []Addr {
	if r.t != scenario.TCP4 && r.t != scenario.TCP6 {
		return nil
	}
	var out []Addr
	for _, e := range r.all {
		if e.FD >= 0 {
			// A socket the kernel has reset or not yet bound reports the
			// unspecified address or port 0: not an address of its own.
			if s := sock.NameOf(e.FD, unix.Getsockname); s.Port() != 0 && !s.Addr().IsUnspecified() {
				e.Sock = s
			}
			if p := sock.NameOf(e.FD, unix.Getpeername); p.IsValid() {
				e.Peer = p
			}
		}
		local := e.Sock
		if !local.IsValid() {
			local = e.Local
		}
		out = append(out, Addr{Actor: e.Name, Local: local, Peer: e.Peer, Open: e.FD >= 0})
	}
	return out
}

// State is the TCP state of one actor's socket, read through its own
// descriptor.
type State struct {
	Actor string
	State tcpstate.State
	// Unsure says why the state read may not be the connection's, "" when
	// it is.
	Unsure string
}

// Unread is what FIONREAD said of one actor's descriptor.
type Unread struct {
	Actor string
	Bytes int
}

// States reads the TCP state of every open TCP socket of the run through
// its own descriptor; nil on other transports. Sockets whose descriptor is
// closed are not in it: nothing portable names them any more.
//
// Where the system leaves a descriptor's socket CLOSE while its connection
// goes on in TIME_WAIT (closeUnsure), a CLOSE is marked unsure when the
// connection may have reached TIME_WAIT: when the state read before it was
// one TIME_WAIT follows (FIN_WAIT1, FIN_WAIT2, CLOSING) or none was read.
// A connection reset or refused from any other state is plainly CLOSE.
func (r *Run) States() []State {
	if r.t != scenario.TCP4 && r.t != scenario.TCP6 {
		return nil
	}
	out := []State{}
	for _, e := range r.all {
		if e.FD < 0 {
			continue
		}
		s, err := tcpState(e.FD)
		if err != nil {
			continue
		}
		if s == tcpstate.Close && e.seen != tcpstate.Close {
			e.closeWhy = ""
			switch e.seen {
			case 0, tcpstate.FinWait1, tcpstate.FinWait2, tcpstate.Closing, tcpstate.TimeWait:
				e.closeWhy = closeUnsure
			}
		}
		e.seen = s
		st := State{Actor: e.Name, State: s}
		if s == tcpstate.Close {
			st.Unsure = e.closeWhy
		}
		out = append(out, st)
	}
	return out
}

// Unreads asks each open descriptor that can be read how many bytes a read
// would return now.
func (r *Run) Unreads() []Unread {
	var out []Unread
	for _, e := range r.all {
		if e.FD < 0 || e.WriteOnly {
			continue
		}
		n, err := unix.IoctlGetInt(e.FD, fionread)
		if err != nil {
			continue
		}
		out = append(out, Unread{Actor: e.Name, Bytes: n})
	}
	return out
}

// Kernel is the running kernel's release, as uname(2) gives it.
func Kernel() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	b := u.Release[:]
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	return string(b)
}
