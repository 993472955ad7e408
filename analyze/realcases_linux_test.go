//go:build linux

package analyze

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// pause orders the two programs' steps: it lets the packets of one step
// arrive before the next. Nothing is asserted about how long anything
// takes.
const pause = 100 * time.Millisecond

// realCases are the connections TestRealPrograms makes, all at once, each
// on its own port; a fault is made for one server address only.
func realCases() []realCase {
	return []realCase{
		{name: "server closes with the request unread", addr: srvAddr(1), run: closeUnread,
			how: HowRST, by: ByResp, cause: CauseCloseUnread, confidenceNotHi: true},
		{name: "client closes with SO_LINGER 0", addr: srvAddr(1), run: lingerZero,
			how: HowRST, by: ByOrig, cause: CauseLingerZero, confidenceNotHi: true},
		{name: "client closes with the response unread, after the server's close", addr: srvAddr(2), run: unreadAfterPeerClose,
			how: HowRST, by: ByOrig, cause: CauseCloseUnread, confidenceNotHi: true},
		{name: "client writes after the server's FIN (IPv6)", addr: srvAddr6(1), run: writeAfterFIN,
			how: HowRST, by: ByResp, cause: CauseWriteAfterFIN},
		{name: "half-close, then the reply (IPv6)", addr: srvAddr6(1), run: halfClose,
			how: HowFINBoth, by: ByOrig, cause: CauseOrderly},
		{name: "connect refused (IPv6)", addr: srvAddr6(1), run: refused,
			how: HowRefused, by: ByResp, cause: CauseRefused},
		{name: "ICMP host unreachable while connecting", addr: srvAddr(3), run: unreachableConnect,
			how: HowICMP, by: ByMiddlebox, cause: CauseUnreachable},
		{name: "ICMP host unreachable, TCP_USER_TIMEOUT, then the server's late RST", addr: srvAddr(4), run: unreachableThenRST,
			how: HowICMP, by: ByMiddlebox, cause: CauseUnreachable, confidenceNotHi: true},
		{name: "ICMP host unreachable, then the route comes back; open at the end", addr: srvAddr(7), run: unreachableSurvived,
			how: HowOpen, by: ByNone, cause: CauseOpen},
		{name: "keepalive finds the server gone", addr: srvAddr(5), run: keepaliveGone,
			how: HowRST, by: ByOrig, cause: CauseKeepalive},
		{name: "the server vanishes, TCP_USER_TIMEOUT (IPv6)", addr: srvAddr6(5), run: vanished6,
			how: HowTimeout, by: ByNone, cause: CauseVanished},
		{name: "SYNs dropped", addr: srvAddr(6), run: synDropped,
			how: HowSYNTimeout, by: ByNone, cause: CauseNoAnswer},
	}
}

func (n *realNet) cmd(args ...string) error {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// keepOpen leaves connections open until the captures have stopped.
func (n *realNet) keepOpen(cs ...io.Closer) {
	n.mu.Lock()
	n.open = append(n.open, cs...)
	n.mu.Unlock()
}

// fault makes the router drop everything to and from the server address
// addr (blackhole) or answer what is sent to it with ICMP unreachable
// (unreachable).
func (n *realNet) fault(kind, addr string) error {
	host, _, _ := net.SplitHostPort(addr)
	fam, pfx := "-4", host+"/32"
	if strings.Contains(host, ":") {
		fam, pfx = "-6", host+"/128"
	}
	if err := n.cmd("-n", n.router, fam, "route", "add", kind, pfx); err != nil || kind != "blackhole" {
		return err
	}
	return n.cmd("-n", n.router, fam, "rule", "add", "from", pfx, "blackhole")
}

// unfault undoes fault("unreachable", addr).
func (n *realNet) unfault(addr string) error {
	host, _, _ := net.SplitHostPort(addr)
	return n.cmd("-n", n.router, "route", "del", "unreachable", host+"/32")
}

// pair is a connected client and server; d configures the client's dial.
func (n *realNet) pair(addr string, d *net.Dialer) (c, s *net.TCPConn, err error) {
	var l net.Listener
	if err := n.in(n.server, func() (err error) { l, err = net.Listen("tcp", addr); return }); err != nil {
		return nil, nil, err
	}
	defer l.Close()
	cc, err := n.dial(addr, d)
	if err != nil {
		return nil, nil, err
	}
	sc, err := l.Accept()
	if err != nil {
		cc.Close()
		return nil, nil, err
	}
	c, s = cc.(*net.TCPConn), sc.(*net.TCPConn)
	deadline := time.Now().Add(10 * time.Second) // a bug must not hang the test
	c.SetDeadline(deadline)
	s.SetDeadline(deadline)
	return c, s, nil
}

func (n *realNet) dial(addr string, d *net.Dialer) (c net.Conn, err error) {
	if d == nil {
		d = &net.Dialer{}
	}
	err = n.in(n.client, func() (err error) { c, err = d.Dial("tcp", addr); return })
	return c, err
}

// tcpOpts is a Dialer.Control setting TCP options on the socket.
func tcpOpts(opts ...[2]int) func(string, string, syscall.RawConn) error {
	return func(_, _ string, rc syscall.RawConn) error { return setTCP(rc, opts...) }
}

// setTCP sets TCP options on rc's socket.
func setTCP(rc syscall.RawConn, opts ...[2]int) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		for _, o := range opts {
			serr = errors.Join(serr, unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, o[0], o[1]))
		}
	})
	return errors.Join(err, serr)
}

// pairTimingOut is pair with TCP_USER_TIMEOUT ms set on the client once
// connected (set before the connect, it would also cut the SYN's
// retransmissions).
func (n *realNet) pairTimingOut(addr string, ms int) (c, s *net.TCPConn, err error) {
	if c, s, err = n.pair(addr, nil); err != nil {
		return nil, nil, err
	}
	rc, err := c.SyscallConn()
	if err == nil {
		err = setTCP(rc, [2]int{unix.TCP_USER_TIMEOUT, ms})
	}
	if err != nil {
		c.Close()
		s.Close()
		return nil, nil, err
	}
	return c, s, nil
}

// waitClosed waits until c's socket is in state CLOSE, as an RST leaves it.
func waitClosed(c *net.TCPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	for range 250 {
		var info *unix.TCPInfo
		var ierr error
		if err := rc.Control(func(fd uintptr) { info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) }); err != nil {
			return err
		}
		if ierr != nil {
			return ierr
		}
		if info.State == unix.BPF_TCP_CLOSE {
			return nil
		}
		time.Sleep(pause / 5)
	}
	return errors.New("the socket did not close in 5 s")
}

// readAll reads until an error, which it returns (io.EOF at the end).
func readAll(c net.Conn) error {
	b := make([]byte, 64)
	for {
		if _, err := c.Read(b); err != nil {
			return err
		}
	}
}

func closeUnread(n *realNet, addr string) (string, string, error) {
	c, s, err := n.pair(addr, nil)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello")); err != nil {
		return "", "", err
	}
	time.Sleep(pause)
	serr := s.Close()
	time.Sleep(pause)
	_, cerr := c.Read(make([]byte, 16))
	return errnoOf(cerr), errnoOf(serr), nil
}

func lingerZero(n *realNet, addr string) (string, string, error) {
	c, s, err := n.pair(addr, nil)
	if err != nil {
		return "", "", err
	}
	defer s.Close()
	if err := c.SetLinger(0); err != nil {
		return "", "", err
	}
	cerr := c.Close()
	return errnoOf(cerr), errnoOf(readAll(s)), nil
}

// unreadAfterPeerClose: the server writes more than the client reads and
// closes; the client's close then sends an RST to a server that is told
// nothing, since its socket is closed.
func unreadAfterPeerClose(n *realNet, addr string) (string, string, error) {
	c, s, err := n.pair(addr, nil)
	if err != nil {
		return "", "", err
	}
	if _, err := s.Write(make([]byte, 100000)); err != nil {
		return "", "", err
	}
	serr := s.Close()
	if _, err := c.Read(make([]byte, 10)); err != nil {
		return "", "", err
	}
	time.Sleep(pause)
	return errnoOf(c.Close()), errnoOf(serr), nil
}

func writeAfterFIN(n *realNet, addr string) (string, string, error) {
	c, s, err := n.pair(addr, nil)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	if _, err := c.Write([]byte("req 1")); err != nil {
		return "", "", err
	}
	if _, err := s.Read(make([]byte, 16)); err != nil {
		return "", "", err
	}
	_, err = s.Write([]byte("resp"))
	serr := errors.Join(err, s.Close()) // an idle keep-alive connection closed
	if _, err := c.Read(make([]byte, 16)); err != nil {
		return "", "", err
	}
	time.Sleep(pause)
	if _, err := c.Write([]byte("req 2")); err != nil { // the FIN is not seen by a write
		return "", "", err
	}
	if err := waitClosed(c); err != nil { // the server's RST has come
		return "", "", err
	}
	if err := readAll(c); errnoOf(err) != ErrnoEOF {
		return "", "", fmt.Errorf("the read after the FIN and the RST got %v, want EOF", err)
	}
	_, cerr := c.Write([]byte("req 3"))
	return errnoOf(cerr), errnoOf(serr), nil
}

func halfClose(n *realNet, addr string) (string, string, error) {
	c, s, err := n.pair(addr, nil)
	if err != nil {
		return "", "", err
	}
	if _, err := c.Write([]byte("req")); err != nil {
		return "", "", err
	}
	if err := c.CloseWrite(); err != nil {
		return "", "", err
	}
	serr := readAll(s)
	if _, err := s.Write([]byte("reply")); err != nil {
		return "", "", err
	}
	if err := s.Close(); err != nil {
		return "", "", err
	}
	cerr := readAll(c)
	return errnoOf(cerr), errnoOf(serr), c.Close()
}

func refused(n *realNet, addr string) (string, string, error) {
	_, err := n.dial(addr, nil)
	return errnoOf(err), ErrnoNone, nil
}

func unreachableConnect(n *realNet, addr string) (string, string, error) {
	if err := n.fault("unreachable", addr); err != nil {
		return "", "", err
	}
	_, err := n.dial(addr, nil)
	return errnoOf(err), ErrnoNone, nil
}

// unreachableThenRST: the router answers the client's data with ICMP
// host unreachable; Linux keeps it as a soft error and reports it when
// TCP_USER_TIMEOUT ends the retransmissions. The server, which never
// got that data, closes a second later with a byte unread: its RST
// reaches a client socket that is already closed.
func unreachableThenRST(n *realNet, addr string) (string, string, error) {
	c, s, err := n.pairTimingOut(addr, 500)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	if _, err := c.Write([]byte("a")); err != nil {
		return "", "", err
	}
	time.Sleep(pause)
	if err := n.fault("unreachable", addr); err != nil {
		return "", "", err
	}
	if _, err := c.Write([]byte("data")); err != nil {
		return "", "", err
	}
	_, cerr := c.Read(make([]byte, 16))
	time.Sleep(10 * pause)
	serr := s.Close()
	time.Sleep(pause)
	return errnoOf(cerr), errnoOf(serr), nil
}

// unreachableSurvived: an ICMP error for a retransmitted segment is only
// a soft error to Linux, forgotten once the path is back.
func unreachableSurvived(n *realNet, addr string) (string, string, error) {
	c, s, err := n.pair(addr, nil)
	if err != nil {
		return "", "", err
	}
	n.keepOpen(c, s)
	if err := n.fault("unreachable", addr); err != nil {
		return "", "", err
	}
	if _, err := c.Write([]byte("data")); err != nil {
		return "", "", err
	}
	time.Sleep(3 * pause)
	if err := n.unfault(addr); err != nil {
		return "", "", err
	}
	_, serr := s.Read(make([]byte, 16))
	if serr == nil {
		_, serr = s.Write([]byte("ok"))
	}
	_, cerr := c.Read(make([]byte, 16))
	return errnoOf(cerr), errnoOf(serr), nil
}

func keepaliveGone(n *realNet, addr string) (string, string, error) {
	ka := net.KeepAliveConfig{Enable: true, Idle: time.Second, Interval: time.Second, Count: 1}
	c, s, err := n.pair(addr, &net.Dialer{KeepAliveConfig: ka})
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	defer s.Close()
	if err := n.fault("blackhole", addr); err != nil {
		return "", "", err
	}
	_, cerr := c.Read(make([]byte, 16))
	return errnoOf(cerr), ErrnoNone, nil
}

func vanished6(n *realNet, addr string) (string, string, error) {
	c, s, err := n.pairTimingOut(addr, 1000)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	defer s.Close()
	if err := n.fault("blackhole", addr); err != nil {
		return "", "", err
	}
	if _, err := c.Write([]byte("data")); err != nil {
		return "", "", err
	}
	_, cerr := c.Read(make([]byte, 16))
	return errnoOf(cerr), ErrnoNone, nil
}

func synDropped(n *realNet, addr string) (string, string, error) {
	if err := n.fault("blackhole", addr); err != nil {
		return "", "", err
	}
	// One retransmitted SYN, and TCP_USER_TIMEOUT to give up soon after.
	_, err := n.dial(addr, &net.Dialer{Control: tcpOpts([2]int{unix.TCP_SYNCNT, 1}, [2]int{unix.TCP_USER_TIMEOUT, 1500})})
	return errnoOf(err), ErrnoNone, nil
}
