// Package sock makes the endpoints of a lab run with raw system calls, one
// kind per transport, so that every errno the lab reports is the kernel's
// own.
package sock

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab/internal/block"
)

// Endpoint is one socket (or pipe end) of a run, named by the actor that
// owns it.
type Endpoint struct {
	Name string
	// Host is the host the socket lives on, in a network of hosts.
	Host string
	// FD is -1 once the scenario has closed it, so that a later operation
	// gets EBADF from the kernel instead of reaching a reused descriptor.
	FD     int
	Closed bool
	// Inode is the inode number of the descriptor's file, by which the
	// kernel's socket dumps name an open socket.
	Inode uint64
	// Cookie is the socket's cookie (SO_COOKIE), by which the kernel's
	// tracepoints name it from its creation on, before it has an address,
	// and after it has lost it; 0 for a pipe end. Unlike a descriptor or
	// an inode number it is never reused, and a TIME_WAIT entry keeps it.
	Cookie uint64
	// Local and Remote are the TCP addresses, known after bind, connect or
	// accept; they stay after close so that orphans can be followed.
	Local, Remote netip.AddrPort
	// Path is the bound path of a unix socket, or its abstract name with a
	// leading '@'.
	Path string
	// Bound: the lab bound the socket to an address of its choosing (a
	// port of its sequence, when isolated), rather than the kernel picking
	// an ephemeral one.
	Bound bool
	// PortKept: the kernel keeps the socket's port (in its bind table)
	// when the socket's connection ends while it is open, because the
	// socket was bound explicitly or accepted from a listener that was.
	// A socket whose port the kernel chose gives it back then.
	PortKept bool
	// Pipe: a pipe end. Pipe descriptors are always O_NONBLOCK underneath;
	// Nonblock is what the scenario asked for and blocking is emulated with
	// poll.
	Pipe     bool
	Nonblock bool
	// WriteOnly: the write end of a pipe, which has nothing to read.
	WriteOnly bool
	// Family is the TCP socket's own family where the scenario asked for
	// the other one than the run's ("socket tcp4" on a tcp6 run): TCP4 or
	// TCP6; 0 for the run's. An accepted socket has its listener's.
	Family Kind
	// Timeouts are the SO_RCVTIMEO and SO_SNDTIMEO the scenario set; the
	// kernel holds the lab's limit in their place when they are none or
	// longer (see Net.SetTimeout).
	block.Timeouts
}

// Net says where endpoints get their addresses.
type Net struct {
	Kind Kind
	// Dir holds unix socket paths.
	Dir string
	// Isolated: the run has a namespace of its own, so ports are chosen
	// from a process-wide sequence (unique across parallel runs, which lets
	// tracepoint events be attributed by port). Otherwise the kernel picks
	// ephemeral ports.
	Isolated bool
	// Limit is set as SO_RCVTIMEO and SO_SNDTIMEO on every socket whose
	// own timeout is none or longer, so that a blocking call that never
	// completes returns after it — and so that a signal ends a blocking
	// call instead of restarting it (signal(7)), which is how the lab's
	// watchdog and "interrupt" reach a call.
	Limit time.Duration
	// HostAddr gives a host's address in a network of hosts; nil means
	// loopback.
	HostAddr func(host string, v6 bool) netip.Addr
}

var nextPort atomic.Uint32

// port returns the next port of the lab's sequence, 20000-29999, below the
// kernel's ephemeral range so that a client's port never equals a server's.
func port() int {
	return 20000 + int(nextPort.Add(1)%10000)
}

// ErrNotSocket is returned by operations a transport has no socket for.
var ErrNotSocket = errors.New("this transport has no sockets")

// kindOf is e's own kind: its Family, else the run's.
func (n *Net) kindOf(e *Endpoint) Kind {
	if e != nil && e.Family != 0 {
		return e.Family
	}
	return n.Kind
}

func family(k Kind) (domain, typ int, err error) {
	switch k {
	case TCP4:
		return unix.AF_INET, unix.SOCK_STREAM, nil
	case TCP6:
		return unix.AF_INET6, unix.SOCK_STREAM, nil
	case Unix, Socketpair:
		return unix.AF_UNIX, unix.SOCK_STREAM, nil
	case UnixPacket:
		return unix.AF_UNIX, unix.SOCK_SEQPACKET, nil
	}
	return 0, 0, fmt.Errorf("socket on %s: %w", k, ErrNotSocket)
}

// Socket creates an unbound socket of the transport's family and type, in
// the calling thread's namespace, which is the host's when there are hosts.
// A TCP run may ask for the other IP family (fam TCP4 or TCP6; 0 for the
// run's own), as a program talking IPv4 to a dual-stack listener does.
func (n *Net) Socket(name, host string, fam Kind) (*Endpoint, error) {
	k := n.Kind
	if fam != 0 {
		if !k.IsTCP() || !fam.IsTCP() {
			return nil, fmt.Errorf("socket %s on %s: the parser lets a family through only on TCP", fam, k)
		}
		k = fam
	}
	domain, typ, err := family(k)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	e := &Endpoint{Name: name, FD: fd, Host: host, Inode: inode(fd), Cookie: cookie(fd), Family: fam}
	if err := n.prepare(e); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return e, nil
}

// prepare gives a new socket the timeouts the kernel should hold for it.
func (n *Net) prepare(e *Endpoint) error {
	for _, opt := range []int{unix.SO_RCVTIMEO, unix.SO_SNDTIMEO} {
		if err := e.Timeouts.Apply(e.FD, opt, n.Limit); err != nil {
			return fmt.Errorf("set the block limit on %s: %w", e.Name, err)
		}
	}
	return nil
}

// SetTimeout sets the socket's own SO_RCVTIMEO or SO_SNDTIMEO (opt) to d,
// as a program would, and returns the kernel's error; the kernel holds the
// lab's limit in its place when it is none or longer (block.Timeouts.Set).
func (n *Net) SetTimeout(e *Endpoint, opt int, d time.Duration) error {
	return e.Timeouts.Set(e.FD, opt, d, n.Limit)
}

// LabLimited reports whether a blocking call governed by opt (SO_RCVTIMEO
// for reads and accept, SO_SNDTIMEO for writes and connect) ends at the
// lab's limit rather than at the socket's own timeout: an EAGAIN or a
// partial write from it is then the lab's doing, not the kernel's answer
// to the program.
func (n *Net) LabLimited(e *Endpoint, opt int) bool {
	return e.Timeouts.LabLimited(opt, n.Limit)
}

// BindAddr returns the address bind gives e: a loopback address with a
// port of the lab's, or a path in the run's directory.
func (n *Net) BindAddr(e *Endpoint) (unix.Sockaddr, error) {
	switch n.kindOf(e) {
	case TCP4, TCP6:
		p := 0
		if n.Isolated {
			p = port()
		}
		v6 := n.kindOf(e) == TCP6
		a := n.hostAddr(e.Host, v6)
		if v6 {
			return &unix.SockaddrInet6{Addr: a.As16(), Port: p}, nil
		}
		return &unix.SockaddrInet4{Addr: a.As4(), Port: p}, nil
	case Unix, UnixPacket, Socketpair:
		return &unix.SockaddrUnix{Name: filepath.Join(n.Dir, e.Name+".sock")}, nil
	}
	return nil, fmt.Errorf("bind on %s: %w", n.Kind, ErrNotSocket)
}

// Bind binds e to the address BindAddr gives it.
func (n *Net) Bind(e *Endpoint) error {
	sa, err := n.BindAddr(e)
	if err != nil {
		return err
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok {
		// A path left by an earlier bind of the same actor would give
		// EADDRINUSE for a reason the scenario did not write.
		os.Remove(u.Name)
	}
	if err := unix.Bind(e.FD, sa); err != nil {
		return err
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok {
		e.Path = u.Name
	}
	e.Local = Name(e.FD, unix.Getsockname)
	e.Bound, e.PortKept = true, true
	return nil
}

// BindLike binds e to the address t is bound to (or would be, for a unix
// socket never bound), as a program binding an address in use would, and
// returns the kernel's error.
func (n *Net) BindLike(e, t *Endpoint) error {
	sa, err := n.PeerAddr(t, e)
	if err != nil {
		return err
	}
	return n.BindTo(e, sa)
}

// BindTo binds e to sa, an address the scenario wrote, and returns the
// kernel's error: whatever the family of sa and of the socket, the kernel
// judges the pair.
func (n *Net) BindTo(e *Endpoint, sa unix.Sockaddr) error {
	if err := unix.Bind(e.FD, sa); err != nil {
		return err
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok {
		// An abstract name ("@name") too, so that connect finds it.
		e.Path = u.Name
	}
	e.Local = BoundName(e.FD)
	e.Bound, e.PortKept = true, true
	return nil
}

// UnixAddr is the address of a unix socket path relative to the run's
// directory.
func (n *Net) UnixAddr(rel string) unix.Sockaddr {
	return &unix.SockaddrUnix{Name: filepath.Join(n.Dir, rel)}
}

// PeerAddr is the address a connect (or bind) by from to e uses, in
// from's family: an IPv4 address is IPv4-mapped for an IPv6 socket; an
// IPv6 socket bound to every address ([::]) is reached by an IPv4 socket at
// its host's IPv4 address, as a program would name it; an IPv6 address
// stays IPv6 for an IPv4 socket, and the kernel answers (EAFNOSUPPORT).
func (n *Net) PeerAddr(e, from *Endpoint) (unix.Sockaddr, error) {
	switch k := n.kindOf(from); k {
	case TCP4, TCP6:
		if !e.Local.IsValid() {
			return nil, fmt.Errorf("%s has no address: bind it first", e.Name)
		}
		a := e.Local.Addr()
		if a.IsUnspecified() {
			// Bound to every address of its host: reached at the one a
			// program would name, the one the lab binds to there.
			a = n.hostAddr(e.Host, a.Is6() && k == TCP6)
		}
		if k == TCP4 && a.Is4() {
			return &unix.SockaddrInet4{Addr: a.As4(), Port: int(e.Local.Port())}, nil
		}
		return &unix.SockaddrInet6{Addr: a.As16(), Port: int(e.Local.Port())}, nil
	case Unix, UnixPacket, Socketpair:
		if e.Path == "" {
			// Never bound: the path a bind would give it, where nothing
			// listens, so that the connect is made and the kernel answers
			// (ENOENT), as it would a program connecting to a path nobody
			// bound.
			return n.BindAddr(e)
		}
		return &unix.SockaddrUnix{Name: e.Path}, nil
	}
	return nil, fmt.Errorf("connect on %s: %w", n.Kind, ErrNotSocket)
}

// hostAddr is host's address of the family (IPv6 when v6): its own in a
// network of hosts, loopback without hosts.
func (n *Net) hostAddr(host string, v6 bool) netip.Addr {
	if n.HostAddr != nil && host != "" {
		if a := n.HostAddr(host, v6); a.IsValid() {
			return a
		}
	}
	if v6 {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// Accept accepts a connection on l; the new endpoint is called name.
func (n *Net) Accept(l *Endpoint, name string) (*Endpoint, error) {
	fd, peer, err := unix.Accept4(l.FD, unix.SOCK_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// The accepted socket inherits the listener's timeouts, as the
	// kernel copies them: the listener's own, not the lab's limit; and
	// its port lock.
	e := &Endpoint{Name: name, FD: fd, Host: l.Host, Inode: inode(fd), Cookie: cookie(fd), Timeouts: l.Timeouts, PortKept: l.PortKept, Family: l.Family}
	if err := n.prepare(e); err != nil {
		unix.Close(fd)
		return nil, err
	}
	e.Local = Name(fd, unix.Getsockname)
	// accept4 gives the peer's address even for a connection already
	// reset, when getpeername fails with ENOTCONN.
	e.Remote = Name(fd, func(int) (unix.Sockaddr, error) { return peer, nil })
	if !e.Local.IsValid() {
		e.Local = l.Local
	}
	return e, nil
}

// Pair makes the two endpoints of a socketpair or a pipe: the client and
// the server (for a pipe, the write end and the read end).
func (n *Net) Pair() (client, server *Endpoint, err error) {
	switch n.Kind {
	case Socketpair:
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("socketpair: %w", err)
		}
		client = &Endpoint{Name: "client", FD: fds[0], Inode: inode(fds[0]), Cookie: cookie(fds[0])}
		server = &Endpoint{Name: "server", FD: fds[1], Inode: inode(fds[1]), Cookie: cookie(fds[1])}
		for _, e := range []*Endpoint{client, server} {
			if err := n.prepare(e); err != nil {
				unix.Close(fds[0])
				unix.Close(fds[1])
				return nil, nil, err
			}
		}
		return client, server, nil
	case Pipe:
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
			return nil, nil, fmt.Errorf("pipe: %w", err)
		}
		return &Endpoint{Name: "client", FD: p[1], Pipe: true, WriteOnly: true, Inode: inode(p[1])},
			&Endpoint{Name: "server", FD: p[0], Pipe: true, Inode: inode(p[0])}, nil
	}
	return nil, nil, fmt.Errorf("no pair for %s", n.Kind)
}

// Name returns a socket's TCP address through getsockname or getpeername,
// or the zero AddrPort for other families, for a socket with no port or
// no address, and on error.
func Name(fd int, get func(int) (unix.Sockaddr, error)) netip.AddrPort {
	ap := NameOf(fd, get)
	// A connect that failed leaves the port and no address; the lab learns
	// the address the socket used from its packets instead.
	if ap.Port() == 0 || ap.Addr().IsUnspecified() {
		return netip.AddrPort{}
	}
	return ap
}

// BoundName is fd's local address as a bound or listening socket has it:
// the wildcard address (0.0.0.0 or ::) with its port is kept, since such a
// socket is known by it (a bind to "0.0.0.0:8080", a listen that chose a
// port itself); it is invalid only without a port.
func BoundName(fd int) netip.AddrPort {
	ap := NameOf(fd, unix.Getsockname)
	if ap.Port() == 0 {
		return netip.AddrPort{}
	}
	return ap
}

// inode returns the inode number of fd's file, 0 if fstat fails.
func inode(fd int) uint64 {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0
	}
	return uint64(st.Ino)
}

// cookie returns the socket's cookie, 0 for what is not a socket.
func cookie(fd int) uint64 {
	c, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_COOKIE)
	if err != nil {
		return 0
	}
	return c
}
