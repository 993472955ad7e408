// Package hosts builds the small networks of a lab run — hosts made of
// network namespaces, the links between them, their addresses, routes and
// neighbours — and the faults that break them: a host that drops off the
// network, a router answering with ICMP unreachable, a lost route, a host
// that reboots and forgets its connections.
//
// All of it happens on the calling thread, which the caller has locked and
// never unlocks: namespaces are per thread. A Network keeps a descriptor of
// each host's namespace, so the thread can move between them with Enter.
package hosts

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/netns"
)

// Host is one network namespace of a run.
type Host struct {
	Name string
	// Addr4 and Addr6 are the host's addresses (zero for the router, which
	// has one per link).
	Addr4, Addr6 netip.Addr
	ns           vnetns.NsHandle
	h            *netlink.Handle
	links        []*link
}

// link is one end of a veth pair: an interface of a host, its addresses,
// the routes through it and the neighbour at its other end, kept so that a
// fault can be healed.
type link struct {
	name   string
	addrs  []netip.Prefix
	routes []netlink.Route
	peer   *link
	host   *Host
	mac    net.HardwareAddr
}

// Network is the hosts of one run.
type Network struct {
	Kind  Topology
	hosts map[string]*Host
	order []*Host
	// refusers answer for the hosts that Unreachable cut off; narrowed
	// are the hosts whose router link it gave a small MTU.
	refusers map[string]*refuser
	narrowed map[string]bool
	// dropped are the hosts Drop cut off.
	dropped map[string]bool
}

// The addresses of the hosts, from the ranges reserved for benchmarking
// (198.18.0.0/15) and documentation (2001:db8::/32).
var (
	direct = [2][2]netip.Prefix{
		{netip.MustParsePrefix("198.18.0.1/30"), netip.MustParsePrefix("2001:db8::1/64")},
		{netip.MustParsePrefix("198.18.0.2/30"), netip.MustParsePrefix("2001:db8::2/64")},
	}
	routedClient = [2]netip.Prefix{netip.MustParsePrefix("198.18.1.1/24"), netip.MustParsePrefix("2001:db8:1::1/64")}
	routedLeft   = [2]netip.Prefix{netip.MustParsePrefix("198.18.1.254/24"), netip.MustParsePrefix("2001:db8:1::fe/64")}
	routedRight  = [2]netip.Prefix{netip.MustParsePrefix("198.18.2.254/24"), netip.MustParsePrefix("2001:db8:2::fe/64")}
	routedServer = [2]netip.Prefix{netip.MustParsePrefix("198.18.2.1/24"), netip.MustParsePrefix("2001:db8:2::1/64")}
)

// hostSysctls skip duplicate address detection, which would leave every
// new address unusable for a second or more.
var hostSysctls = [][2]string{
	{"/proc/sys/net/ipv6/conf/all/accept_dad", "0"},
	{"/proc/sys/net/ipv6/conf/default/accept_dad", "0"},
}

// routerSysctls make the router forward and send every ICMP error it has
// to: the kernel's rate limit would swallow the first error a scenario
// provokes. They are the router namespace's own.
var routerSysctls = [][2]string{
	{"/proc/sys/net/ipv4/ip_forward", "1"},
	{"/proc/sys/net/ipv6/conf/all/forwarding", "1"},
	{"/proc/sys/net/ipv4/icmp_ratemask", "0"},
	{"/proc/sys/net/ipv6/icmp/ratelimit", "0"},
}

// neighSysctls make the router give up resolving a neighbour after one
// probe and 10ms, instead of three probes a second apart, on each of its
// links ("%s" is the family, then the link).
var neighSysctls = [][2]string{
	{"/proc/sys/net/%s/neigh/%s/mcast_solicit", "1"},
	{"/proc/sys/net/%s/neigh/%s/retrans_time_ms", "10"},
}

// Build makes the hosts of a direct or routed network, each in a namespace
// with a private TCP hash table of ehash buckets. The calling thread must be
// locked; it is left in the namespace of the last host made. On error,
// whatever was made is released.
func Build(kind Topology, ehash int) (_ *Network, err error) {
	n := &Network{Kind: kind, hosts: map[string]*Host{}, refusers: map[string]*refuser{}, narrowed: map[string]bool{}, dropped: map[string]bool{}}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	for _, name := range kind.Hosts() {
		if err := netns.Enter(ehash); err != nil {
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
		h := &Host{Name: name}
		if h.ns, err = vnetns.Get(); err != nil {
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
		if h.h, err = netlink.NewHandleAt(h.ns); err != nil {
			h.ns.Close()
			return nil, fmt.Errorf("host %s: netlink: %w", name, err)
		}
		for _, s := range hostSysctls {
			if err := os.WriteFile(s[0], []byte(s[1]), 0); err != nil {
				return nil, fmt.Errorf("host %s: %s: %w", name, s[0], err)
			}
		}
		if name == "router" {
			for _, s := range routerSysctls {
				if err := os.WriteFile(s[0], []byte(s[1]), 0); err != nil {
					return nil, fmt.Errorf("router: %s: %w", s[0], err)
				}
			}
		}
		n.hosts[name] = h
		n.order = append(n.order, h)
	}
	switch kind {
	case Direct:
		c, s := n.hosts["client"], n.hosts["server"]
		if _, _, err := n.connect(c, "eth0", direct[0][:], s, "eth0", direct[1][:]); err != nil {
			return nil, err
		}
		c.Addr4, c.Addr6 = direct[0][0].Addr(), direct[0][1].Addr()
		s.Addr4, s.Addr6 = direct[1][0].Addr(), direct[1][1].Addr()
	case Routed:
		c, r, s := n.hosts["client"], n.hosts["router"], n.hosts["server"]
		cl, _, err := n.connect(c, "eth0", routedClient[:], r, "eth0", routedLeft[:])
		if err != nil {
			return nil, err
		}
		sl, _, err := n.connect(s, "eth0", routedServer[:], r, "eth1", routedRight[:])
		if err != nil {
			return nil, err
		}
		if err := n.gateway(cl, routedLeft); err != nil {
			return nil, err
		}
		if err := n.gateway(sl, routedRight); err != nil {
			return nil, err
		}
		if err := n.Enter("router"); err != nil {
			return nil, err
		}
		for _, l := range r.links {
			for _, fam := range []string{"ipv4", "ipv6"} {
				for _, s := range neighSysctls {
					f := fmt.Sprintf(s[0], fam, l.name)
					if err := os.WriteFile(f, []byte(s[1]), 0); err != nil {
						return nil, fmt.Errorf("router: %s: %w", f, err)
					}
				}
			}
		}
		c.Addr4, c.Addr6 = routedClient[0].Addr(), routedClient[1].Addr()
		s.Addr4, s.Addr6 = routedServer[0].Addr(), routedServer[1].Addr()
	default:
		return nil, fmt.Errorf("no hosts to build for net %q", kind)
	}
	if err := n.ready(); err != nil {
		return nil, err
	}
	return n, nil
}

// RTOMin is the lower bound of the retransmission timeout on every route
// between the hosts (the route metric rto_min, locked: tcp_rto_min heeds
// the metric only then; the kernel's default, TCP_RTO_MIN, is 200ms). A link between namespaces answers within
// microseconds, so 200ms is only waiting: a lost segment is retransmitted
// after RTOMin, and a TCP_USER_TIMEOUT of a few hundred milliseconds sees
// several retransmissions instead of one. It stays well above the delays a
// loaded machine adds, so that no retransmission is spurious.
const RTOMin = 25 * time.Millisecond

// ProbePort is the port of the connections that show the network ready.
// The lab leaves their packets and events out of its records.
const ProbePort = 9

// ready waits until a TCP connection from the client host to the server
// host gets through over IPv4 and over IPv6. Links, queues and addresses
// can all look ready a moment before IPv6 delivers; a connection is the
// observation that counts. The probes close with an RST, so they leave no
// TIME_WAIT behind.
func (n *Network) ready() error {
	c, s := n.hosts["client"], n.hosts["server"]
	deadline := time.Now().Add(upWithin)
	for _, a := range []netip.Addr{s.Addr4, s.Addr6} {
		if err := n.Enter("server"); err != nil {
			return err
		}
		l, err := probeSocket(a)
		if err != nil {
			return err
		}
		err = unix.Bind(l, sockaddr(a, ProbePort))
		if err == nil {
			err = unix.Listen(l, 4)
		}
		if err != nil {
			unix.Close(l)
			return fmt.Errorf("probe listener on %s: %w", a, err)
		}
		err = n.probe(c, a, deadline)
		unix.Close(l)
		if err != nil {
			return err
		}
	}
	return nil
}

func (n *Network) probe(from *Host, to netip.Addr, deadline time.Time) error {
	if err := n.Enter(from.Name); err != nil {
		return err
	}
	for {
		fd, err := probeSocket(to)
		if err != nil {
			return err
		}
		tv := unix.NsecToTimeval(int64(20 * time.Millisecond))
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
		err = unix.Connect(fd, sockaddr(to, ProbePort))
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1})
		unix.Close(fd)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s cannot reach %s within %v: %w", from.Name, to, upWithin, err)
		}
	}
}

func probeSocket(a netip.Addr) (int, error) {
	domain := unix.AF_INET
	if a.Is6() {
		domain = unix.AF_INET6
	}
	fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("probe socket: %w", err)
	}
	return fd, nil
}

func sockaddr(a netip.Addr, port int) unix.Sockaddr {
	if a.Is4() {
		return &unix.SockaddrInet4{Addr: a.As4(), Port: port}
	}
	return &unix.SockaddrInet6{Addr: a.As16(), Port: port}
}

// connect joins two hosts with a veth pair, gives each end its addresses,
// and makes each end's neighbour entry for the other permanent, so that no
// address resolution can fail and turn silence into EHOSTUNREACH.
func (n *Network) connect(a *Host, aName string, aAddrs []netip.Prefix, b *Host, bName string, bAddrs []netip.Prefix) (*link, *link, error) {
	la := &link{name: aName, addrs: aAddrs, host: a}
	lb := &link{name: bName, addrs: bAddrs, host: b, peer: la}
	la.peer = lb
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: aName}, PeerName: bName, PeerNamespace: netlink.NsFd(int(b.ns))}
	if err := a.h.LinkAdd(veth); err != nil {
		return nil, nil, fmt.Errorf("link %s:%s-%s:%s: %w", a.Name, aName, b.Name, bName, err)
	}
	for _, l := range []*link{la, lb} {
		nl, err := l.host.h.LinkByName(l.name)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", l.host.Name, l.name, err)
		}
		l.mac = nl.Attrs().HardwareAddr
		for _, p := range l.addrs {
			addr := &netlink.Addr{IPNet: ipnet(p)}
			if p.Addr().Is6() {
				// Duplicate address detection would keep the address
				// unusable for a second or more.
				addr.Flags = unix.IFA_F_NODAD
			}
			if err := l.host.h.AddrAdd(nl, addr); err != nil {
				return nil, nil, fmt.Errorf("%s: address %s on %s: %w", l.host.Name, p, l.name, err)
			}
		}
		l.host.links = append(l.host.links, l)
	}
	for _, l := range []*link{la, lb} {
		if err := l.up(); err != nil {
			return nil, nil, err
		}
	}
	for _, l := range []*link{la, lb} {
		if err := l.waitUp(); err != nil {
			return nil, nil, err
		}
	}
	return la, lb, nil
}

// upWithin bounds the wait for a link to become operational.
const upWithin = 2 * time.Second

// waitUp waits until the kernel reports the link operational, with a
// working queue and usable addresses. Setting a link up returns before the
// kernel's link watcher and address configuration have done that; until
// then what is sent on it is dropped.
func (l *link) waitUp() error {
	deadline := time.Now().Add(upWithin)
	for pause := 50 * time.Microsecond; ; pause = min(2*pause, 5*time.Millisecond) {
		nl, err := l.host.h.LinkByName(l.name)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", l.host.Name, l.name, err)
		}
		if nl.Attrs().OperState == netlink.OperUp && l.activated(nl) && l.settledAddrs(nl) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %s is still %s after %v", l.host.Name, l.name, nl.Attrs().OperState, upWithin)
		}
		time.Sleep(pause)
	}
}

// gateway routes everything from l's host through the router's address gw.
func (n *Network) gateway(l *link, gw [2]netip.Prefix) error {
	nl, err := l.host.h.LinkByName(l.name)
	if err != nil {
		return err
	}
	for _, p := range gw {
		dst := netip.MustParsePrefix("0.0.0.0/0")
		if p.Addr().Is6() {
			dst = netip.MustParsePrefix("::/0")
		}
		r := netlink.Route{LinkIndex: nl.Attrs().Index, Dst: ipnet(dst), Gw: net.IP(p.Addr().AsSlice()), RtoMin: int(RTOMin.Milliseconds()), RtoMinLock: true}
		if err := l.host.h.RouteAdd(&r); err != nil {
			return fmt.Errorf("%s: route to %s via %s: %w", l.host.Name, dst, p.Addr(), err)
		}
		l.routes = append(l.routes, r)
	}
	return nil
}

// up brings the link up and (again) makes its neighbour entry for the
// other end permanent: taking a link down flushes even permanent entries,
// and the routes through it.
func (l *link) up() error {
	nl, err := l.host.h.LinkByName(l.name)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", l.host.Name, l.name, err)
	}
	if err := l.host.h.LinkSetUp(nl); err != nil {
		return fmt.Errorf("%s: %s up: %w", l.host.Name, l.name, err)
	}
	for _, p := range l.peer.addrs {
		ne := &netlink.Neigh{LinkIndex: nl.Attrs().Index, State: netlink.NUD_PERMANENT, IP: net.IP(p.Addr().AsSlice()), HardwareAddr: l.peer.mac}
		if p.Addr().Is6() {
			ne.Family = unix.AF_INET6
		} else {
			ne.Family = unix.AF_INET
		}
		if err := l.host.h.NeighSet(ne); err != nil {
			return fmt.Errorf("%s: neighbour %s: %w", l.host.Name, p.Addr(), err)
		}
	}
	// The routes the kernel makes for the link's prefixes come back with
	// the link, but not after NoRoute removed them from a link that stayed
	// up; the gateways need them first.
	for _, p := range l.addrs {
		r := netlink.Route{LinkIndex: nl.Attrs().Index, Dst: ipnet(p.Masked()), Scope: netlink.SCOPE_LINK, Protocol: unix.RTPROT_KERNEL, RtoMin: int(RTOMin.Milliseconds()), RtoMinLock: true}
		if p.Addr().Is4() {
			r.Src = net.IP(p.Addr().AsSlice())
		} else {
			// The metric of the route the kernel made for the prefix,
			// which a replace must name to change that route rather
			// than add one beside it.
			r.Priority = 256
		}
		if err := l.host.h.RouteReplace(&r); err != nil {
			return fmt.Errorf("%s: route %s: %w", l.host.Name, p.Masked(), err)
		}
	}
	for _, r := range l.routes {
		r := r
		r.LinkIndex = nl.Attrs().Index
		if err := l.host.h.RouteReplace(&r); err != nil {
			return fmt.Errorf("%s: route %s: %w", l.host.Name, r.Dst, err)
		}
	}
	return nil
}

// settledAddrs reports whether no IPv6 address of the link is tentative:
// even without duplicate address detection, a link coming up passes its
// addresses through that state, and a tentative address cannot send.
func (l *link) settledAddrs(nl netlink.Link) bool {
	addrs, err := l.host.h.AddrList(nl, unix.AF_INET6)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.Flags&unix.IFA_F_TENTATIVE != 0 && !a.IP.IsLinkLocalUnicast() {
			return false
		}
	}
	return true
}

// activated reports whether the link has left the "noop" queueing
// discipline that drops everything, which the link watcher replaces just
// after it marks the link up.
func (l *link) activated(nl netlink.Link) bool {
	qs, err := l.host.h.QdiscList(nl)
	if err != nil {
		return false
	}
	for _, q := range qs {
		if q.Type() == "noop" {
			return false
		}
	}
	return true
}

func ipnet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// Host returns the named host, or nil.
func (n *Network) Host(name string) *Host { return n.hosts[name] }

// Hosts returns the hosts in the order Build made them.
func (n *Network) Hosts() []*Host { return n.order }

// Enter moves the calling thread into the host's namespace, so that the
// sockets it creates next belong to that host.
func (n *Network) Enter(host string) error {
	h, ok := n.hosts[host]
	if !ok {
		return fmt.Errorf("no host %q in a %s network", host, n.Kind)
	}
	if err := vnetns.Set(h.ns); err != nil {
		return fmt.Errorf("enter host %s: %w", host, err)
	}
	return nil
}

// Drop cuts the host off the network while its links stay up, as a host
// that vanished behind a switch: what it sends and what is sent to it is
// lost without a word, and a capture on another host's link, or on this
// one's, still sees every segment the other hosts send. (A link taken
// down would take the carrier from the other end, whose device then
// discards what it is given before any capture sees it, once the kernel's
// link watcher has noticed, up to a second later.) The host's links get
// another hardware address, so that the frames the others send to the
// one they know are not its own and its stack ignores them; a blackhole
// rule ahead of every routing table but the local one discards what it
// sends to any address not its own. Rules and routes carry a generation
// that the rule bumps, so its established connections lose their cached
// routes too.
func (n *Network) Drop(host string) error {
	h, err := n.host(host)
	if err != nil {
		return err
	}
	if n.dropped[host] {
		return nil
	}
	n.dropped[host] = true
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		if err := h.h.RuleAdd(blackhole(fam)); err != nil {
			return fmt.Errorf("%s: blackhole rule: %w", host, err)
		}
	}
	for _, l := range h.links {
		if err := l.setMAC(vanishedMAC(l.mac)); err != nil {
			return err
		}
	}
	return nil
}

// undrop undoes Drop.
func (n *Network) undrop(h *Host) error {
	if !n.dropped[h.Name] {
		return nil
	}
	delete(n.dropped, h.Name)
	for _, l := range h.links {
		if err := l.setMAC(l.mac); err != nil {
			return err
		}
	}
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		if err := h.h.RuleDel(blackhole(fam)); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("%s: remove the blackhole rule: %w", h.Name, err)
		}
	}
	return nil
}

// blackhole is the rule of a dropped host: every lookup that the local
// table (rule 0) does not answer ends in a blackhole.
func blackhole(family int) *netlink.Rule {
	r := netlink.NewRule()
	r.Family, r.Priority, r.Type = family, 1, unix.FR_ACT_BLACKHOLE
	return r
}

// vanishedMAC is the hardware address a dropped host's link takes: its
// own with one bit of the second octet flipped, so still the locally
// administered unicast address a veth has.
func vanishedMAC(mac net.HardwareAddr) net.HardwareAddr {
	m := append(net.HardwareAddr(nil), mac...)
	m[1] ^= 0x01
	return m
}

func (l *link) setMAC(mac net.HardwareAddr) error {
	nl, err := l.host.h.LinkByName(l.name)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", l.host.Name, l.name, err)
	}
	if err := l.host.h.LinkSetHardwareAddr(nl, mac); err != nil {
		return fmt.Errorf("%s: %s address %s: %w", l.host.Name, l.name, mac, err)
	}
	return nil
}

// NoRoute removes the host's routes to the other hosts: its gateways, and
// the routes the kernel made for its links' prefixes.
func (n *Network) NoRoute(host string) error {
	h, err := n.host(host)
	if err != nil {
		return err
	}
	for _, l := range h.links {
		nl, err := h.h.LinkByName(l.name)
		if err != nil {
			return err
		}
		for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
			routes, err := h.h.RouteList(nl, fam)
			if err != nil {
				return fmt.Errorf("%s: routes: %w", host, err)
			}
			for _, r := range routes {
				if r.Dst != nil && r.Dst.IP.IsLinkLocalUnicast() {
					continue
				}
				if err := h.h.RouteDel(&r); err != nil && !errors.Is(err, unix.ESRCH) {
					return fmt.Errorf("%s: remove route %v: %w", host, r.Dst, err)
				}
			}
		}
	}
	return nil
}

// Unreachable makes the router answer every packet for the host with the
// ICMP error u names, as a router or a firewall does for a host it cannot
// or will not reach, instead of forwarding it. What the host itself sends
// still gets through, so that the answer can also meet a connection the
// host is opening (the server's SYN-ACK, for a connection in SYN_RECV).
// UnreachFragmentation instead lowers the MTU of the router's link to the
// host to FragMTU, and the router's kernel answers what is too big.
func (n *Network) Unreachable(host string, u Unreach) error {
	r, ok := n.hosts["router"]
	if !ok {
		return fmt.Errorf("unreachable %s: a %s network has no router", host, n.Kind)
	}
	h, err := n.host(host)
	if err != nil {
		return err
	}
	if h == r {
		return fmt.Errorf("unreachable %s: the router answers for the other hosts", host)
	}
	if _, _, ok := u.Codes(); !ok {
		return fmt.Errorf("unreachable %s: unknown answer %v", host, u)
	}
	if err := n.heal(host); err != nil {
		return err
	}
	if u == UnreachFragmentation {
		if err := n.setMTU(r, h, FragMTU); err != nil {
			return err
		}
		n.narrowed[host] = true
		return nil
	}
	f, err := n.refuse(r, h, u)
	if err != nil {
		return err
	}
	n.refusers[host] = f
	return nil
}

// heal undoes what Unreachable did for the host.
func (n *Network) heal(host string) error {
	var errs []error
	if f, ok := n.refusers[host]; ok {
		delete(n.refusers, host)
		errs = append(errs, f.close())
	}
	if n.narrowed[host] {
		delete(n.narrowed, host)
		errs = append(errs, n.setMTU(n.hosts["router"], n.hosts[host], linkMTU))
	}
	return errors.Join(errs...)
}

// linkMTU is the MTU of every link (a veth's default).
const linkMTU = 1500

// Heal undoes Drop, NoRoute and Unreachable for the host, and returns
// when a connection gets through again. It leaves the calling thread in
// the client host.
func (n *Network) Heal(host string) error {
	h, err := n.host(host)
	if err != nil {
		return err
	}
	if err := n.heal(host); err != nil {
		return err
	}
	if err := n.undrop(h); err != nil {
		return err
	}
	for _, l := range h.links {
		if err := l.up(); err != nil {
			return err
		}
		// The other end's neighbour entry and routes for this host are
		// made again too, whatever the fault left of them.
		if err := l.peer.up(); err != nil {
			return err
		}
		if err := l.waitUp(); err != nil {
			return err
		}
		if err := l.peer.waitUp(); err != nil {
			return err
		}
	}
	return n.ready()
}

func (n *Network) host(name string) (*Host, error) {
	h, ok := n.hosts[name]
	if !ok {
		return nil, fmt.Errorf("no host %q in a %s network", name, n.Kind)
	}
	return h, nil
}

// Close releases the network's descriptors. The namespaces disappear when
// no thread is in them and no socket of theirs is open.
func (n *Network) Close() error {
	for host, f := range n.refusers {
		f.close()
		delete(n.refusers, host)
	}
	for _, h := range n.order {
		if h.h != nil {
			h.h.Close()
		}
		h.ns.Close()
	}
	return nil
}
