package hosts

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// A refuser answers, in the router, every packet addressed to one host
// with an ICMP error of a chosen type and code, while a blackhole route
// keeps the router from forwarding those packets. The kernel has no route
// type for most of these answers (port and protocol unreachable come from
// the destination host itself, and only for protocols it does not speak),
// so the refuser crafts them, as a firewall's reject does: the offending
// packet's IP header and the start of its payload, quoted back to its
// sender from the router's address on the link it came in on. (Routes of
// type unreachable and prohibit, and a rule's unreachable action, tried on
// the router, drew no ICMP from this kernel's forwarding for most answers;
// crafting gives every answer the same way.) The answer waits for the
// refuser's goroutine: on a loaded machine it can come late, after a short
// TCP_USER_TIMEOUT has already given up.
type refuser struct {
	v4, v6   Code
	dst      [2]netip.Addr
	routes   []netlink.Route
	pkt      int // AF_PACKET socket reading what reaches the router
	raw4     int // raw ICMP sockets that send the answers
	raw6     int
	stop     int // eventfd that ends the loop
	done     chan error
	h        *netlink.Handle
	routerIf map[int][2]netip.Addr // the router's addresses by interface index
}

// quoteMax bounds how much of the offending packet an answer carries: what
// fits in IPv4's minimum datagram of 576 bytes (RFC 1812 4.3.2.3) and in
// IPv6's minimum MTU (RFC 4443 2.4 (c)).
const (
	quoteMax4 = 576 - 20 - 8
	quoteMax6 = 1280 - 40 - 8
)

func (n *Network) refuse(r, h *Host, u Unreach) (_ *refuser, err error) {
	v4, v6, _ := u.Codes()
	f := &refuser{v4: v4, v6: v6, dst: [2]netip.Addr{h.Addr4, h.Addr6}, pkt: -1, raw4: -1, raw6: -1, stop: -1, h: r.h, routerIf: map[int][2]netip.Addr{}}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	for _, l := range r.links {
		nl, err := r.h.LinkByName(l.name)
		if err != nil {
			return nil, fmt.Errorf("router: %s: %w", l.name, err)
		}
		f.routerIf[nl.Attrs().Index] = [2]netip.Addr{l.addrs[0].Addr(), l.addrs[1].Addr()}
	}
	// The sockets belong to the router's namespace, where they are made;
	// the thread may leave it afterwards.
	if err := n.Enter("router"); err != nil {
		return nil, err
	}
	if f.pkt, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL))); err != nil {
		return nil, fmt.Errorf("router: packet socket: %w", err)
	}
	if f.raw4, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW); err != nil {
		return nil, fmt.Errorf("router: raw socket: %w", err)
	}
	if f.raw6, err = unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW); err != nil {
		return nil, fmt.Errorf("router: raw socket: %w", err)
	}
	if f.stop, err = unix.Eventfd(0, unix.EFD_CLOEXEC); err != nil {
		return nil, fmt.Errorf("router: eventfd: %w", err)
	}
	for _, a := range f.dst {
		rt := netlink.Route{Dst: ipnet(netip.PrefixFrom(a, a.BitLen())), Type: unix.RTN_BLACKHOLE}
		if err := r.h.RouteAdd(&rt); err != nil {
			return nil, fmt.Errorf("router: blackhole route to %s: %w", a, err)
		}
		f.routes = append(f.routes, rt)
	}
	f.done = make(chan error, 1)
	go func() { f.done <- f.loop() }()
	return f, nil
}

// loop reads what reaches the router until stopped, answering each packet
// for the refused host.
func (f *refuser) loop() error {
	buf := make([]byte, 65536)
	fds := []unix.PollFd{{Fd: int32(f.pkt), Events: unix.POLLIN}, {Fd: int32(f.stop), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("router: poll: %w", err)
		}
		if fds[1].Revents != 0 {
			return nil
		}
		nr, from, err := unix.Recvfrom(f.pkt, buf, unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("router: read: %w", err)
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if !ok || ll.Pkttype == unix.PACKET_OUTGOING || nr < 1 {
			continue
		}
		if err := f.answer(buf[:nr], ll.Ifindex); err != nil {
			return err
		}
	}
}

// answer sends the ICMP error for pkt, an IP packet that arrived on the
// router's interface ifindex, when it is addressed to the refused host.
func (f *refuser) answer(pkt []byte, ifindex int) error {
	mine, ok := f.routerIf[ifindex]
	if !ok {
		return nil
	}
	switch pkt[0] >> 4 {
	case 4:
		if len(pkt) < 20 {
			return nil
		}
		src, dst := netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
		if dst != f.dst[0] || pkt[9] == unix.IPPROTO_ICMP {
			return nil
		}
		icmp := make([]byte, 8, 8+min(len(pkt), quoteMax4))
		icmp[0], icmp[1] = f.v4.Type, f.v4.Code
		icmp = append(icmp, pkt[:min(len(pkt), quoteMax4)]...)
		binary.BigEndian.PutUint16(icmp[2:], checksum(icmp, 0))
		ip := make([]byte, 20, 20+len(icmp))
		ip[0], ip[8], ip[9] = 0x45, 64, unix.IPPROTO_ICMP
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(icmp)))
		copy(ip[12:16], mine[0].AsSlice())
		copy(ip[16:20], src.AsSlice())
		binary.BigEndian.PutUint16(ip[10:], checksum(ip, 0))
		ip = append(ip, icmp...)
		if err := unix.Sendto(f.raw4, ip, 0, &unix.SockaddrInet4{Addr: src.As4()}); err != nil {
			return fmt.Errorf("router: send ICMP to %s: %w", src, err)
		}
	case 6:
		if len(pkt) < 40 {
			return nil
		}
		src, dst := netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
		if dst != f.dst[1] || pkt[6] == unix.IPPROTO_ICMPV6 {
			return nil
		}
		icmp := make([]byte, 8, 8+min(len(pkt), quoteMax6))
		icmp[0], icmp[1] = f.v6.Type, f.v6.Code
		if f.v6.Type == 4 {
			// Parameter problem: the pointer names the next header field.
			binary.BigEndian.PutUint32(icmp[4:], 6)
		}
		icmp = append(icmp, pkt[:min(len(pkt), quoteMax6)]...)
		me := mine[1]
		// The pseudo-header of RFC 8200 8.1.
		var sum uint32
		for _, a := range [][]byte{me.AsSlice(), src.AsSlice()} {
			for i := 0; i < 16; i += 2 {
				sum += uint32(binary.BigEndian.Uint16(a[i:]))
			}
		}
		sum += uint32(len(icmp)) + unix.IPPROTO_ICMPV6
		binary.BigEndian.PutUint16(icmp[2:], checksum(icmp, sum))
		ip := make([]byte, 40, 40+len(icmp))
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(icmp)))
		ip[6], ip[7] = unix.IPPROTO_ICMPV6, 64
		copy(ip[8:24], me.AsSlice())
		copy(ip[24:40], src.AsSlice())
		ip = append(ip, icmp...)
		if err := unix.Sendto(f.raw6, ip, 0, &unix.SockaddrInet6{Addr: src.As16()}); err != nil {
			return fmt.Errorf("router: send ICMPv6 to %s: %w", src, err)
		}
	}
	return nil
}

// checksum is the Internet checksum (RFC 1071) of b, starting from sum.
func checksum(b []byte, sum uint32) uint16 {
	for ; len(b) >= 2; b = b[2:] {
		sum += uint32(binary.BigEndian.Uint16(b))
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// close stops the refuser and removes its routes; the router forwards to
// the host again.
func (f *refuser) close() error {
	var errs []error
	if f.done != nil {
		unix.Write(f.stop, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		if err := <-f.done; err != nil {
			errs = append(errs, err)
		}
	}
	for _, rt := range f.routes {
		if err := f.h.RouteDel(&rt); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("router: remove blackhole route %s: %w", rt.Dst, err))
		}
	}
	for _, fd := range []int{f.pkt, f.raw4, f.raw6, f.stop} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	return errors.Join(errs...)
}

// setMTU sets the MTU of the router's links to the host.
func (n *Network) setMTU(r, h *Host, mtu int) error {
	for _, l := range h.links {
		if l.peer.host != r {
			continue
		}
		nl, err := r.h.LinkByName(l.peer.name)
		if err != nil {
			return fmt.Errorf("router: %s: %w", l.peer.name, err)
		}
		if err := r.h.LinkSetMTU(nl, mtu); err != nil {
			return fmt.Errorf("router: %s mtu %d: %w", l.peer.name, mtu, err)
		}
	}
	return nil
}
