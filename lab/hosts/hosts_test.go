//go:build linux

package hosts

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/netns"
	"github.com/teardown-net/teardown/observe/capture"
	"github.com/teardown-net/teardown/observe/wire"
)

// onThread runs f on a locked thread that is thrown away afterwards, as
// the lab's runs are.
func onThread(t *testing.T, f func() error) {
	t.Helper()
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		done <- f()
	}()
	if err := <-done; err != nil {
		if errors.Is(err, netns.ErrPermission) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
}

// dial connects from the client host to the server host's listener and
// returns the connect's error, giving up after 300ms.
func dial(n *Network, to netip.Addr, port int) error {
	if err := n.Enter("client"); err != nil {
		return err
	}
	domain := unix.AF_INET
	if to.Is6() {
		domain = unix.AF_INET6
	}
	fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(300e6)
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	return unix.Connect(fd, sockaddr(to, port))
}

func listen(n *Network, a netip.Addr, port int) (int, error) {
	if err := n.Enter("server"); err != nil {
		return -1, err
	}
	domain := unix.AF_INET
	if a.Is6() {
		domain = unix.AF_INET6
	}
	fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, sockaddr(a, port)); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, unix.Listen(fd, 16)
}

// Each fault, in a network of its own as each lab run has: the client
// connects, the fault makes the connect fail as the kernel says it should,
// and heal makes it work again.
func TestFaults(t *testing.T) {
	for i, tc := range []struct {
		net   Topology
		fault func(*Network, string) error
		host  string
		v6    bool
		want  error
	}{
		{Direct, (*Network).Drop, "server", false, unix.EINPROGRESS},
		{Direct, (*Network).Drop, "server", true, unix.EINPROGRESS},
		{Direct, (*Network).NoRoute, "client", false, unix.ENETUNREACH},
		{Direct, (*Network).NoRoute, "client", true, unix.ENETUNREACH},
		{Routed, (*Network).Drop, "server", false, unix.EINPROGRESS},
		{Routed, (*Network).NoRoute, "client", false, unix.ENETUNREACH},
		{Routed, (*Network).NoRoute, "client", true, unix.ENETUNREACH},
	} {
		onThread(t, func() error {
			n, err := Build(tc.net, 64)
			if err != nil {
				return err
			}
			defer n.Close()
			addr := n.Host("server").Addr4
			if tc.v6 {
				addr = n.Host("server").Addr6
			}
			l, err := listen(n, addr, 7000)
			if err != nil {
				return err
			}
			defer unix.Close(l)
			name := fmt.Sprintf("%s fault %d on %s v6=%v", tc.net, i, tc.host, tc.v6)
			if err := dial(n, addr, 7000); err != nil {
				t.Errorf("%s: before the fault: %v", name, err)
			}
			if ferr := tc.fault(n, tc.host); ferr != nil {
				return fmt.Errorf("%s: %w", name, ferr)
			}
			if err := dial(n, addr, 7000); !errors.Is(err, tc.want) {
				t.Errorf("%s: connect: %v, want %v", name, err, tc.want)
			}
			if err := n.Heal(tc.host); err != nil {
				return fmt.Errorf("%s: heal: %w", name, err)
			}
			if err := dial(n, addr, 7000); err != nil {
				t.Errorf("%s: after heal: %v", name, err)
			}
			return nil
		})
	}
}

// TestUnreachable checks each answer of Unreachable against the kernel: a
// connect in SYN_SENT takes the error icmp_err_convert (IPv4) or
// icmpv6_err_convert (IPv6) gives the message's type and code, fatal or not
// (tcp_v4_err, tcp_v6_err), and a heal lets connections through again. A
// SYN fits any MTU, so fragmentation needed leaves the connect alone.
func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		u      Unreach
		v4, v6 error
	}{
		{UnreachHost, unix.EHOSTUNREACH, unix.EHOSTUNREACH},
		{UnreachNet, unix.ENETUNREACH, unix.ENETUNREACH},
		{UnreachPort, unix.ECONNREFUSED, unix.ECONNREFUSED},
		{UnreachProtocol, unix.ENOPROTOOPT, unix.EPROTO},
		{UnreachProhibited, unix.EHOSTUNREACH, unix.EACCES},
		{UnreachFragmentation, nil, nil},
	} {
		onThread(t, func() error {
			n, err := Build(Routed, 64)
			if err != nil {
				return err
			}
			defer n.Close()
			for _, v6 := range []bool{false, true} {
				addr, want := n.Host("server").Addr4, tc.v4
				if v6 {
					addr, want = n.Host("server").Addr6, tc.v6
				}
				l, err := listen(n, addr, 7000)
				if err != nil {
					return err
				}
				defer unix.Close(l)
				if err := n.Unreachable("server", tc.u); err != nil {
					return fmt.Errorf("%v: %w", tc.u, err)
				}
				if err := dial(n, addr, 7000); !errors.Is(err, want) && (want != nil || err != nil) {
					t.Errorf("%v v6=%v: connect: %v, want %v", tc.u, v6, err, want)
				}
				if err := n.Heal("server"); err != nil {
					return fmt.Errorf("%v: heal: %w", tc.u, err)
				}
				if err := dial(n, addr, 7000); err != nil {
					t.Errorf("%v v6=%v: after heal: %v", tc.u, v6, err)
				}
			}
			return nil
		})
	}
}

// TestFragmentationNeeded checks that UnreachFragmentation makes the
// router's kernel answer a full-sized segment with fragmentation needed
// (packet too big): the client's path MTU drops to FragMTU, and the data
// still arrives.
func TestFragmentationNeeded(t *testing.T) {
	onThread(t, func() error {
		n, err := Build(Routed, 64)
		if err != nil {
			return err
		}
		defer n.Close()
		if err := n.Unreachable("server", UnreachFragmentation); err != nil {
			return err
		}
		for _, addr := range []netip.Addr{n.Host("server").Addr4, n.Host("server").Addr6} {
			l, err := listen(n, addr, 7001)
			if err != nil {
				return err
			}
			defer unix.Close(l)
			if err := n.Enter("client"); err != nil {
				return err
			}
			domain, level, opt := unix.AF_INET, unix.IPPROTO_IP, unix.IP_MTU
			if addr.Is6() {
				domain, level, opt = unix.AF_INET6, unix.IPPROTO_IPV6, unix.IPV6_MTU
			}
			c, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(c)
			if err := unix.Connect(c, sockaddr(addr, 7001)); err != nil {
				return fmt.Errorf("%s: connect: %w", addr, err)
			}
			s, _, err := unix.Accept(l)
			if err != nil {
				return fmt.Errorf("%s: accept: %w", addr, err)
			}
			defer unix.Close(s)
			if _, err := unix.Write(c, make([]byte, 4000)); err != nil {
				return fmt.Errorf("%s: write: %w", addr, err)
			}
			got := 0
			buf := make([]byte, 4000)
			for got < 4000 {
				m, err := unix.Read(s, buf)
				if err != nil || m == 0 {
					return fmt.Errorf("%s: read after %d bytes: %d, %v", addr, got, m, err)
				}
				got += m
			}
			if mtu, err := unix.GetsockoptInt(c, level, opt); err != nil || mtu != FragMTU {
				t.Errorf("%s: path MTU %d (%v), want %d", addr, mtu, err, FragMTU)
			}
		}
		return n.Heal("server")
	})
}

// TestRTOMin checks that every route between the hosts carries RTOMin,
// and that the kernel made no second route beside its own for a prefix.
func TestRTOMin(t *testing.T) {
	for _, topo := range []Topology{Direct, Routed} {
		onThread(t, func() error {
			n, err := Build(topo, 64)
			if err != nil {
				return err
			}
			defer n.Close()
			for _, h := range n.Hosts() {
				for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
					routes, err := h.h.RouteList(nil, fam)
					if err != nil {
						return err
					}
					seen := map[string]bool{}
					for _, r := range routes {
						if r.Dst != nil && r.Dst.IP.IsLinkLocalUnicast() || r.Type != unix.RTN_UNICAST {
							continue
						}
						dst := fmt.Sprint(r.Dst)
						if seen[dst] {
							t.Errorf("%s %s: two routes to %s", topo, h.Name, dst)
						}
						seen[dst] = true
						if r.RtoMin != int(RTOMin.Milliseconds()) {
							t.Errorf("%s %s: route to %s has rto_min %dms, want %v", topo, h.Name, dst, r.RtoMin, RTOMin)
						}
					}
					if len(seen) == 0 {
						t.Errorf("%s %s: no routes of family %d", topo, h.Name, fam)
					}
				}
			}
			return nil
		})
	}
}

// listenDrops reads the host's TcpExt ListenDrops counter, which
// tcp_req_err raises when an ICMP error drops a connection in SYN_RECV.
func listenDrops(n *Network, host string) (int, error) {
	if err := n.Enter(host); err != nil {
		return 0, err
	}
	b, err := os.ReadFile("/proc/thread-self/net/netstat")
	if err != nil {
		return 0, err
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != "TcpExt:" || len(values) != len(names) {
			continue
		}
		for j, name := range names {
			if name == "ListenDrops" {
				return strconv.Atoi(values[j])
			}
		}
	}
	return 0, errors.New("no TcpExt ListenDrops in /proc/thread-self/net/netstat")
}

// TestUnreachableSynRecv aims the answer at the client, so that it meets
// the server's SYN-ACK, a connection in SYN_RECV. tcp_req_err drops the
// request when the error is fatal for the family's ICMP: for IPv4 net and
// host unreachable (tcp_v4_err), for IPv6 the errors icmpv6_err_convert
// calls fatal (port unreachable, administratively prohibited), and counts
// a listen drop; other answers leave the request waiting for its SYN-ACK
// retransmission.
func TestUnreachableSynRecv(t *testing.T) {
	for _, tc := range []struct {
		u            Unreach
		drop4, drop6 bool
	}{
		{UnreachHost, true, false},
		{UnreachPort, false, true},
		{UnreachProhibited, false, true},
	} {
		onThread(t, func() error {
			n, err := Build(Routed, 64)
			if err != nil {
				return err
			}
			defer n.Close()
			if err := n.Unreachable("client", tc.u); err != nil {
				return err
			}
			for _, v6 := range []bool{false, true} {
				addr, want := n.Host("server").Addr4, tc.drop4
				if v6 {
					addr, want = n.Host("server").Addr6, tc.drop6
				}
				l, err := listen(n, addr, 7002)
				if err != nil {
					return err
				}
				defer unix.Close(l)
				before, err := listenDrops(n, "server")
				if err != nil {
					return err
				}
				// The SYN passes; the SYN-ACK draws the answer. The
				// client's connect waits for its SYN retransmission, 1s
				// away, and gives up at the 300ms send timeout.
				dial(n, addr, 7002)
				after, err := listenDrops(n, "server")
				if err != nil {
					return err
				}
				if got := after > before; got != want {
					t.Errorf("%v v6=%v: request dropped %v (ListenDrops %d -> %d), want %v", tc.u, v6, got, before, after, want)
				}
			}
			return nil
		})
	}
}

// TestDropKeepsTheWire checks that a dropped host leaves its peer's link
// up, so that the peer's segments still go out where a capture sees them:
// the client's SYN to the dropped server is on the client's link, and the
// link keeps its carrier.
func TestDropKeepsTheWire(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		onThread(t, func() error {
			n, err := Build(Direct, 64)
			if err != nil {
				return err
			}
			defer n.Close()
			addr := n.Host("server").Addr4
			if v6 {
				addr = n.Host("server").Addr6
			}
			if err := n.Drop("server"); err != nil {
				return err
			}
			if err := n.Enter("client"); err != nil {
				return err
			}
			c, err := capture.Open("eth0")
			if err != nil {
				return err
			}
			defer c.Close()
			fd, err := unix.Socket(sockaddrFamily(addr), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			if err := unix.Connect(fd, sockaddr(addr, 7000)); !errors.Is(err, unix.EINPROGRESS) {
				t.Errorf("v6=%v: connect to the dropped server: %v, want EINPROGRESS", v6, err)
			}
			var syn bool
			for deadline := time.Now().Add(2 * time.Second); !syn && time.Now().Before(deadline); {
				c.Wait(100 * time.Millisecond)
				pkts, err := c.Drain()
				if err != nil {
					return err
				}
				for _, p := range pkts {
					syn = syn || p.Flags == wire.SYN && p.Dst.Addr() == addr
				}
			}
			if !syn {
				t.Errorf("v6=%v: the client's SYN to the dropped server is not on the client's link", v6)
			}
			l, err := n.Host("client").h.LinkByName("eth0")
			if err != nil {
				return err
			}
			if l.Attrs().RawFlags&unix.IFF_LOWER_UP == 0 {
				t.Errorf("v6=%v: the client's link lost its carrier when the server was dropped", v6)
			}
			return nil
		})
	}
}

func sockaddrFamily(a netip.Addr) int {
	if a.Is6() {
		return unix.AF_INET6
	}
	return unix.AF_INET
}
