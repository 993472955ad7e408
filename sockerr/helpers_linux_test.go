package sockerr

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var pairSeq atomic.Int64

// dialPair connects a client to a server over network, "tcp" on 127.0.0.1
// or "unix" on an abstract socket, in the network namespace of the calling
// thread. It does not use t, so that it may run on a goroutine locked in
// another namespace.
func dialPair(network string) (client, server net.Conn, err error) {
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = fmt.Sprintf("@tdsockerr-%d-%d", os.Getpid(), pairSeq.Add(1))
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	client, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return client, server, nil
}

// pair is dialPair for the test's goroutine: it fails the test on error and
// closes both ends when the test ends.
func pair(t *testing.T, network string) (client, server net.Conn) {
	t.Helper()
	client, server, err := dialPair(network)
	if err != nil {
		t.Fatalf("connect a %s pair: %v", network, err)
	}
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

// control runs f on conn's descriptor.
func control(conn net.Conn, f func(fd int) error) error {
	rc, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// waitUnread waits until conn's receive queue holds bytes its application
// has not read (SIOCINQ), so that a test knows a close will find them. It
// observes the queue rather than sleeping, and gives up after a bound.
func waitUnread(conn net.Conn) error {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		var n int
		err := control(conn, func(fd int) (err error) {
			n, err = unix.IoctlGetInt(fd, unix.SIOCINQ)
			return err
		})
		if err != nil {
			return fmt.Errorf("SIOCINQ: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
	return errors.New("no unread bytes arrived within 10s")
}

// netns is a network namespace made with ip(8) for one test, and deleted
// when the test ends, also when it fails.
type netns struct{ name string }

var (
	nsSeq        atomic.Int64
	sweepStaleNS sync.Once
)

// newNetns makes a network namespace whose loopback is up. It skips the
// test unless the process is root and ip(8) is installed.
func newNetns(t *testing.T) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making a network namespace needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("making a network namespace needs ip(8) from iproute2")
	}
	sweepStaleNS.Do(func() { removeStaleNetns(t) })
	n := &netns{name: fmt.Sprintf("tdsockerr-%d-%d", os.Getpid(), nsSeq.Add(1))}
	ipCmd(t, "netns", "add", n.name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", n.name, err, out)
		}
	})
	n.ip(t, "link", "set", "lo", "up")
	return n
}

// removeStaleNetns deletes namespaces that a test process which no longer
// runs left behind (killed before its cleanup).
func removeStaleNetns(t *testing.T) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(line, " ")
		rest, ok := strings.CutPrefix(name, "tdsockerr-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(strings.Split(rest, "-")[0])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			t.Logf("removing namespace %s left by process %d", name, pid)
			exec.Command("ip", "netns", "del", name).Run()
		}
	}
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// ip runs ip(8) inside n.
func (n *netns) ip(t *testing.T, args ...string) {
	t.Helper()
	ipCmd(t, append([]string{"-n", n.name}, args...)...)
}

// run calls f on an OS thread inside n and waits for it. Sockets f creates
// belong to n for their whole life, whichever goroutine uses them later.
// The thread stays locked, so the Go runtime discards it when f returns. f
// must not call t.Fatal.
func (n *netns) run(t *testing.T, f func()) {
	t.Helper()
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		var fd int
		fd, err = unix.Open("/run/netns/"+n.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return
		}
		defer unix.Close(fd)
		if err = unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return
		}
		f()
	}()
	<-done
	if err != nil {
		t.Fatalf("enter namespace %s: %v", n.name, err)
	}
}

// tcpCounters reads the TcpExt counters of n, such as TCPAbortOnClose (an
// RST sent because a socket was closed with unread data) and
// TCPAbortOnData (an RST sent because data arrived after close).
func (n *netns) tcpCounters(t *testing.T) map[string]int64 {
	t.Helper()
	var b []byte
	var err error
	n.run(t, func() { b, err = os.ReadFile("/proc/thread-self/net/netstat") })
	if err != nil {
		t.Fatal(err)
	}
	counters := make(map[string]int64)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		names := strings.Fields(sc.Text())
		if !sc.Scan() {
			break
		}
		values := strings.Fields(sc.Text())
		if len(names) == 0 || names[0] != "TcpExt:" || len(values) != len(names) {
			continue
		}
		for i := 1; i < len(names); i++ {
			v, _ := strconv.ParseInt(values[i], 10, 64)
			counters[names[i]] = v
		}
	}
	if _, ok := counters["TCPAbortOnClose"]; !ok {
		t.Fatal("no TcpExt TCPAbortOnClose counter in /proc/net/netstat")
	}
	return counters
}
