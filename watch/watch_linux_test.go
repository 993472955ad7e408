package watch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/kernel"
)

// settle is how long a test keeps reading after it has the events it
// wants, so that a duplicate or stray event would show.
const settle = 300 * time.Millisecond

func only(t *testing.T, recs []Record, event string) Record {
	t.Helper()
	got := pick(recs, event)
	if len(got) != 1 {
		t.Fatalf("want exactly one %s, got %d in %s", event, len(got), dump(recs))
	}
	return got[0]
}

func dump(recs []Record) string {
	var b strings.Builder
	for _, r := range recs {
		b.WriteString("\n\t" + r.Text())
	}
	return b.String()
}

func netnsOnly(hs ...*host) kernel.Config {
	cfg := kernel.Config{FilterNetns: true}
	for _, h := range hs {
		cfg.Netns = append(cfg.Netns, h.ino)
	}
	return cfg
}

// TestCloseUnread: a Python server in one namespace closes a connection
// with 11 bytes it did not read; the RST it sends is the server's, with the
// unread count, and the RST its client in another namespace receives is the
// client's, with ECONNRESET, which is what the client then gets. Also for
// sockets opened before the observer.
func TestCloseUnread(t *testing.T) {
	for _, before := range []bool{false, true} {
		t.Run(fmt.Sprintf("opened-before-watch=%v", before), func(t *testing.T) {
			a, b := twoHosts(t)
			srv, cli := startActor(t, a), startActor(t, b)
			var o *kernel.Observer
			var w *Watcher
			if !before {
				o, w = observe(t, netnsOnly(a, b))
			}
			srv.must("listen " + addrA + " 8080")
			cli.must("connect " + addrA + " 8080")
			srv.must("accept")
			cli.must("send 11")
			srv.must("readable")
			if before {
				o, w = observe(t, netnsOnly(a, b))
			}
			srv.must("close")
			app := cli.do("recv 16")
			recs := records(t, o, w, settle, both(count("send_reset", 1), count("receive_reset", 1)))
			s := only(t, recs, "send_reset")
			if s.Owner.PID != srv.pid || s.Owner.Attribution != "exact" || s.Netns != a.ino || s.Local != addrA+":8080" {
				t.Errorf("sent RST: %s\nwant it from %s:8080 owned by the server, pid %d, exactly", s.Text(), addrA, srv.pid)
			}
			if s.Unread == nil || *s.Unread != 11 {
				t.Errorf("sent RST: unread %v, want 11", s.Unread)
			}
			if *s.ReasonAvailable && s.Reason != "TCP_ABORT_ON_CLOSE" {
				t.Errorf("sent RST: reason %q, want TCP_ABORT_ON_CLOSE", s.Reason)
			}
			r := only(t, recs, "receive_reset")
			wantHow := "exact"
			if before {
				wantHow = "snapshot"
			}
			if r.Owner.PID != cli.pid || r.Owner.Attribution != wantHow || r.Netns != b.ino || r.State != "ESTABLISHED" {
				t.Errorf("received RST: %s\nwant it owned by the client, pid %d (%s), in ESTABLISHED", r.Text(), cli.pid, wantHow)
			}
			// The RST arrived in softirq on the server's CPU time (or a
			// ksoftirqd), never the idle client's: the owner is not the
			// task on the CPU.
			if r.OnCPU == cli.pid {
				t.Errorf("received RST: processed in the client's context; the test does not show attribution from the socket")
			}
			if r.ErrnoPredicted != "ECONNRESET" || r.ErrnoReported != "ECONNRESET" || app != "err "+r.ErrnoPredicted {
				t.Errorf("received RST: predicted %q, reported %q; the client got %q", r.ErrnoPredicted, r.ErrnoReported, app)
			}
		})
	}
}

// TestRefused: an RST answering a SYN is shown with ECONNREFUSED, the error
// connect returns.
func TestRefused(t *testing.T) {
	a, b := twoHosts(t)
	cli := startActor(t, b)
	o, w := observe(t, netnsOnly(a, b))
	app := cli.do("connect " + addrA + " 9")
	recs := records(t, o, w, settle, both(count("send_reset", 1), count("receive_reset", 1)))
	s := only(t, recs, "send_reset")
	if !s.NoSocket || s.Netns != a.ino || s.Owner.Attribution != "none" || (*s.ReasonAvailable && s.Reason != "NO_SOCKET") {
		t.Errorf("sent RST: %s\nwant NO_SOCKET from namespace %d with no owner", s.Text(), a.ino)
	}
	r := only(t, recs, "receive_reset")
	if r.State != "SYN_SENT" || r.Owner.PID != cli.pid || r.ErrnoPredicted != "ECONNREFUSED" || r.ErrnoReported != "ECONNREFUSED" || app != "err ECONNREFUSED" {
		t.Errorf("received RST: %s\nwant SYN_SENT, client pid %d, ECONNREFUSED; connect gave %q", r.Text(), cli.pid, app)
	}
}

// TestWriteAfterFIN: a client writes to a server that has closed; the
// server's orphan answers with an RST, marked orphan with the server as its
// last owner, and the client, in CLOSE_WAIT, is predicted EPIPE, which its
// next write returns.
func TestWriteAfterFIN(t *testing.T) {
	a, b := twoHosts(t)
	srv, cli := startActor(t, a), startActor(t, b)
	o, w := observe(t, netnsOnly(a, b))
	srv.must("listen " + addrA + " 8080")
	cli.must("connect " + addrA + " 8080")
	srv.must("accept")
	srv.must("close")
	if got := cli.must("recv 16"); got != "ok 0" {
		t.Fatalf("client read after FIN: %s, want ok 0", got)
	}
	cli.must("send 5")
	recs := records(t, o, w, settle, both(count("send_reset", 1), count("receive_reset", 1)))
	app := cli.do("send 5")
	s := only(t, recs, "send_reset")
	if !s.Orphan || s.Owner.PID != srv.pid || s.Netns != a.ino {
		t.Errorf("sent RST: %s\nwant an orphan last held by the server, pid %d", s.Text(), srv.pid)
	}
	r := only(t, recs, "receive_reset")
	if r.State != "CLOSE_WAIT" || r.Owner.PID != cli.pid || r.ErrnoPredicted != "EPIPE" || r.ErrnoReported != "EPIPE" || app != "err EPIPE" {
		t.Errorf("received RST: %s\nwant CLOSE_WAIT, client pid %d, EPIPE; the next write gave %q", r.Text(), cli.pid, app)
	}
}

// TestCgroup: a client placed in a cgroup of its own is shown in it, and
// a cgroup filter keeps its events and no others, and those of a cgroup
// made below it after watch started.
func TestCgroup(t *testing.T) {
	a, b := twoHosts(t)
	root := Cgroup2Root()
	dir := filepath.Join(root, fmt.Sprintf("teardown-watch-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a cgroup: %v", err)
	}
	t.Cleanup(func() {
		for i := 0; i < 50 && os.Remove(dir) != nil; i++ {
			time.Sleep(20 * time.Millisecond) // until the actor's exit is accounted
		}
	})
	cli := startActor(t, b)
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(cli.pid)), 0); err != nil {
		t.Skipf("cannot move a process into a cgroup: %v", err)
	}
	cg := NewCgroups(root)
	id, err := cg.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := netnsOnly(a, b)
	cfg.Cgroups = []uint64{id}
	o, w := observe(t, cfg)
	cli.do("connect " + addrA + " 9")
	recs := records(t, o, w, settle, count("receive_reset", 1))
	want := strings.TrimPrefix(dir, root)
	r := only(t, recs, "receive_reset")
	if r.Cgroup != want || r.Owner.Cgroup != want || r.Owner.PID != cli.pid {
		t.Errorf("received RST: %s\nwant cgroup %s for socket and owner", r.Text(), want)
	}
	// The RST sent by namespace A's kernel has no socket, so no cgroup:
	// the filter leaves it out.
	if s := pick(recs, "send_reset"); len(s) != 0 {
		t.Errorf("cgroup filter let through %s", dump(s))
	}

	// A container started after watch: a cgroup made below the filter's,
	// and a process in it. Another outside any is left out.
	sub := filepath.Join(dir, "later")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 50 && os.Remove(sub) != nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	})
	late, outside := startActor(t, b), startActor(t, b)
	if err := os.WriteFile(filepath.Join(sub, "cgroup.procs"), []byte(fmt.Sprint(late.pid)), 0); err != nil {
		t.Fatal(err)
	}
	outside.do("connect " + addrA + " 9")
	late.do("connect " + addrA + " 9")
	recs = records(t, o, w, settle, count("receive_reset", 1))
	r = only(t, recs, "receive_reset")
	if want := strings.TrimPrefix(sub, root); r.Cgroup != want || r.Owner.PID != late.pid {
		t.Errorf("received RST: %s\nwant the process (pid %d) in %s, made after watch started, and none of pid %d outside", r.Text(), late.pid, want, outside.pid)
	}
}

// TestNetnsFilter: with a namespace filter, events of other namespaces
// never appear; with none, those of every namespace do.
func TestNetnsFilter(t *testing.T) {
	a, b := twoHosts(t)
	srv, cli := startActor(t, a), startActor(t, b)
	filtered, wf := observe(t, netnsOnly(a))
	all, wa := observe(t, kernel.Config{})
	srv.must("listen " + addrA + " 8080")
	cli.must("connect " + addrA + " 8080")
	srv.must("accept")
	cli.must("send 3")
	srv.must("readable")
	srv.must("close")

	recs := records(t, filtered, wf, settle, count("send_reset", 1))
	only(t, recs, "send_reset")
	for _, r := range recs {
		if r.Netns != a.ino {
			t.Errorf("namespace filter %d let through %s", a.ino, r.Text())
		}
	}
	recs = records(t, all, wa, settle, func(recs []Record) bool {
		seen := map[uint32]bool{}
		for _, r := range recs {
			seen[r.Netns] = true
		}
		return seen[a.ino] && seen[b.ino]
	})
	seen := map[uint32]int{}
	for _, r := range recs {
		seen[r.Netns]++
	}
	if seen[a.ino] != 1 || seen[b.ino] != 1 {
		t.Errorf("with no filter: %d events from A and %d from B, want 1 each:%s", seen[a.ino], seen[b.ino], dump(recs))
	}
}

// observeTracefs opens the tracefs source with cfg, skipping the test
// where tracefs cannot be had, and a Watcher for its events.
func observeTracefs(t *testing.T, cfg kernel.Config) (*TracefsSource, *Watcher) {
	t.Helper()
	src, err := OpenTracefs(cfg)
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { src.Close() })
	w, err := New(Options{HasReason: src.HasReason()})
	if err != nil {
		t.Fatal(err)
	}
	return src, w
}

// TestTracefsFallback: without eBPF, tracefs still shows both RSTs of a
// refused connect, with no owner and the error the kernel reported.
func TestTracefsFallback(t *testing.T) {
	a, b := twoHosts(t)
	_ = a
	cli := startActor(t, b)
	const port = 47913 // unusual: tracefs sees every namespace's traffic
	src, w := observeTracefs(t, kernel.Config{Ports: []uint16{port}})
	app := cli.do(fmt.Sprintf("connect %s %d", addrA, port))
	var recs []Record
	deadline := time.Now().Add(2 * time.Second)
	for len(recs) < 2 && time.Now().Before(deadline) {
		src.SetDeadline(deadline)
		e, err := src.Read()
		if err != nil {
			break
		}
		if e.Local.Addr().String() == addrA || e.Local.Addr().String() == addrB {
			recs = append(recs, w.Record(&e))
		}
	}
	s := only(t, recs, "send_reset")
	if !s.NoSocket || s.Owner.Attribution != "none" || (*s.ReasonAvailable && s.Reason != "NO_SOCKET") {
		t.Errorf("sent RST: %s", s.Text())
	}
	r := only(t, recs, "receive_reset")
	if r.Owner.Attribution != "none" || r.ErrnoReported != "ECONNREFUSED" || app != "err ECONNREFUSED" {
		t.Errorf("received RST: %s; connect gave %q", r.Text(), app)
	}
	if _, err := OpenTracefs(kernel.Config{FilterNetns: true}); !errors.Is(err, ErrTracefsFilter) {
		t.Errorf("namespace filter with tracefs: %v, want ErrTracefsFilter", err)
	}
}

// TestTimeout: with Errors, a connection whose peer vanished ends with an
// ETIMEDOUT error event, owned by the client, once TCP_USER_TIMEOUT runs
// out; without Errors it is not shown.
func TestTimeout(t *testing.T) {
	a, b := twoHosts(t)
	srv, cli := startActor(t, a), startActor(t, b)
	cfg := netnsOnly(a, b)
	cfg.Errors = true
	o, w := observe(t, cfg)
	quiet, wq := observe(t, netnsOnly(a, b))
	srv.must("listen " + addrA + " 8080")
	cli.must("connect " + addrA + " 8080")
	srv.must("accept")
	cli.must("usertimeout 300")
	ip(t, "-n", a.name, "link", "set", "wa0", "down") // the server's host vanishes
	cli.must("send 10")
	recs := records(t, o, w, settle, count("error", 1))
	e := only(t, recs, "error")
	if e.Errno != "ETIMEDOUT" || e.Owner.PID != cli.pid || e.Netns != b.ino || e.Unacked == nil || *e.Unacked != 10 {
		t.Errorf("error: %s\nwant ETIMEDOUT for the client, pid %d, with 10 bytes unacked", e.Text(), cli.pid)
	}
	if app := cli.do("recv 16"); app != "err ETIMEDOUT" {
		t.Errorf("the client's read after the timeout: %q, want err ETIMEDOUT", app)
	}
	if recs := records(t, quiet, wq, 0, count("error", 1)); len(pick(recs, "error")) != 0 {
		t.Errorf("error events without Errors: %s", dump(recs))
	}
}

// TestLingerZero: with Errors, a close with SO_LINGER 0 shows the RST the
// closing socket sends, and its peer's; not the ECONNRESET the kernel then
// reports to the closing socket itself (after clearing its peer's port),
// which no application is given and the sent RST already explains.
func TestLingerZero(t *testing.T) {
	a, b := twoHosts(t)
	srv, cli := startActor(t, a), startActor(t, b)
	cfg := netnsOnly(a, b)
	cfg.Errors = true
	o, w := observe(t, cfg)
	srv.must("listen " + addrA + " 8080")
	cli.must("connect " + addrA + " 8080")
	srv.must("accept")
	cli.must("send 10")
	srv.must("readable")
	srv.must("recv 10")
	cli.must("linger0")
	cli.must("close")
	app := srv.do("recv 16")
	recs := records(t, o, w, settle, both(count("send_reset", 1), count("receive_reset", 1)))
	s := only(t, recs, "send_reset")
	if s.Owner.PID != cli.pid || s.Netns != b.ino || !strings.HasSuffix(s.Remote, ":8080") {
		t.Errorf("sent RST: %s\nwant it from the client, pid %d, to port 8080", s.Text(), cli.pid)
	}
	r := only(t, recs, "receive_reset")
	if r.ErrnoReported != "ECONNRESET" || app != "err ECONNRESET" {
		t.Errorf("received RST: %s; the server's read gave %q", r.Text(), app)
	}
	if errs := pick(recs, "error"); len(errs) != 0 {
		t.Errorf("error events for a close with SO_LINGER 0: %s", dump(errs))
	}
}

// TestLingerZeroTracefs is TestLingerZero through tracefs, whose error
// reports carry no state.
func TestLingerZeroTracefs(t *testing.T) {
	a, b := twoHosts(t)
	srv, cli := startActor(t, a), startActor(t, b)
	const port = 47917 // unusual: tracefs sees every namespace's traffic
	src, w := observeTracefs(t, kernel.Config{Ports: []uint16{port}, Errors: true})
	srv.must(fmt.Sprintf("listen %s %d", addrA, port))
	cli.must(fmt.Sprintf("connect %s %d", addrA, port))
	srv.must("accept")
	// The server closes, so that the error report the kernel makes has
	// the port the filter passes: its peer's is cleared.
	cli.must("send 10")
	srv.must("readable")
	srv.must("recv 10")
	srv.must("linger0")
	srv.must("close")
	var recs []Record
	deadline := time.Now().Add(settle)
	for time.Now().Before(deadline) {
		src.SetDeadline(deadline)
		e, err := src.Read()
		if err != nil {
			break
		}
		recs = append(recs, w.Record(&e))
	}
	if len(pick(recs, "send_reset")) != 1 || len(pick(recs, "receive_reset")) != 1 {
		t.Errorf("want one sent and one received RST: %s", dump(recs))
	}
	if errs := pick(recs, "error"); len(errs) != 0 {
		t.Errorf("error events for a close with SO_LINGER 0: %s", dump(errs))
	}
}

// TestDrops: with Drops, the SYN a closed port answers with an RST is shown
// dropped with reason NO_SOCKET in the server's namespace.
func TestDrops(t *testing.T) {
	a, b := twoHosts(t)
	cli := startActor(t, b)
	cfg := netnsOnly(a, b)
	cfg.Drops = true
	o, w := observe(t, cfg)
	cli.do("connect " + addrA + " 9")
	recs := records(t, o, w, settle, both(count("drop", 1), count("receive_reset", 1)))
	d := only(t, recs, "drop")
	if d.Reason != "NO_SOCKET" || d.Netns != a.ino || d.Local != addrA+":9" {
		t.Errorf("drop: %s\nwant the SYN to %s:9 dropped with NO_SOCKET in namespace %d", d.Text(), addrA, a.ino)
	}
}

// TestRetransmits: with Retransmits, a connection whose peer vanished shows
// each retransmission timeout once, counted 1, 2, … and owned by the
// client, with the bytes it could not deliver, before its ETIMEDOUT; without
// Retransmits, none is shown.
func TestRetransmits(t *testing.T) {
	a, b := twoHosts(t)
	srv, cli := startActor(t, a), startActor(t, b)
	cfg := netnsOnly(a, b)
	cfg.Errors, cfg.Retransmits = true, true
	o, w := observe(t, cfg)
	quiet, wq := observe(t, netnsOnly(a, b))
	srv.must("listen " + addrA + " 8080")
	cli.must("connect " + addrA + " 8080")
	srv.must("accept")
	// Timeouts of at least 200 ms, doubling: two or three before the
	// connection gives up.
	cli.must("usertimeout 1000")
	// The server's host stops answering: with its address gone it drops
	// what comes without a word. (With its link down instead, some runs
	// showed no retransmission timeout before ETIMEDOUT: the send then
	// failed on the spot, it seems, and the data waited for the probe
	// timer.)
	ip(t, "-n", a.name, "addr", "del", addrA+"/24", "dev", "wa0")
	cli.must("send 10")
	recs := records(t, o, w, settle, count("error", 1))
	rs := pick(recs, "retransmit")
	if len(rs) < 2 {
		t.Fatalf("%d retransmit events before ETIMEDOUT, want two or more:\n%s", len(rs), dump(recs))
	}
	for i, r := range rs {
		if r.Retransmits != i+1 || r.State != "ESTABLISHED" || r.Owner.PID != cli.pid || r.Netns != b.ino ||
			r.Local != addrB+":"+strings.Split(r.Local, ":")[1] || r.Remote != addrA+":8080" || r.Unacked == nil || *r.Unacked != 10 {
			t.Errorf("retransmit %d: %s\nwant timeout %d of the client (pid %d) to %s:8080 in ESTABLISHED, 10 bytes unacked", i, r.Text(), i+1, cli.pid, addrA)
		}
	}
	if e := only(t, recs, "error"); e.Errno != "ETIMEDOUT" {
		t.Errorf("error: %s, want ETIMEDOUT", e.Text())
	}
	if recs := records(t, quiet, wq, 0, count("retransmit", 1)); len(pick(recs, "retransmit")) != 0 {
		t.Errorf("retransmit events without Retransmits: %s", dump(recs))
	}
}

// TestKeepalive: with Errors, an idle connection whose peer vanished ends
// with ETIMEDOUT once its keepalive probes go unanswered, owned by the
// client, with nothing unacknowledged; the probes are not retransmissions.
func TestKeepalive(t *testing.T) {
	a, b := twoHosts(t)
	srv, cli := startActor(t, a), startActor(t, b)
	cfg := netnsOnly(a, b)
	cfg.Errors, cfg.Retransmits = true, true
	o, w := observe(t, cfg)
	srv.must("listen " + addrA + " 8080")
	cli.must("connect " + addrA + " 8080")
	srv.must("accept")
	cli.must("keepalive 1 1 1") // a probe after 1 s idle; given up 1 s later
	ip(t, "-n", a.name, "addr", "del", addrA+"/24", "dev", "wa0")
	time.Sleep(time.Second) // records wait in the ring meanwhile
	recs := records(t, o, w, settle, count("error", 1))
	e := only(t, recs, "error")
	if e.Errno != "ETIMEDOUT" || e.Owner.PID != cli.pid || e.Netns != b.ino || e.Unacked == nil || *e.Unacked != 0 {
		t.Errorf("error: %s\nwant ETIMEDOUT for the client, pid %d, nothing unacked", e.Text(), cli.pid)
	}
	if rs := pick(recs, "retransmit"); len(rs) != 0 {
		t.Errorf("keepalive probes shown as retransmissions: %s", dump(rs))
	}
	if app := cli.do("recv 16"); app != "err ETIMEDOUT" {
		t.Errorf("the client's read after the keepalive timeout: %q, want err ETIMEDOUT", app)
	}
}
