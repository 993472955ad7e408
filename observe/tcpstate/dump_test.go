//go:build linux

package tcpstate

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/observe/internal/nstest"
	"golang.org/x/sys/unix"
)

// openNS enters a fresh namespace and opens a Dumper in it.
func openNS(t testing.TB) *Dumper {
	t.Helper()
	nstest.Enter(t)
	d, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func dump(t testing.TB, d *Dumper) []Socket {
	t.Helper()
	socks, err := d.Dump()
	if err != nil {
		t.Fatal(err)
	}
	return socks
}

// find returns the socket with the given addresses, or fails the test.
func find(t testing.TB, socks []Socket, local, remote netip.AddrPort) Socket {
	t.Helper()
	s, ok := lookup(socks, local, remote)
	if !ok {
		t.Fatalf("no socket %v -> %v in the dump:\n%s", local, remote, show(socks))
	}
	return s
}

func lookup(socks []Socket, local, remote netip.AddrPort) (Socket, bool) {
	for _, s := range socks {
		if s.Local == local && s.Remote == remote {
			return s, true
		}
	}
	return Socket{}, false
}

func show(socks []Socket) string {
	var b strings.Builder
	for _, s := range socks {
		fmt.Fprintf(&b, "  %v -> %v %v rq %d sq %d inode %d orphan %t timer %d\n", s.Local, s.Remote, s.State, s.RecvQ, s.SendQ, s.Inode, s.Orphan, s.Timer)
	}
	return b.String()
}

// conn is a connected pair in a test.
type conn struct {
	client, server         int
	clientAddr, serverAddr netip.AddrPort
	listener               int
}

func pair(t *testing.T, family int) conn {
	c, s, l := nstest.Pair(t, family)
	return conn{client: c, server: s, listener: l, clientAddr: nstest.LocalAddr(t, c), serverAddr: nstest.LocalAddr(t, s)}
}

// TestLifecycle follows one connection from ESTABLISHED to TIME_WAIT: the
// client closes first, the server reads and closes.
func TestLifecycle(t *testing.T) {
	for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
		t.Run(nstest.Loopback(family).String(), func(t *testing.T) {
			d := openNS(t)
			c := pair(t, family)
			socks := dump(t, d)
			cl := find(t, socks, c.clientAddr, c.serverAddr)
			sv := find(t, socks, c.serverAddr, c.clientAddr)
			ls := find(t, socks, c.serverAddr, netip.AddrPortFrom(unspecified(family), 0))
			for _, s := range []Socket{cl, sv} {
				if s.State != Established || s.Inode == 0 || s.Orphan || !s.Info || s.RecvQ != 0 || s.SendQ != 0 {
					t.Errorf("socket %v: %+v, want ESTABLISHED with an inode, tcp_info and empty queues", s.Local, s)
				}
			}
			if ls.State != Listen || ls.RecvQ != 0 || ls.SendQ != 8 {
				t.Errorf("listener %+v, want LISTEN with accept queue 0 and backlog 8", ls)
			}
			if cl.Cookie == 0 || cl.Cookie == sv.Cookie || sv.Cookie == ls.Cookie {
				t.Errorf("cookies %#x %#x %#x: want distinct, non-zero", cl.Cookie, sv.Cookie, ls.Cookie)
			}
			if cookie, err := unix.GetsockoptUint64(c.client, unix.SOL_SOCKET, unix.SO_COOKIE); err != nil || cookie != cl.Cookie {
				t.Errorf("SO_COOKIE of the client = %#x, %v; dump says %#x", cookie, err, cl.Cookie)
			}

			nstest.Write(t, c.client, "hello")
			nstest.Close(t, c.client)
			// The client's FIN is ACKed at once on loopback; the server
			// holds the 5 bytes and the FIN.
			nstest.Eventually(t, "client FIN_WAIT2", func() bool {
				s, _ := lookup(dump(t, d), c.clientAddr, c.serverAddr)
				return s.State == FinWait2
			})
			socks = dump(t, d)
			cl = find(t, socks, c.clientAddr, c.serverAddr)
			sv = find(t, socks, c.serverAddr, c.clientAddr)
			if cl.State != FinWait2 || !cl.Orphan || cl.Inode != 0 {
				t.Errorf("client after close: %+v, want FIN_WAIT2 orphan without inode", cl)
			}
			if sv.State != CloseWait || sv.RecvQ != 6 || sv.Orphan {
				t.Errorf("server after the client's close: %+v, want CLOSE_WAIT, RecvQ 6 (5 bytes and the FIN), not orphan", sv)
			}

			buf := make([]byte, 16)
			if n, err := unix.Read(c.server, buf); n != 5 || err != nil {
				t.Fatalf("server read = %d, %v; want 5", n, err)
			}
			socks = dump(t, d)
			// The read that took the data reached the FIN too.
			if sv = find(t, socks, c.serverAddr, c.clientAddr); sv.RecvQ != 0 || sv.State != CloseWait {
				t.Errorf("server after reading the data: %+v, want CLOSE_WAIT with RecvQ 0", sv)
			}
			nstest.Close(t, c.server)
			nstest.Eventually(t, "client TIME_WAIT", func() bool {
				s, _ := lookup(dump(t, d), c.clientAddr, c.serverAddr)
				return s.State == TimeWait
			})
			socks = dump(t, d)
			cl = find(t, socks, c.clientAddr, c.serverAddr)
			if again := find(t, dump(t, d), c.clientAddr, c.serverAddr); again != cl {
				t.Errorf("two dumps of a TIME_WAIT socket differ: %+v, then %+v", cl, again)
			}
			if !cl.Orphan || cl.Info || cl.Timer != 3 {
				t.Errorf("client in TIME_WAIT: %+v, want orphan, no tcp_info, TIME_WAIT timer (3) running", cl)
			}
			if s, ok := lookup(socks, c.serverAddr, c.clientAddr); ok {
				t.Errorf("server socket still in the dump after LAST_ACK was acknowledged: %+v", s)
			}
		})
	}
}

func unspecified(family int) netip.Addr {
	if family == unix.AF_INET6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// TestQueues fills a connection until the sender's writes would block: every
// byte written is then either in the receiver's RecvQ or the sender's SendQ.
func TestQueues(t *testing.T) {
	d := openNS(t)
	lfd, addr := nstest.Listen(t, unix.AF_INET, 8)
	cfd := nstest.Dial(t, addr)
	sfd := nstest.Accept(t, lfd)
	if err := unix.SetNonblock(cfd, true); err != nil {
		t.Fatal(err)
	}
	// A small send buffer makes the writes block after a few hundred KiB.
	if err := unix.SetsockoptInt(cfd, unix.SOL_SOCKET, unix.SO_SNDBUF, 64<<10); err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 16<<10)
	var written uint32
	for i := 0; i < 10000; i++ {
		n, err := unix.Write(cfd, block)
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		written += uint32(n)
	}
	cl, sv := nstest.LocalAddr(t, cfd), nstest.LocalAddr(t, sfd)
	var c, s Socket
	nstest.Eventually(t, "RecvQ + SendQ to account for every byte", func() bool {
		socks := dump(t, d)
		c, s = find(t, socks, cl, sv), find(t, socks, sv, cl)
		return c.SendQ+s.RecvQ == written
	})
	if c.SendQ == 0 || s.RecvQ == 0 {
		t.Errorf("after %d bytes: client SendQ %d, server RecvQ %d; want both non-zero", written, c.SendQ, s.RecvQ)
	}
	if c.State != Established || s.State != Established {
		t.Errorf("states %v, %v; want ESTABLISHED", c.State, s.State)
	}
}

// TestAcceptQueue connects twice to a listener that accepts nothing.
func TestAcceptQueue(t *testing.T) {
	d := openNS(t)
	lfd, addr := nstest.Listen(t, unix.AF_INET6, 4)
	c1, c2 := nstest.Dial(t, addr), nstest.Dial(t, addr)
	socks := dump(t, d)
	ls := find(t, socks, addr, netip.AddrPortFrom(netip.IPv6Unspecified(), 0))
	if ls.State != Listen || ls.RecvQ != 2 || ls.SendQ != 4 || ls.Inode == 0 {
		t.Errorf("listener %+v, want LISTEN with 2 queued of backlog 4", ls)
	}
	for _, c := range []int{c1, c2} {
		local := nstest.LocalAddr(t, c)
		s := find(t, socks, addr, local)
		if s.State != Established || s.Inode != 0 || s.Orphan {
			t.Errorf("queued connection %+v: want ESTABLISHED, no inode, not orphan", s)
		}
	}
	nstest.Accept(t, lfd)
	if ls = find(t, dump(t, d), addr, netip.AddrPortFrom(netip.IPv6Unspecified(), 0)); ls.RecvQ != 1 {
		t.Errorf("after one accept the accept queue holds %d, want 1", ls.RecvQ)
	}
}

// TestMapped checks that a dual-stack IPv6 socket talking IPv4 is shown
// with plain IPv4 addresses, like its IPv4 peer.
func TestMapped(t *testing.T) {
	d := openNS(t)
	lfd, addr := nstest.Listen(t, unix.AF_INET, 8)
	fd := nstest.Socket(t, unix.AF_INET6)
	mapped := netip.AddrFrom16(addr.Addr().As16())
	if err := unix.Connect(fd, &unix.SockaddrInet6{Addr: mapped.As16(), Port: int(addr.Port())}); err != nil {
		t.Fatal(err)
	}
	nstest.Accept(t, lfd)
	local := nstest.AddrPort(must(unix.Getsockname(fd))).Addr()
	if !local.Is4In6() {
		t.Fatalf("dual-stack socket's address %v is not IPv4-mapped", local)
	}
	client := netip.AddrPortFrom(local.Unmap(), nstest.LocalAddr(t, fd).Port())
	s := find(t, dump(t, d), client, addr)
	if s.State != Established || !s.Local.Addr().Is4() || !s.Remote.Addr().Is4() {
		t.Errorf("dual-stack socket %+v: want ESTABLISHED with unmapped IPv4 addresses", s)
	}
}

func must(sa unix.Sockaddr, err error) unix.Sockaddr {
	if err != nil {
		panic(err)
	}
	return sa
}

// TestEmptyAndClosed checks a namespace without sockets and a closed Dumper.
func TestEmptyAndClosed(t *testing.T) {
	d := openNS(t)
	if socks := dump(t, d); len(socks) != 0 {
		t.Errorf("fresh namespace has sockets:\n%s", show(socks))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Dump(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Dump after Close: %v, want an error saying the dumper is closed", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// BenchmarkDump dumps a namespace holding ten connections (21 sockets with
// the listener), about what a scenario has. The kernel walks each table
// whole for each family, so the cost depends on the tables' sizes:
// "host-hash" is a namespace sharing the host's established-socket table,
// "small-hash" one with a private table of 1024 buckets; "connections"
// leaves out the walk of the host's bind table that "all" makes.
//
//	go test ./observe/tcpstate -run '^$' -bench Dump
func BenchmarkDump(b *testing.B) {
	for _, tb := range []struct {
		name string
		t    Tables
	}{{"all", All}, {"connections", Connections}} {
		b.Run(tb.name+"/host-hash", func(b *testing.B) { benchmarkDump(b, openNS(b), tb.t) })
		b.Run(tb.name+"/small-hash", func(b *testing.B) {
			nstest.EnterSmallHash(b, 1024)
			d, err := Open()
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { d.Close() })
			benchmarkDump(b, d, tb.t)
		})
	}
}

func benchmarkDump(b *testing.B, d *Dumper, t Tables) {
	lfd, addr := nstest.Listen(b, unix.AF_INET, 64)
	for range 10 {
		nstest.Dial(b, addr)
		nstest.Accept(b, lfd)
	}
	var n int
	for b.Loop() {
		socks, err := d.DumpTables(t)
		if err != nil {
			b.Fatal(err)
		}
		n = len(socks)
	}
	if n != 21 {
		b.Fatalf("dumped %d sockets, want 21", n)
	}
}

// TestTables checks that a socket only bound is in BoundOnly and All and
// not in Connections, a listener in Listening, Connections and All, and
// an established connection in Connected, Connections and All.
func TestTables(t *testing.T) {
	d := openNS(t)
	_, laddr := nstest.Listen(t, unix.AF_INET, 4)
	fd := nstest.Socket(t, unix.AF_INET)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	bound := nstest.LocalAddr(t, fd)
	c := nstest.Dial(t, laddr)
	client := nstest.LocalAddr(t, c)
	for _, tc := range []struct {
		name                 string
		t                    Tables
		listen, bound, conns bool
	}{
		{"All", All, true, true, true},
		{"Connections", Connections, true, false, true},
		{"Connected", Connected, false, false, true},
		{"Listening", Listening, true, false, false},
		{"BoundOnly", BoundOnly, false, true, false},
	} {
		socks, err := d.DumpTables(tc.t)
		if err != nil {
			t.Fatal(err)
		}
		_, gotListen := lookup(socks, laddr, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
		b, gotBound := lookup(socks, bound, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
		_, gotClient := lookup(socks, client, laddr)
		_, gotServer := lookup(socks, laddr, client)
		if gotClient != tc.conns || gotServer != tc.conns {
			t.Errorf("%s: client side found %v, server side %v, want %v:\n%s", tc.name, gotClient, gotServer, tc.conns, show(socks))
		}
		if gotBound && b.State != Close {
			t.Errorf("%s: bound socket in state %s, want CLOSE", tc.name, b.State)
		}
		if gotListen != tc.listen || gotBound != tc.bound {
			t.Errorf("%s: listener found %v (want %v), bound socket found %v (want %v):\n%s",
				tc.name, gotListen, tc.listen, gotBound, tc.bound, show(socks))
		}
	}
}

// TestListener looks listeners up one at a time: found with or without
// their cookie, on IPv4 and IPv6, and not found where nothing listens (a
// socket only bound, a closed listener, a free port) or when the cookie is
// another socket's; of two listeners sharing a port (SO_REUSEPORT) each
// found is the one its cookie names.
func TestListener(t *testing.T) {
	d := openNS(t)
	cookie := func(fd int) uint64 {
		v, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_COOKIE)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
		lfd, addr := nstest.Listen(t, family, 4)
		nstest.Dial(t, addr)
		for _, ck := range []uint64{0, cookie(lfd)} {
			s, ok, err := d.Listener(addr, ck)
			if err != nil || !ok || s.State != Listen || s.Local != addr || s.RecvQ != 1 || s.SendQ != 4 || s.Cookie != cookie(lfd) || s.Inode == 0 {
				t.Errorf("family %d, cookie %d: %+v, %v, %v; want the listener with 1 queued of 4", family, ck, s, ok, err)
			}
			// The dump's entry and the lookup's are the same.
			if ds := find(t, dump(t, d), addr, netip.AddrPortFrom(s.Remote.Addr(), 0)); ds != s {
				t.Errorf("family %d: dump %+v, lookup %+v", family, ds, s)
			}
		}
		if _, ok, err := d.Listener(addr, cookie(lfd)+1); ok || err != nil {
			t.Errorf("family %d: another cookie found a listener (%v)", family, err)
		}
		bfd := nstest.Socket(t, family)
		var sa unix.Sockaddr = &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
		if family == unix.AF_INET6 {
			sa = &unix.SockaddrInet6{Addr: [16]byte{15: 1}}
		}
		if err := unix.Bind(bfd, sa); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := d.Listener(nstest.LocalAddr(t, bfd), 0); ok || err != nil {
			t.Errorf("family %d: a socket only bound was found listening (%v)", family, err)
		}
		nstest.Close(t, lfd)
		if _, ok, err := d.Listener(addr, 0); ok || err != nil {
			t.Errorf("family %d: a closed listener was found (%v)", family, err)
		}
	}

	var fds []int
	var port int
	for range 2 {
		fd := nstest.Socket(t, unix.AF_INET)
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port}); err != nil {
			t.Fatal(err)
		}
		if err := unix.Listen(fd, 4); err != nil {
			t.Fatal(err)
		}
		port = int(nstest.LocalAddr(t, fd).Port())
		fds = append(fds, fd)
	}
	addr := nstest.LocalAddr(t, fds[0])
	found := 0
	for _, fd := range fds {
		s, ok, err := d.Listener(addr, cookie(fd))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			found++
			if s.Cookie != cookie(fd) {
				t.Errorf("reuseport: asked for cookie %d, got %+v", cookie(fd), s)
			}
		}
	}
	if found == 0 {
		t.Errorf("reuseport: neither listener found by its cookie")
	}
}

// TestRequestSocket makes a request socket: with TCP_DEFER_ACCEPT the
// listener ignores the handshake's final ACK until data comes, so the
// client is ESTABLISHED while the server side is still a request socket.
func TestRequestSocket(t *testing.T) {
	d := openNS(t)
	lfd, addr := nstest.Listen(t, unix.AF_INET, 8)
	if err := unix.SetsockoptInt(lfd, unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 5); err != nil {
		t.Fatal(err)
	}
	c := nstest.Dial(t, addr)
	client := nstest.LocalAddr(t, c)
	socks := dump(t, d)
	if cl := find(t, socks, client, addr); cl.State != Established {
		t.Errorf("client %+v, want ESTABLISHED", cl)
	}
	req := find(t, socks, addr, client)
	if req.State != SynRecv || req.Inode != 0 || req.Orphan || req.Info || req.Cookie == 0 {
		t.Errorf("request socket %+v, want SYN_RECV (as the kernel reports NEW_SYN_RECV), no inode, no tcp_info, a cookie", req)
	}
	if ls := find(t, socks, addr, netip.AddrPortFrom(netip.IPv4Unspecified(), 0)); ls.RecvQ != 0 {
		t.Errorf("listener %+v: a request socket is not in the accept queue", ls)
	}
}
