package kernel

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/observe/internal/nstest"
	"github.com/teardown-net/teardown/observe/tcpstate"
)

// open starts an observer limited to the calling thread's namespace, which
// the test must have entered.
func open(t *testing.T, cfg Config) *Observer {
	t.Helper()
	cfg.FilterNetns = true
	cfg.Netns = append(cfg.Netns, netnsOf(t, "/proc/thread-self/ns/net"))
	o, err := Open(cfg)
	if errors.Is(err, ErrUnsupported) && !capable() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// capable reports whether this process and kernel should run the observer:
// root, and a kernel with BTF. Then any refusal is a test failure.
func capable() bool {
	_, err := os.Stat("/sys/kernel/btf/vmlinux")
	return err == nil && os.Geteuid() == 0
}

func netnsOf(t testing.TB, path string) uint32 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return uint32(st.Ino)
}

// collect reads events until want of them were read or a second passed.
func collect(t *testing.T, o *Observer, want int) []Event {
	t.Helper()
	o.SetDeadline(time.Now().Add(time.Second))
	var evs []Event
	for len(evs) < want {
		e, err := o.Read()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	return evs
}

func find(evs []Event, k Kind) []Event {
	var out []Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func TestRefused(t *testing.T) {
	nstest.Enter(t)
	for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
		o := open(t, Config{})
		lfd, addr := nstest.Listen(t, family, 1)
		nstest.Close(t, lfd) // nothing listens there now
		if err := nstest.DialErr(t, addr); !errors.Is(err, unix.ECONNREFUSED) {
			t.Fatalf("connect to a closed port: %v", err)
		}
		evs := collect(t, o, 2)
		sent, got := find(evs, SendReset), find(evs, ReceiveReset)
		if len(sent) != 1 || len(got) != 1 {
			t.Fatalf("family %d: want one RST sent and one received, got %+v", family, evs)
		}
		s := sent[0]
		if !s.NoSocket || s.Local != addr || (o.HasReason() && s.Reason != "NO_SOCKET") {
			t.Errorf("sent: %+v, want NO_SOCKET from %v", s, addr)
		}
		r := got[0]
		if r.State != tcpstate.SynSent || r.Remote != addr || Predicted(r.State) != syscall.ECONNREFUSED || r.Errno != syscall.ECONNREFUSED {
			t.Errorf("received: %+v, want SYN_SENT from %v with ECONNREFUSED", r, addr)
		}
		if r.Owner.PID != os.Getpid() || r.Owner.How != Exact {
			t.Errorf("received: owner %+v, want pid %d exact", r.Owner, os.Getpid())
		}
		o.Close()
	}
}

func TestCloseUnread(t *testing.T) {
	nstest.Enter(t)
	o := open(t, Config{})
	c, s, _ := nstest.Pair(t, unix.AF_INET)
	nstest.Write(t, c, "hello")
	time.Sleep(10 * time.Millisecond) // loopback delivers before write returns; margin for the softirq
	nstest.Close(t, s)
	evs := collect(t, o, 2)
	sent, got := find(evs, SendReset), find(evs, ReceiveReset)
	if len(sent) != 1 || len(got) != 1 {
		t.Fatalf("want one RST sent and one received, got %+v", evs)
	}
	if e := sent[0]; !e.Queues || e.Unread != 5 || e.Owner.PID != os.Getpid() || e.Owner.How != Exact ||
		(o.HasReason() && e.Reason != "TCP_ABORT_ON_CLOSE") {
		t.Errorf("sent: %+v, want 5 unread, TCP_ABORT_ON_CLOSE, owner pid %d", e, os.Getpid())
	}
	if e := got[0]; e.State != tcpstate.Established || e.Errno != syscall.ECONNRESET || e.Owner.PID != os.Getpid() {
		t.Errorf("received: %+v, want ESTABLISHED, ECONNRESET, owner pid %d", e, os.Getpid())
	}
	if e := got[0]; e.Cookie == sent[0].Cookie || e.Cookie == 0 {
		t.Errorf("both ends have cookie %d", e.Cookie)
	}
}

// TestSnapshot: a socket made before the observer started, and not used
// since, is attributed from the walk of the tasks' files.
func TestSnapshot(t *testing.T) {
	nstest.Enter(t)
	c, s, _ := nstest.Pair(t, unix.AF_INET6)
	nstest.Write(t, c, "hello")
	o := open(t, Config{})
	nstest.Close(t, s)
	evs := collect(t, o, 2)
	got := find(evs, ReceiveReset)
	if len(got) != 1 {
		t.Fatalf("want one RST received, got %+v", evs)
	}
	if e := got[0]; e.Owner.PID != os.Getpid() || e.Owner.How != Snapshot || e.Owner.Comm == "" {
		t.Errorf("received: owner %+v, want pid %d by snapshot", e.Owner, os.Getpid())
	}
}

// TestOtherNamespace: events of a namespace the filter leaves out never
// arrive.
func TestOtherNamespace(t *testing.T) {
	nstest.Enter(t)
	o := open(t, Config{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		nstest.Enter(t)
		c, s, _ := nstest.Pair(t, unix.AF_INET)
		nstest.Linger0(t, c)
		nstest.Close(t, c)
		_ = s
	}()
	<-done
	if evs := collect(t, o, 1); len(evs) != 0 {
		t.Errorf("events from another namespace: %+v", evs)
	}
}

// TestAccepted: a connection accepted but not acted on since is attributed
// to the process that owns its listener.
func TestAccepted(t *testing.T) {
	nstest.Enter(t)
	o := open(t, Config{States: true})
	c, s, _ := nstest.Pair(t, unix.AF_INET6)
	_ = s
	nstest.Linger0(t, c)
	nstest.Close(t, c)
	evs := collect(t, o, 9)
	got := find(evs, ReceiveReset)
	if len(got) != 1 {
		t.Fatalf("want one RST received, got %+v", evs)
	}
	if e := got[0]; e.Owner.PID != os.Getpid() || !e.Owner.Listener {
		t.Errorf("received: %+v, want the listener's owner, pid %d", e, os.Getpid())
	}
}

// TestSync: what a system call caused is returned by the next Sync, with
// no waiting, and only once.
func TestSync(t *testing.T) {
	nstest.Enter(t)
	o := open(t, Config{})
	c, s, _ := nstest.Pair(t, unix.AF_INET)
	nstest.Write(t, c, "hello")
	nstest.Close(t, s)
	evs, err := o.Sync()
	if err != nil {
		t.Fatal(err)
	}
	if len(find(evs, SendReset)) != 1 || len(find(evs, ReceiveReset)) != 1 {
		t.Fatalf("Sync after close with unread data: %+v, want one RST sent and one received", evs)
	}
	if r := find(evs, ReceiveReset)[0]; r.Errno != unix.ECONNRESET {
		t.Errorf("received RST: errno %v, want ECONNRESET paired within the same Sync", r.Errno)
	}
	if evs, err := o.Sync(); err != nil || len(evs) != 0 {
		t.Errorf("second Sync: %+v, %v; want nothing", evs, err)
	}
}

// TestPortFilter: with Ports, only connections with one of them at either
// end pass; the others are dropped in the kernel.
func TestPortFilter(t *testing.T) {
	nstest.Enter(t)
	lfd1, addr1 := nstest.Listen(t, unix.AF_INET, 1)
	lfd2, addr2 := nstest.Listen(t, unix.AF_INET, 1)
	nstest.Close(t, lfd1)
	nstest.Close(t, lfd2)
	o := open(t, Config{Ports: []uint16{addr2.Port()}})
	nstest.DialErr(t, addr1)
	nstest.DialErr(t, addr2)
	evs := collect(t, o, 3)
	if len(evs) != 2 {
		t.Fatalf("want the two RSTs of port %d only, got %+v", addr2.Port(), evs)
	}
	for _, e := range evs {
		if e.Local.Port() != addr2.Port() && e.Remote.Port() != addr2.Port() {
			t.Errorf("port filter %d let through %+v", addr2.Port(), e)
		}
	}
}

// TestReportsAndDenyNetns: with Reports, the error after a received RST is
// an event of its own and the RST carries none; after DenyNetns the
// namespace's events no longer pass, and after AllowNetns they pass again.
func TestReportsAndDenyNetns(t *testing.T) {
	nstest.Enter(t)
	o := open(t, Config{Reports: true})
	here := netnsOf(t, "/proc/thread-self/ns/net")
	refuse := func() []Event {
		t.Helper()
		lfd, addr := nstest.Listen(t, unix.AF_INET, 1)
		nstest.Close(t, lfd)
		if err := nstest.DialErr(t, addr); !errors.Is(err, unix.ECONNREFUSED) {
			t.Fatalf("connect to a closed port: %v", err)
		}
		evs, err := o.Sync()
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	evs := refuse()
	got, errs := find(evs, ReceiveReset), find(evs, SocketError)
	if len(got) != 1 || len(errs) == 0 {
		t.Fatalf("refused connect with Reports: %+v, want one RST received and its error report", evs)
	}
	if got[0].Errno != 0 || got[0].ErrnoPending {
		t.Errorf("received RST with Reports: %+v, want no errno of its own", got[0])
	}
	if errs[0].Errno != unix.ECONNREFUSED || errs[0].Cookie != got[0].Cookie {
		t.Errorf("error report: %+v, want ECONNREFUSED on the RST's socket (cookie %d)", errs[0], got[0].Cookie)
	}
	if err := o.DenyNetns(here); err != nil {
		t.Fatal(err)
	}
	if evs := refuse(); len(evs) != 0 {
		t.Errorf("after DenyNetns: %+v, want nothing", evs)
	}
	if err := o.AllowNetns(here); err != nil {
		t.Fatal(err)
	}
	if evs := refuse(); len(find(evs, SendReset)) != 1 {
		t.Errorf("after AllowNetns again: %+v, want the RST sent", evs)
	}
	if n, err := o.Lost(); err != nil || n != 0 {
		t.Errorf("lost %d, %v; want 0", n, err)
	}
}

// TestRingSizeLoaded: the ring buffer the kernel made is the size asked.
func TestRingSizeLoaded(t *testing.T) {
	nstest.Enter(t)
	o := open(t, Config{RingSize: 3 << 20})
	if got := o.maps.events.MaxEntries(); got != 4<<20 {
		t.Errorf("ring buffer of %d bytes, want %d (3 MiB rounded up)", got, 4<<20)
	}
}

// TestOwnerOutlivesChurn: an idle connection keeps its owner while more
// short connections than the owners map holds come and go, as on a busy
// proxy: destroyed sockets leave owners, so they do not push out the
// entries of sockets that still exist. The idle connection's owner is then
// checked on an RST it receives in softirq, where no task acts on it.
func TestOwnerOutlivesChurn(t *testing.T) {
	nstest.Enter(t)
	o := open(t, Config{})
	c, s, _ := nstest.Pair(t, unix.AF_INET)
	nstest.Write(t, c, "hello")

	lfd, addr := nstest.Listen(t, unix.AF_INET, 128)
	sa := &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	// Two owners each (the connect and the accepted socket's close), more
	// than the map's 65,536 entries in all.
	const churn = 40000
	for i := 0; i < churn; i++ {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Connect(fd, sa); err != nil {
			unix.Close(fd)
			t.Fatalf("connection %d: %v", i, err)
		}
		afd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		if err != nil {
			unix.Close(fd)
			t.Fatalf("accept %d: %v", i, err)
		}
		unix.Close(afd)
		unix.Close(fd)
	}

	nstest.Close(t, s) // 5 bytes unread: an RST to c
	var got []Event
	nstest.Eventually(t, "the idle connection's RST", func() bool {
		got = append(got, find(collect(t, o, 1), ReceiveReset)...)
		return len(got) > 0
	})
	if e := got[0]; e.Owner.PID != os.Getpid() || e.Owner.How != Exact {
		t.Errorf("RST received by the idle connection: owner %+v, want pid %d exact", e.Owner, os.Getpid())
	}
}
