package lab_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// The tests in this file check the lab against independent programs: the
// same system calls made here directly, on raw sockets, with nothing of the
// lab around them. Each case says what the kernel returns, and the lab
// must record the same.

// tcpPair is an independent loopback TCP connection: client, server.
func tcpPair(t *testing.T) (int, int) {
	t.Helper()
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l)
	if err := unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(l, 1); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(l)
	c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(c, sa); err != nil {
		t.Fatal(err)
	}
	s, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(c); unix.Close(s) })
	return c, s
}

func errnoName(err error) string {
	var e unix.Errno
	if errors.As(err, &e) {
		return scenario.CanonicalErrno(unix.ErrnoName(e))
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// run runs one scenario on its transports and returns the records.
func run(t *testing.T, src string) []*lab.Record {
	t.Helper()
	l := newLab(t, lab.Options{})
	return l.Run(context.Background(), lab.Plan([]*scenario.Scenario{parse(t, src)}, nil))
}

// step returns the record's step at the statement on line.
func step(t *testing.T, r *lab.Record, line int) lab.Step {
	t.Helper()
	for _, st := range r.Steps {
		if st.Line == line {
			return st
		}
	}
	t.Fatalf("%s: no step at line %d\n%s", r.Transport, line, timeline(r))
	return lab.Step{}
}

func result(st lab.Step) string {
	if st.Result == nil {
		return "none"
	}
	return st.Result.String()
}

// A timeout the scenario sets itself ends the call with the kernel's
// EAGAIN, well before the lab's limit: it is not "blocked".
func TestOwnReceiveTimeout(t *testing.T) {
	c, _ := tcpPair(t)
	tv := unix.NsecToTimeval((200 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(c, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	_, err := unix.Read(c, make([]byte, 16))
	want := errnoName(err)

	for _, r := range run(t, `scenario t/rcvtimeo
title "own SO_RCVTIMEO"
on tcp4 unix
client setsockopt SO_RCVTIMEO 200
client read 16
client getsockopt SO_RCVTIMEO -> 200
`) {
		st := step(t, r, 5)
		if got := result(st); got != want {
			t.Errorf("%s: read under the scenario's SO_RCVTIMEO: lab %s, kernel %s\n%s", r.Transport, got, want, timeline(r))
		}
		if st.Took < 150*time.Millisecond || st.Took >= time.Second {
			t.Errorf("%s: the read took %v, want about the scenario's 200ms", r.Transport, st.Took)
		}
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
	}
}

// SO_RCVTIMEO on a listener ends accept with EAGAIN.
func TestOwnAcceptTimeout(t *testing.T) {
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l)
	unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	unix.Listen(l, 1)
	tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	unix.SetsockoptTimeval(l, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	_, _, err = unix.Accept4(l, 0)
	want := errnoName(err)

	for _, r := range run(t, `scenario t/accepttimeo
title "own SO_RCVTIMEO on accept"
setup listening
on tcp4 tcp6 unix
listener setsockopt SO_RCVTIMEO 100
listener accept
`) {
		if got := result(step(t, r, 6)); got != want {
			t.Errorf("%s: accept under SO_RCVTIMEO: lab %s, kernel %s\n%s", r.Transport, got, want, timeline(r))
		}
	}
}

// A write under the scenario's own SO_SNDTIMEO that fills the buffers
// returns the bytes it moved, as the kernel says; not "blocked".
func TestOwnSendTimeoutPartialWrite(t *testing.T) {
	c, _ := tcpPair(t)
	tv := unix.NsecToTimeval((200 * time.Millisecond).Nanoseconds())
	unix.SetsockoptTimeval(c, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	n, err := unix.Write(c, make([]byte, 16<<20))
	if err != nil || n <= 0 || n >= 16<<20 {
		t.Fatalf("the independent write returned %d, %v: want a partial count", n, err)
	}
	for _, r := range run(t, `scenario t/sndtimeo
title "own SO_SNDTIMEO"
on tcp4 tcp6 unix
client setsockopt SO_SNDTIMEO 200
client write 16777216
`) {
		st := step(t, r, 5)
		if st.Result == nil || st.Result.Kind != scenario.ResultCount || st.Result.N <= 0 || st.Result.N >= 16<<20 {
			t.Errorf("%s: write under SO_SNDTIMEO: lab %s, kernel a partial count (%d here)\n%s", r.Transport, result(st), n, timeline(r))
		}
	}
}

// Reading a pipe's write end fails at once with EBADF: the lab's wait
// around the call must not turn that into "blocked".
func TestPipeWriteEndRead(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	_, err := unix.Read(p[1], make([]byte, 16))
	unix.Close(p[0])
	unix.Close(p[1])
	want := errnoName(err)
	for _, r := range run(t, `scenario t/pipe-write-end
title "read the write end"
on pipe
client read 16
`) {
		st := step(t, r, 4)
		if got := result(st); got != want {
			t.Errorf("read on the write end: lab %s, kernel %s\n%s", got, want, timeline(r))
		}
		if st.Took > 500*time.Millisecond {
			t.Errorf("read on the write end took %v: the kernel answers at once", st.Took)
		}
	}
}

// ENOTSUP and EOPNOTSUPP are one errno on Linux: either name matches it.
func TestNotSupportedNames(t *testing.T) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	unix.Close(fd)
	if !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("TCP_NODELAY on a unix socket: %v, want errno %d", err, unix.EOPNOTSUPP)
	}
	for _, r := range run(t, `scenario t/notsup
title "ENOTSUP is EOPNOTSUPP"
on unix
client setsockopt TCP_NODELAY 1 -> ENOTSUP
client setsockopt TCP_NODELAY 1 -> EOPNOTSUPP
`) {
		if r.Verdict != lab.Match {
			t.Errorf("%s\n%s", r.Verdict, timeline(r))
		}
	}
}

// unread is what a read would return (FIONREAD on the descriptor); recvq
// is netstat's figure, which counts the peer's FIN. A socket whose
// connection has moved to TIME_WAIT still holds its bytes and reads them.
func TestUnreadBesideRecvQ(t *testing.T) {
	c, s := tcpPair(t)
	unix.Write(c, []byte("abc"))
	unix.Shutdown(s, unix.SHUT_WR)
	unix.Shutdown(c, unix.SHUT_WR)
	time.Sleep(50 * time.Millisecond)
	unread, err := unix.IoctlGetInt(s, unix.SIOCINQ)
	if err != nil {
		t.Fatal(err)
	}
	n, err := unix.Read(s, make([]byte, 16))
	if err != nil || unread != 3 || n != 3 {
		t.Fatalf("independently: FIONREAD %d, read %d %v; want 3 and 3", unread, n, err)
	}
	for _, r := range run(t, `scenario t/unread
title "unread and recvq"
on tcp4 tcp6
client write "abc" -> 3
expect unread server 3
expect recvq server 3
server shutdown wr
client shutdown wr
expect unread server 3
expect state server TIME_WAIT
server read 16 -> 3
expect unread server 0
`) {
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
	}
	for _, r := range run(t, `scenario t/unread-local
title "unread on local transports"
on unix socketpair pipe
client write "abc" -> 3
expect unread server 3
server read 2 -> 2
expect unread server 1
`) {
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
	}
}

// Settling does not wait for a connection to die: a FIN that nobody can
// answer (the peer's host is cut off) leaves the socket in FIN_WAIT1 when
// the close returns, and the user timeout ends it later, during the sleep
// (at a retransmission after 500ms: 600ms or 1.4s with the timer's
// backoff, later on a loaded machine).
func TestSettleDoesNotWaitForTimers(t *testing.T) {
	if !root() {
		t.Skip("hosts need network namespaces")
	}
	for _, r := range run(t, `scenario t/fin-unanswered
title "a FIN nobody answers"
net direct
on tcp4
server setsockopt TCP_USER_TIMEOUT 500 -> ok
fault drop client
server close -> ok
expect state server FIN_WAIT1
sleep 2s
expect state server CLOSE
`) {
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
		if st := step(t, r, 7); st.Took+settleTime(st) > 400*time.Millisecond {
			t.Errorf("the close step lasted %v: it waited for the user timeout", st.Took+settleTime(st))
		}
	}
}

// Settling does not wait for a SYN the listener dropped (its accept queue
// is full): nothing answers it before the client's retransmission after
// the RTO (1s), so the connect's step settles with the one SYN, and the
// socket in SYN_SENT.
func TestSettleDoesNotWaitForADroppedSYN(t *testing.T) {
	if !root() {
		t.Skip("the listener's accept queue and the capture need a namespace")
	}
	for _, r := range run(t, `scenario t/syn-dropped
title "a SYN the full accept queue drops"
setup none
on tcp4 tcp6
listener socket -> ok
listener bind -> ok
listener listen 0 -> ok
first socket -> ok
first connect listener -> ok
second socket -> ok
second nonblock on -> ok
second connect listener -> EINPROGRESS
expect state second SYN_SENT
`) {
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
		st := step(t, r, 12)
		var syns int
		for _, p := range st.Packets {
			if p.From == "second" && p.Flags == "S" {
				syns++
			}
		}
		if st.Unsettled || syns != 1 {
			t.Errorf("%s: the connect's step unsettled %v with %d SYNs: it waited for the retransmission\n%s", r.Transport, st.Unsettled, syns, timeline(r))
		}
	}
}

// settleTime is how long after the call the step's last packet came, a
// floor for how long settling waited.
func settleTime(st lab.Step) time.Duration {
	var d time.Duration
	for _, p := range st.Packets {
		d = max(d, p.Time.Sub(st.Start))
	}
	return d
}

// A unix connect to an actor that was never bound is made, and the kernel
// answers it.
func TestUnixConnectUnbound(t *testing.T) {
	fd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	err := unix.Connect(fd, &unix.SockaddrUnix{Name: filepath.Join(t.TempDir(), "nobody.sock")})
	unix.Close(fd)
	want := errnoName(err)
	for _, r := range run(t, `scenario t/unix-unbound
title "connect to an actor never bound"
setup none
on unix unixpacket
a socket
b socket
a connect b
`) {
		if r.Error != "" {
			t.Errorf("%s: lab error %q, want the kernel's answer", r.Transport, r.Error)
			continue
		}
		if got := result(step(t, r, 7)); got != want {
			t.Errorf("%s: connect: lab %s, kernel %s", r.Transport, got, want)
		}
	}
}

// Every blocking call ends at the lab's limit whatever the scenario set,
// and is reported blocked, not as a result the kernel gave.
func TestBlockingCallsEndAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		line       int
	}{
		{"SO_RCVTIMEO 0", "client setsockopt SO_RCVTIMEO 0\nclient read 16", 6},
		{"SO_SNDTIMEO max", "client setsockopt SO_SNDTIMEO 2147483647\nclient write 16777216", 6},
		{"linger max", "client linger 2147483647\nclient write 16777216\nclient close", 7},
		{"linger past the limit", "client linger 2\nclient write 16777216\nclient close", 7},
	} {
		src := "scenario t/limit\ntitle \"limit\"\nlimit 300ms\non tcp4\n" + tc.body + "\n"
		for _, r := range run(t, src) {
			st := step(t, r, tc.line)
			if result(st) != "blocked" {
				t.Errorf("%s: %s, want blocked at the limit\n%s", tc.name, result(st), timeline(r))
			}
			if st.Took < 300*time.Millisecond || st.Took > 1500*time.Millisecond {
				t.Errorf("%s: the call took %v, want it ended at the 300ms limit", tc.name, st.Took)
			}
		}
	}
}

// Cancelling a run (what Ctrl-C and SIGTERM do) ends a blocked call at
// once, whatever timeouts the scenario set.
func TestCancelEndsABlockedCall(t *testing.T) {
	sc := parse(t, `scenario t/cancel-blocked
title "blocked under a long limit"
limit 1m
on tcp4 unix pipe
client setsockopt SO_RCVTIMEO 0
server read 16
`)
	// pipe has no socket options: the statement is guarded off there.
	sc.Steps[0].Guard = scenario.Guard{scenario.TCP4, scenario.Unix}
	l := newLab(t, lab.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	l.Run(ctx, lab.Plan([]*scenario.Scenario{sc}, nil))
	if d := time.Since(start); d > 700*time.Millisecond {
		t.Errorf("the runs ended %v after the start, %v after the cancel", d, d-200*time.Millisecond)
	}
}

// SIGTERM and SIGINT end "teardown lab run" with a blocked step within a
// fraction of a second, leaving no run directory behind.
func TestSignalEndsTheRun(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "teardown")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/teardown").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	td := filepath.Join(dir, "hang.td")
	os.WriteFile(td, []byte("scenario t/hang\ntitle \"hang\"\nlimit 1m\non tcp4\nclient setsockopt SO_RCVTIMEO 0\nclient read 16\n"), 0o644)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		tmp := t.TempDir()
		cmd := exec.Command(bin, "lab", "run", td)
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		sent := time.Now()
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%v: the run did not end within 5s", sig)
		}
		if d := time.Since(sent); d > 500*time.Millisecond {
			t.Errorf("%v: the run ended %v after the signal", sig, d)
		}
		left, _ := filepath.Glob(filepath.Join(tmp, "teardown-lab-*"))
		if len(left) > 0 {
			t.Errorf("%v: run directories left: %v", sig, left)
		}
		inst, _ := filepath.Glob(fmt.Sprintf("/sys/kernel/tracing/instances/teardown-%d-*", cmd.Process.Pid))
		if len(inst) > 0 {
			t.Errorf("%v: tracing instances left: %v", sig, inst)
		}
		if strings.Contains(cmd.ProcessState.String(), "signal") {
			t.Errorf("%v: the run was killed by the signal (%s) instead of handling it", sig, cmd.ProcessState)
		}
	}
}
