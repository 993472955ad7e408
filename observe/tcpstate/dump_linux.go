package tcpstate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
)

// Sizes and attribute numbers of linux/inet_diag.h; x/sys/unix has the
// constants for netlink but not these structures.
const (
	sizeofReqV2   = 56 // struct inet_diag_req_v2
	sizeofDiagMsg = 72 // struct inet_diag_msg
	attrInfo      = 2  // INET_DIAG_INFO: struct tcp_info
	// Offsets in struct tcp_info.
	infoBackoff = 4
	infoUnacked = 24
	infoRetrans = 36
	// boundInactive is TCP_BOUND_INACTIVE, the bit of idiag_states that
	// asks for the sockets only bound (Linux 6.6); they are reported in
	// state CLOSE.
	boundInactive = 13
)

// Dumper lists the TCP sockets of the network namespace it was opened in.
// It keeps one netlink socket and one buffer, so a dump costs two netlink
// round trips and no allocation beyond the result. It is safe for
// concurrent use; dumps are serialised.
type Dumper struct {
	mu  sync.Mutex
	fd  int
	seq uint32
	buf []byte
	req [unix.SizeofNlMsghdr + sizeofReqV2]byte
}

// Open opens a sock_diag netlink socket in the calling thread's network
// namespace. A caller that entered a namespace on a locked OS thread gets
// that namespace's sockets from every later Dump, whichever thread calls it.
func Open() (*Dumper, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("open sock_diag: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("open sock_diag: bind: %w", err)
	}
	// The kernel fills dump messages up to the reader's buffer size, at
	// most 32 KiB plus headers per message (netlink_dump).
	return &Dumper{fd: fd, buf: make([]byte, 64<<10)}, nil
}

// Dump returns every TCP socket of the namespace, IPv4 then IPv6, in every
// state: DumpTables(All).
func (d *Dumper) Dump() ([]Socket, error) { return d.DumpTables(All) }

// DumpTables returns the TCP sockets of the namespace that the kernel finds
// in the tables t, IPv4 then IPv6. A socket whose connection is being set
// up by a listener (a request socket) is reported as SYN_RECV, as the
// kernel shows it.
//
// The kernel walks each table whole, once per family, so a dump costs
// about as much with ten sockets as with none, and that cost grows with
// the tables. The established-socket table is the host's in a namespace
// that shares it (the default): hundreds of microseconds on a large host.
// A namespace created while net.ipv4.tcp_child_ehash_entries is set (in
// the namespace that creates it) gets a private table of that size, and
// cheaper dumps. The bind table that BoundOnly walks is always the host's,
// and walking it costs most of a millisecond even then; BenchmarkDump
// shows each.
func (d *Dumper) DumpTables(t Tables) ([]Socket, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fd < 0 {
		return nil, fmt.Errorf("dump TCP sockets: %w", errClosed)
	}
	var states uint32
	if t&Connected != 0 {
		states |= ^uint32(0) &^ (1 << boundInactive) &^ (1 << Listen)
	}
	if t&Listening != 0 {
		states |= 1 << Listen
	}
	if t&BoundOnly != 0 {
		states |= 1 << boundInactive
	}
	var socks []Socket
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		var err error
		socks, err = d.dump(socks, family, states)
		if err != nil {
			return nil, fmt.Errorf("dump TCP sockets (family %d): %w", family, err)
		}
	}
	return socks, nil
}

var errClosed = errors.New("dumper is closed")

// noCookie is INET_DIAG_NOCOOKIE: a lookup that names no socket's cookie.
const noCookie = ^uint32(0)

// Listener returns the listening socket at local, found by the kernel's
// own lookup of the address (the one an arriving SYN gets), without the
// walk of the host-wide listening table a dump makes. A cookie other than
// 0 must be the socket's: where the lookup finds another socket (several
// listening on one port with SO_REUSEPORT) it reports none, as it does
// when nothing listens at local.
func (d *Dumper) Listener(local netip.AddrPort, cookie uint64) (Socket, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fd < 0 {
		return Socket{}, false, fmt.Errorf("look up a listener: %w", errClosed)
	}
	family := uint8(unix.AF_INET6)
	if local.Addr().Is4() {
		family = unix.AF_INET
	}
	q := d.request(0, family)
	ne := binary.NativeEndian
	a16 := local.Addr().As16()
	if family == unix.AF_INET {
		copy(q[12:], a16[12:]) // id.idiag_src
	} else {
		copy(q[12:], a16[:])
	}
	binary.BigEndian.PutUint16(q[8:], local.Port()) // id.idiag_sport
	lo, hi := noCookie, noCookie
	if cookie != 0 {
		lo, hi = uint32(cookie), uint32(cookie>>32)
	}
	ne.PutUint32(q[48:], lo) // id.idiag_cookie
	ne.PutUint32(q[52:], hi)
	if err := d.send(); err != nil {
		return Socket{}, false, fmt.Errorf("look up a listener at %s: %w", local, err)
	}
	socks, err := d.receive(nil, true)
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESTALE):
		return Socket{}, false, nil
	case err != nil:
		return Socket{}, false, fmt.Errorf("look up a listener at %s: %w", local, err)
	case len(socks) == 0:
		return Socket{}, false, nil
	}
	// The lookup finds a connection only when local is one side of it
	// and the other side's address is all zeros, which no connection has;
	// a listener is all it returns.
	return socks[0], socks[0].State == Listen, nil
}

func (d *Dumper) dump(socks []Socket, family uint8, states uint32) ([]Socket, error) {
	q := d.request(unix.NLM_F_DUMP, family)
	binary.NativeEndian.PutUint32(q[4:], states) // idiag_states
	if err := d.send(); err != nil {
		return socks, err
	}
	return d.receive(socks, false)
}

// request starts the next request in d.req: a netlink header with flags
// besides NLM_F_REQUEST, and an inet_diag_req_v2 for TCP sockets of family
// asking for tcp_info, which it returns for the caller to complete.
func (d *Dumper) request(flags uint16, family uint8) []byte {
	d.seq++
	ne := binary.NativeEndian
	r := d.req[:]
	ne.PutUint32(r[0:], uint32(len(r)))
	ne.PutUint16(r[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(r[6:], unix.NLM_F_REQUEST|flags)
	ne.PutUint32(r[8:], d.seq)
	ne.PutUint32(r[12:], 0)
	q := r[unix.SizeofNlMsghdr:]
	clear(q)
	q[0] = family
	q[1] = unix.IPPROTO_TCP
	q[2] = 1 << (attrInfo - 1) // idiag_ext: ask for tcp_info
	return q
}

func (d *Dumper) send() error {
	if err := unix.Sendto(d.fd, d.req[:], 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	return nil
}

// receive appends the answer to the last request to socks: until the
// dump is done, or with one, until the socket has come.
func (d *Dumper) receive(socks []Socket, one bool) ([]Socket, error) {
	for {
		n, _, err := unix.Recvfrom(d.fd, d.buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return socks, fmt.Errorf("receive: %w", err)
		}
		var done bool
		socks, done, err = parseMessages(socks, d.buf[:n], d.seq)
		if err != nil || done || one && len(socks) > 0 {
			return socks, err
		}
	}
}

// parseMessages appends the sockets in one netlink datagram to socks and
// reports whether the dump is done.
func parseMessages(socks []Socket, b []byte, seq uint32) ([]Socket, bool, error) {
	ne := binary.NativeEndian
	for len(b) >= unix.SizeofNlMsghdr {
		l := int(ne.Uint32(b[0:]))
		typ := ne.Uint16(b[4:])
		if l < unix.SizeofNlMsghdr || l > len(b) {
			return socks, false, fmt.Errorf("netlink message length %d in a %d-byte datagram", l, len(b))
		}
		if ne.Uint32(b[8:]) != seq {
			// A late answer to an earlier request that failed half-way.
			b = b[min(nlmAlign(l), len(b)):]
			continue
		}
		body := b[unix.SizeofNlMsghdr:l]
		switch typ {
		case unix.NLMSG_DONE:
			return socks, true, nil
		case unix.NLMSG_ERROR:
			if len(body) >= 4 {
				if errno := int32(ne.Uint32(body)); errno != 0 {
					return socks, false, unix.Errno(-errno)
				}
			}
			return socks, true, nil
		case unix.SOCK_DIAG_BY_FAMILY:
			s, err := parseSocket(body)
			if err != nil {
				return socks, false, err
			}
			socks = append(socks, s)
		}
		b = b[min(nlmAlign(l), len(b)):]
	}
	return socks, false, nil
}

func nlmAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// parseSocket decodes a struct inet_diag_msg and its attributes.
func parseSocket(b []byte) (Socket, error) {
	if len(b) < sizeofDiagMsg {
		return Socket{}, fmt.Errorf("inet_diag_msg of %d bytes, expected %d", len(b), sizeofDiagMsg)
	}
	ne, be := binary.NativeEndian, binary.BigEndian
	family, id := b[0], b[4:52]
	addr := func(a []byte) netip.Addr {
		if family == unix.AF_INET {
			return netip.AddrFrom4([4]byte(a[:4]))
		}
		return netip.AddrFrom16([16]byte(a[:16])).Unmap()
	}
	s := Socket{
		State:  State(b[1]),
		Timer:  b[2],
		Local:  netip.AddrPortFrom(addr(id[4:20]), be.Uint16(id[0:])),
		Remote: netip.AddrPortFrom(addr(id[20:36]), be.Uint16(id[2:])),
		Cookie: uint64(ne.Uint32(id[40:])) | uint64(ne.Uint32(id[44:]))<<32,
		RecvQ:  ne.Uint32(b[56:]),
		SendQ:  ne.Uint32(b[60:]),
		Inode:  ne.Uint32(b[68:]),
	}
	s.Orphan = s.Inode == 0 && orphanStates&(1<<s.State) != 0
	for a := b[sizeofDiagMsg:]; len(a) >= unix.SizeofRtAttr; {
		l := int(ne.Uint16(a[0:]))
		if l < unix.SizeofRtAttr || l > len(a) {
			return Socket{}, fmt.Errorf("attribute length %d with %d bytes left", l, len(a))
		}
		if ne.Uint16(a[2:]) == attrInfo {
			info := a[unix.SizeofRtAttr:l]
			if len(info) >= infoRetrans+4 {
				s.Info = true
				s.Backoff = uint32(info[infoBackoff])
				s.Unacked = ne.Uint32(info[infoUnacked:])
				s.Retrans = ne.Uint32(info[infoRetrans:])
			}
		}
		a = a[min((l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1), len(a)):]
	}
	return s, nil
}

// Close closes the netlink socket.
func (d *Dumper) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fd < 0 {
		return nil
	}
	err := unix.Close(d.fd)
	d.fd = -1
	if err != nil {
		return fmt.Errorf("close sock_diag: %w", err)
	}
	return nil
}
