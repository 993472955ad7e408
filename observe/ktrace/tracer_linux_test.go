//go:build linux

package ktrace

import (
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/internal/nstest"
	"golang.org/x/sys/unix"
)

// openTracer opens a Tracer closed when the test ends, or skips the test
// when tracefs cannot be used.
func openTracer(t testing.TB) *Tracer {
	t.Helper()
	tr, err := Open()
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("kernel tracing unavailable: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func syncEvents(t testing.TB, tr *Tracer) []Event {
	t.Helper()
	evs, err := tr.Sync()
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// between returns the events whose addresses are a and b, either way
// round: the tracer sees every namespace, and the test only its own
// connection.
func between(evs []Event, a, b netip.AddrPort) []Event {
	var out []Event
	for _, ev := range evs {
		if ev.Src == a && ev.Dst == b || ev.Src == b && ev.Dst == a {
			out = append(out, ev)
		}
	}
	return out
}

func only(evs []Event, name string) []Event {
	var out []Event
	for _, ev := range evs {
		if ev.Name == name {
			out = append(out, ev)
		}
	}
	return out
}

func describeAll(evs []Event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString("  " + describe(ev) + "\n")
	}
	return b.String()
}

// TestResets makes the kernel send RSTs for three reasons and checks that
// tcp_send_reset reports each with the right ports, reason and state, as
// Linux 6.18 prints them.
func TestResets(t *testing.T) {
	tr := openTracer(t)
	reasons, err := Reasons()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// run makes an RST and returns who sends it and who receives it.
		run           func(t *testing.T, family int) (from, to netip.AddrPort)
		reason, state string
	}{
		{"close with unread data", func(t *testing.T, family int) (from, to netip.AddrPort) {
			c, s, _ := nstest.Pair(t, family)
			nstest.Write(t, c, "hello")
			nstest.Eventually(t, "data to arrive", func() bool {
				n, _ := unix.IoctlGetInt(s, unix.SIOCINQ)
				return n == 5
			})
			from, to = nstest.LocalAddr(t, s), nstest.LocalAddr(t, c)
			nstest.Close(t, s)
			return from, to
		}, "TCP_ABORT_ON_CLOSE", "CLOSE"},
		// SO_LINGER 0 makes close disconnect the socket, and this kernel
		// names tcp_disconnect's RST TCP_STATE; TCP_ABORT_ON_LINGER is for
		// TCP_LINGER2 < 0.
		{"linger 0", func(t *testing.T, family int) (from, to netip.AddrPort) {
			c, s, _ := nstest.Pair(t, family)
			from, to = nstest.LocalAddr(t, c), nstest.LocalAddr(t, s)
			nstest.Linger0(t, c)
			nstest.Close(t, c)
			return from, to
		}, "TCP_STATE", "CLOSE"},
		{"connect to a closed port", func(t *testing.T, family int) (from, to netip.AddrPort) {
			// A listener closed before the connect leaves a port nobody
			// listens on.
			l, addr := nstest.Listen(t, family, 1)
			nstest.Close(t, l)
			fd := nstest.Socket(t, family)
			err := unix.Connect(fd, sockaddr(addr))
			if err != unix.ECONNREFUSED {
				t.Fatalf("connect to a closed port: %v, want ECONNREFUSED", err)
			}
			// The socket keeps the port it was given.
			return addr, netip.AddrPortFrom(addr.Addr(), nstest.LocalAddr(t, fd).Port())
		}, "NO_SOCKET", "UNKNOWN"},
	}
	for _, tt := range tests {
		if !slices.Contains(reasons, tt.reason) {
			t.Errorf("reason %s is not among this kernel's: %v", tt.reason, reasons)
		}
		for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
			t.Run(tt.name+"/"+nstest.Loopback(family).String(), func(t *testing.T) {
				nstest.Enter(t)
				from, to := tt.run(t, family)
				evs := between(syncEvents(t, tr), from, to)
				rsts := only(evs, SendReset)
				if len(rsts) != 1 {
					t.Fatalf("%d tcp_send_reset events for %v > %v, want 1; the connection's events:\n%s", len(rsts), from, to, describeAll(evs))
				}
				if ev := rsts[0]; ev.Src != from || ev.Dst != to || ev.Reason != tt.reason || ev.State != tt.state || ev.Mono <= 0 {
					t.Errorf("got  %s\nwant src=%v dst=%v state=%s reason=%s", describe(ev), from, to, tt.state, tt.reason)
				}
				errs := only(evs, ErrorReport)
				want := 104 // ECONNRESET
				if tt.reason == "NO_SOCKET" {
					want = 111 // ECONNREFUSED
				}
				if len(errs) == 0 || errs[0].Error != want || errs[0].Src != to {
					t.Errorf("error reports on the RST's receiver %v: want errno %d first:\n%s", to, want, describeAll(errs))
				}
			})
		}
	}
}

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	}
	return &unix.SockaddrInet6{Addr: ap.Addr().As16(), Port: int(ap.Port())}
}

// TestStates follows a graceful close: both sides' state changes come in
// order, and the received RST's cookie is the socket's.
func TestStates(t *testing.T) {
	tr := openTracer(t)
	nstest.Enter(t)
	// Trace times are printed in microseconds.
	start := Mono().Truncate(time.Microsecond)
	c, s, _ := nstest.Pair(t, unix.AF_INET6)
	client, server := nstest.LocalAddr(t, c), nstest.LocalAddr(t, s)
	nstest.Close(t, c)
	nstest.Close(t, s)
	evs := between(syncEvents(t, tr), client, server)
	got := map[string][]string{}
	for _, ev := range only(evs, SetState) {
		side := "client"
		if ev.Src == server {
			side = "server"
		}
		got[side] = append(got[side], ev.OldState+">"+ev.NewState)
		if ev.Mono < start || ev.Mono > Mono() {
			t.Errorf("event time %v outside the test's [%v, now] on CLOCK_MONOTONIC", ev.Mono, start)
		}
	}
	// Each side's changes come in order; how the two interleave depends on
	// whether the server's ACK of the FIN was delayed. The accepted socket
	// is born in SYN_RECV; connect's CLOSE>SYN_SENT has no port yet, so it
	// is not among this connection's events. A TIME_WAIT socket replaces
	// the client's, which the tracepoint shows as FIN_WAIT2>CLOSE.
	want := map[string][]string{
		"client": {"SYN_SENT>ESTABLISHED", "ESTABLISHED>FIN_WAIT1", "FIN_WAIT1>FIN_WAIT2", "FIN_WAIT2>CLOSE"},
		"server": {"LISTEN>SYN_RECV", "SYN_RECV>ESTABLISHED", "ESTABLISHED>CLOSE_WAIT", "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSE"},
	}
	for side := range want {
		if !slices.Equal(got[side], want[side]) {
			t.Errorf("%s state changes:\n got %q\nwant %q", side, got[side], want[side])
		}
	}

	// An RST received: its cookie is the receiving socket's.
	c, s, _ = nstest.Pair(t, unix.AF_INET)
	cookie, err := unix.GetsockoptUint64(c, unix.SOL_SOCKET, unix.SO_COOKIE)
	if err != nil {
		t.Fatal(err)
	}
	client, server = nstest.LocalAddr(t, c), nstest.LocalAddr(t, s)
	nstest.Linger0(t, s)
	nstest.Close(t, s)
	rr := only(between(syncEvents(t, tr), client, server), ReceiveReset)
	if len(rr) != 1 || rr[0].Cookie != cookie || rr[0].Src != client {
		t.Errorf("tcp_receive_reset: want one on %v with cookie %#x:\n%s", client, cookie, describeAll(rr))
	}
}

// TestSyncEmpty checks that a Sync with nothing new returns quickly and
// that two Syncs do not return the same event twice.
func TestSyncEmpty(t *testing.T) {
	tr := openTracer(t)
	nstest.Enter(t)
	c, s, _ := nstest.Pair(t, unix.AF_INET)
	client, server := nstest.LocalAddr(t, c), nstest.LocalAddr(t, s)
	if evs := between(syncEvents(t, tr), client, server); len(evs) == 0 {
		t.Fatal("no events for a new connection")
	}
	if evs := between(syncEvents(t, tr), client, server); len(evs) != 0 {
		t.Errorf("second Sync returned the connection's events again:\n%s", describeAll(evs))
	}
}

// TestClose checks that Close removes the instance and that a closed Tracer
// says so.
func TestClose(t *testing.T) {
	tr := openTracer(t)
	dir := tr.Dir()
	if _, err := os.Stat(filepath.Join(dir, "trace_pipe")); err != nil {
		t.Fatalf("instance not created: %v", err)
	}
	clock, err := os.ReadFile(filepath.Join(dir, "trace_clock"))
	if err != nil || !strings.Contains(string(clock), "[mono]") {
		t.Errorf("trace_clock %q, %v; want [mono] selected", clock, err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("instance %s still exists after Close: %v", dir, err)
	}
	if _, err := tr.Sync(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Sync after Close: %v, want os.ErrClosed", err)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// deadPid returns a pid that no process has: that of a child that has
// exited and been reaped, until the kernel reuses it.
func deadPid(t *testing.T) int {
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

// makeInstance creates the instance name with tcp_send_reset enabled, as a
// run killed in its middle leaves it, and removes it when the test ends.
func makeInstance(t *testing.T, r, name string) string {
	d := filepath.Join(r, "instances", name)
	if err := os.Mkdir(d, 0o700); errors.Is(err, os.ErrPermission) {
		t.Skipf("kernel tracing unavailable: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Rmdir(d) })
	if err := os.WriteFile(filepath.Join(d, "events/tcp/tcp_send_reset/enable"), []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCleanStaleConcurrent runs CleanStale in several places at once over
// the same dead runs' instances, as programs and test binaries starting
// together do: whichever removes an instance first, none of them may
// report it left behind. The kernel answers rmdir of an instance another
// process is removing, or has just removed, with ENODEV.
func TestCleanStaleConcurrent(t *testing.T) {
	r, err := root()
	if err != nil {
		t.Skipf("kernel tracing unavailable: %v", err)
	}
	for round := 0; round < 5; round++ {
		pid := deadPid(t)
		var dirs []string
		for i := 0; i < 4; i++ {
			dirs = append(dirs, makeInstance(t, r, "teardown-"+strconv.Itoa(pid)+"-"+strconv.Itoa(i+1)))
		}
		errs := make(chan error, 4)
		for i := 0; i < cap(errs); i++ {
			go func() { errs <- CleanStale() }()
		}
		for i := 0; i < cap(errs); i++ {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		for _, d := range dirs {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stale instance %s not removed: %v", d, err)
			}
		}
	}
}

// TestCleanStale leaves an instance named for a process that has exited,
// with its events on, and one for a live process, and checks that only the
// first is removed.
func TestCleanStale(t *testing.T) {
	r, err := root()
	if err != nil {
		t.Skipf("kernel tracing unavailable: %v", err)
	}
	dead := makeInstance(t, r, "teardown-"+strconv.Itoa(deadPid(t))+"-1")
	live := makeInstance(t, r, "teardown-"+strconv.Itoa(os.Getppid())+"-1")
	// A process that was given a dead run's pid later does not keep the
	// run's instance alive.
	reuser := exec.Command("sleep", "10")
	if err := reuser.Start(); err != nil {
		t.Fatal(err)
	}
	defer reuser.Wait()
	defer reuser.Process.Kill()
	reused := makeInstance(t, r, "teardown-"+strconv.Itoa(reuser.Process.Pid)+"-1")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(reused, old, old); err != nil {
		t.Fatal(err)
	}
	if err := CleanStale(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dead, reused} {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale instance %s not removed: %v", d, err)
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("instance of a live process removed: %v", err)
	}
}

// TestCleanStaleBusy holds a dead run's trace_pipe open, so that the
// kernel refuses to remove the instance, and checks that CleanStale says
// so, naming it, and has turned its tracing and events off.
func TestCleanStaleBusy(t *testing.T) {
	r, err := root()
	if err != nil {
		t.Skipf("kernel tracing unavailable: %v", err)
	}
	d := makeInstance(t, r, "teardown-"+strconv.Itoa(deadPid(t))+"-1")
	pipe, err := os.OpenFile(filepath.Join(d, "trace_pipe"), os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pipe.Close()
	err = CleanStale()
	if !errors.Is(err, unix.EBUSY) || !strings.Contains(err.Error(), d) {
		t.Errorf("CleanStale with the instance busy: %v, want EBUSY naming %s", err, d)
	}
	for _, f := range []string{"tracing_on", "events/tcp/tcp_send_reset/enable"} {
		b, err := os.ReadFile(filepath.Join(d, f))
		if err != nil || strings.TrimSpace(string(b)) != "0" {
			t.Errorf("%s of the busy instance: %q, %v; want 0", f, b, err)
		}
	}
}

// BenchmarkSync measures a Sync after a connection's open and abortive
// close (about ten events), and one with nothing new.
func BenchmarkSync(b *testing.B) {
	tr := openTracer(b)
	b.Run("empty", func(b *testing.B) {
		for b.Loop() {
			if _, err := tr.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("connection", func(b *testing.B) {
		nstest.Enter(b)
		lfd, addr := nstest.Listen(b, unix.AF_INET, 128)
		var n int
		for b.Loop() {
			b.StopTimer()
			c := nstest.Dial(b, addr)
			s := nstest.Accept(b, lfd)
			nstest.Linger0(b, c)
			nstest.Close(b, c)
			nstest.Close(b, s)
			b.StartTimer()
			evs, err := tr.Sync()
			if err != nil {
				b.Fatal(err)
			}
			n += len(evs)
		}
		b.ReportMetric(float64(n)/float64(b.N), "events/op")
	})
}

// TestSyncConcurrent syncs from several goroutines at once: every call
// succeeds, and a connection's events are returned once, to one caller.
func TestSyncConcurrent(t *testing.T) {
	tr := openTracer(t)
	nstest.Enter(t)
	c, s, _ := nstest.Pair(t, unix.AF_INET)
	client, server := nstest.LocalAddr(t, c), nstest.LocalAddr(t, s)
	nstest.Linger0(t, c)
	nstest.Close(t, c)
	results := make(chan []Event)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			var mine []Event
			for range 20 {
				evs, err := tr.Sync()
				if err != nil {
					errs <- err
					break
				}
				mine = append(mine, between(evs, client, server)...)
			}
			results <- mine
		}()
	}
	var all []Event
	for range 4 {
		all = append(all, <-results...)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if rsts := only(all, SendReset); len(rsts) != 1 {
		t.Errorf("%d tcp_send_reset events for the connection across all callers, want 1:\n%s", len(rsts), describeAll(all))
	}
}

// TestSyncTracingOff checks that Sync fails at once, rather than waiting,
// when the instance's tracing is switched off.
func TestSyncTracingOff(t *testing.T) {
	tr := openTracer(t)
	if err := tr.write("tracing_on", "0"); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Sync(); err == nil || !strings.Contains(err.Error(), "trace_marker") {
		t.Errorf("Sync with tracing off: %v, want an error about trace_marker", err)
	}
}
