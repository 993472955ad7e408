//go:build linux

package analyze

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// realNet is three network namespaces made for a test: a client and a
// server, each on a veth pair to a router between them, over IPv4 and
// IPv6. The server has several addresses, so that a fault the router makes
// for one of them leaves the others alone.
type realNet struct {
	client, router, server string
	mu                     sync.Mutex
	open                   []io.Closer // see keepOpen
}

// The server's addresses: srvAddr(n) is 198.18.2.n and srvAddr6(n)
// 2001:db8:2::n.
func srvAddr(n int) string  { return fmt.Sprintf("198.18.2.%d", n) }
func srvAddr6(n int) string { return fmt.Sprintf("2001:db8:2::%d", n) }

// newRealNet makes the namespaces, or skips the test when it cannot.
func newRealNet(t *testing.T) *realNet {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: it makes network namespaces")
	}
	for _, p := range []string{"ip", "tcpdump"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("needs %s (Debian packages iproute2 and tcpdump): %v", p, err)
		}
	}
	id := fmt.Sprintf("tdreal%d", os.Getpid())
	n := &realNet{client: id + "c", router: id + "r", server: id + "s"}
	for _, ns := range []string{n.client, n.router, n.server} {
		ns := ns
		n.ip(t, "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		n.ip(t, "-n", ns, "link", "set", "lo", "up")
	}
	n.ip(t, "link", "add", "c0", "netns", n.client, "type", "veth", "peer", "name", "c1", "netns", n.router)
	n.ip(t, "link", "add", "s0", "netns", n.server, "type", "veth", "peer", "name", "s1", "netns", n.router)
	addrs := [][]string{
		{n.client, "c0", "198.18.1.1/24", "2001:db8:1::1/64"},
		{n.router, "c1", "198.18.1.254/24", "2001:db8:1::fe/64"},
		{n.router, "s1", "198.18.2.254/24", "2001:db8:2::fe/64"},
	}
	for i := 1; i <= 8; i++ {
		addrs = append(addrs, []string{n.server, "s0", srvAddr(i) + "/24", srvAddr6(i) + "/64"})
	}
	for _, a := range addrs {
		n.ip(t, "-n", a[0], "addr", "add", a[2], "dev", a[1])
		n.ip(t, "-n", a[0], "addr", "add", a[3], "dev", a[1], "nodad")
	}
	for _, l := range [][2]string{{n.client, "c0"}, {n.router, "c1"}, {n.router, "s1"}, {n.server, "s0"}} {
		// No duplicate address detection: while its link-local address
		// is tentative the router cannot resolve neighbours, and the
		// first SYN of an IPv6 case would wait a second for it.
		err := n.in(l[0], func() error {
			return os.WriteFile("/proc/sys/net/ipv6/conf/"+l[1]+"/accept_dad", []byte("0"), 0)
		})
		if err != nil {
			t.Fatalf("%s: %v", l[0], err)
		}
		n.ip(t, "-n", l[0], "link", "set", l[1], "up")
	}
	n.settle(t)
	n.ip(t, "-n", n.client, "route", "add", "default", "via", "198.18.1.254")
	n.ip(t, "-n", n.client, "-6", "route", "add", "default", "via", "2001:db8:1::fe")
	n.ip(t, "-n", n.server, "route", "add", "default", "via", "198.18.2.254")
	n.ip(t, "-n", n.server, "-6", "route", "add", "default", "via", "2001:db8:2::fe")
	err := n.in(n.router, func() error {
		// Forward, and send every ICMP error: the rate limit would
		// swallow some of those the cases provoke.
		for f, v := range map[string]string{"/proc/sys/net/ipv4/ip_forward": "1", "/proc/sys/net/ipv6/conf/all/forwarding": "1",
			"/proc/sys/net/ipv4/icmp_ratemask": "0", "/proc/sys/net/ipv6/icmp/ratelimit": "0"} {
			if err := os.WriteFile(f, []byte(v), 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("router forwarding: %v", err)
	}
	return n
}

// settle waits until the links can send: a link just set up drops what
// it is given until the kernel's link watcher replaces its "noop" queueing
// discipline, and an IPv6 address cannot send while it is tentative. The
// first SYN would otherwise be lost, and sent again a second later.
func (n *realNet) settle(t *testing.T) {
	t.Helper()
	for range 100 {
		ready := true
		for _, l := range [][2]string{{n.client, "c0"}, {n.router, "c1"}, {n.router, "s1"}, {n.server, "s0"}} {
			link, err1 := exec.Command("ip", "-n", l[0], "link", "show", "dev", l[1]).Output()
			addr, err2 := exec.Command("ip", "-n", l[0], "-6", "addr", "show", "dev", l[1], "tentative").Output()
			if err := errors.Join(err1, err2); err != nil {
				t.Fatalf("%s %s: %v", l[0], l[1], err)
			}
			ready = ready && !strings.Contains(string(link), "qdisc noop") && len(strings.TrimSpace(string(addr))) == 0
		}
		if ready {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the links did not come up in 2 seconds")
}

func (n *realNet) ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// in runs f on a thread of its own in namespace ns. Sockets f makes stay
// in ns wherever they are used later; the thread is never given back, so
// the Go runtime ends it.
func (n *realNet) in(ns string, f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- fmt.Errorf("open namespace %s: %w", ns, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			done <- fmt.Errorf("enter namespace %s: %w", ns, err)
			return
		}
		done <- f()
	}()
	return <-done
}

// capture starts tcpdump on dev in ns, writing path, and returns once it
// listens; stop ends it and waits for the file to be whole.
func (n *realNet) capture(t *testing.T, ns, dev, path string) (stop func()) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "tcpdump", "-n", "-U", "--immediate-mode", "-i", dev, "-w", path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "listening on") {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return stop
		}
	}
	stop()
	t.Fatalf("tcpdump on %s in %s did not start", dev, ns)
	return nil
}

// errnoOf names what a program was told, as the verdict names it.
func errnoOf(err error) string {
	var en syscall.Errno
	switch {
	case err == nil:
		return ErrnoNone
	case errors.Is(err, io.EOF):
		return ErrnoEOF
	case errors.As(err, &en):
		return unix.ErrnoName(en)
	}
	return err.Error()
}

// realCase is one way real programs end a connection: run does it and
// returns what the client's and the server's calls were told (the truth),
// and the rest is the verdict expected at each capture point.
type realCase struct {
	name            string
	addr            string // the server's
	run             func(n *realNet, addr string) (client, server string, err error)
	how, by, cause  string
	confidenceNotHi bool // the packets cannot show it: the confidence must not be high
}

// TestRealPrograms ends connections between Go programs in namespaces in
// the ways teardown knows, captures them at the client and at the router
// between, and checks that analyze's verdict is the expected one and that
// the errno it gives each side is what that side's calls got.
func TestRealPrograms(t *testing.T) {
	n := newRealNet(t)
	dir := t.TempDir()
	cases := realCases()
	points := map[string]string{"client": filepath.Join(dir, "client.pcap"), "middle": filepath.Join(dir, "middle.pcap")}
	stops := []func(){n.capture(t, n.client, "c0", points["client"]), n.capture(t, n.router, "c1", points["middle"])}
	type truth struct{ client, server string }
	truths := make([]truth, len(cases))
	errs := make(chan error, len(cases))
	for i, tc := range cases {
		go func() {
			c, s, err := tc.run(n, net.JoinHostPort(tc.addr, fmt.Sprint(realPort+i)))
			truths[i] = truth{c, s}
			if err != nil {
				err = fmt.Errorf("%s: %w", tc.name, err)
			}
			errs <- err
		}()
	}
	for range cases {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	time.Sleep(pause) // for tcpdump to write the last packets: it drops those it has not read when stopped
	for _, stop := range stops {
		stop()
	}
	for _, c := range n.open {
		c.Close()
	}
	if t.Failed() {
		return
	}
	for point, file := range points {
		conns, _ := analyzeFile(t, file, Options{})
		for i, tc := range cases {
			var c *Conn
			for _, cc := range conns {
				if int(cc.Resp().Port()) == realPort+i {
					c = cc
				}
			}
			if c == nil {
				t.Errorf("%s at the %s: no connection in the capture", tc.name, point)
				continue
			}
			v := c.Verdict()
			t.Logf("%s at the %s: %s %s, %s by %s, cause %s (%s), errno %s/%s; the programs got %s/%s",
				tc.name, point, c.ConnState(), c.History(), v.How, v.By, v.Cause.ID, v.Cause.Confidence,
				v.OrigErrno, v.RespErrno, truths[i].client, truths[i].server)
			if v.How != tc.how || v.By != tc.by || v.Cause.ID != tc.cause {
				t.Errorf("%s at the %s: %s by %s, cause %s; want %s by %s, cause %s (%s)",
					tc.name, point, v.How, v.By, v.Cause.ID, tc.how, tc.by, tc.cause, strings.Join(v.Cause.Evidence, "; "))
			}
			if v.OrigErrno != truths[i].client || v.RespErrno != truths[i].server {
				t.Errorf("%s at the %s: errno %s/%s, but the client got %s and the server %s",
					tc.name, point, v.OrigErrno, v.RespErrno, truths[i].client, truths[i].server)
			}
			if tc.confidenceNotHi && v.Cause.Confidence == ConfidenceHigh {
				t.Errorf("%s at the %s: confidence high for what the packets cannot show", tc.name, point)
			}
		}
	}
}

// realPort is the first case's server port; each case has the next.
const realPort = 32001
