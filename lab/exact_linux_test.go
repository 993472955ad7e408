package lab_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/netns"
	"github.com/teardown-net/teardown/observe/tcpstate"
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

// Reads with recv(2) flags give what the same calls give directly: a peek
// after an RST, a peek that leaves the bytes, MSG_TRUNC discarding them on
// TCP, MSG_WAITALL waiting for all of them.
func TestRecvFlags(t *testing.T) {
	rv := func(fd, size, flags int) string {
		n, _, err := unix.Recvfrom(fd, make([]byte, size), flags)
		if err != nil {
			return errnoName(err)
		}
		return strconv.Itoa(n)
	}
	c, s := tcpPair(t)
	unix.Write(c, []byte("hello"))
	time.Sleep(20 * time.Millisecond)
	unix.Close(s) // unread data: an RST
	time.Sleep(20 * time.Millisecond)
	afterRST := []string{rv(c, 16, unix.MSG_PEEK), rv(c, 16, unix.MSG_PEEK), rv(c, 16, 0)}

	c, s = tcpPair(t)
	unix.Write(c, []byte("abcdef"))
	time.Sleep(20 * time.Millisecond)
	data := []string{rv(s, 16, unix.MSG_PEEK), rv(s, 2, unix.MSG_TRUNC), rv(s, 16, unix.MSG_WAITALL|unix.MSG_DONTWAIT)}

	for _, r := range run(t, `scenario t/recv-flags-rst
title "peek after an RST"
on tcp4 tcp6
client write "hello" -> 5
server close -> ok
client read 16 peek
client read 16 peek
client read 16
`) {
		got := []string{result(step(t, r, 6)), result(step(t, r, 7)), result(step(t, r, 8))}
		if strings.Join(got, " ") != strings.Join(afterRST, " ") {
			t.Errorf("%s: after the RST the lab read %v, the kernel %v\n%s", r.Transport, got, afterRST, timeline(r))
		}
	}
	for _, r := range run(t, `scenario t/recv-flags-data
title "peek, trunc, waitall"
on tcp4 tcp6
client write "abcdef" -> 6
server read 16 peek
expect unread server 6
server read 2 trunc
expect unread server 4
server read 16 waitall nonblock
`) {
		got := []string{result(step(t, r, 5)), result(step(t, r, 7)), result(step(t, r, 9))}
		if strings.Join(got, " ") != strings.Join(data, " ") {
			t.Errorf("%s: the lab read %v, the kernel %v\n%s", r.Transport, got, data, timeline(r))
		}
		if d := step(t, r, 5).Data; d != "abcdef" {
			t.Errorf("%s: peek returned %q, want the bytes", r.Transport, d)
		}
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
	}
	// MSG_WAITALL waits for the whole size: here until the limit.
	for _, r := range run(t, "scenario t/waitall\ntitle \"waitall\"\nlimit 200ms\non tcp4 unix\nclient write \"ab\"\nserver read 4 waitall\n") {
		if st := step(t, r, 6); result(st) != "blocked" || st.Moved != 2 {
			t.Errorf("%s: waitall for 4 bytes of 2: %s (moved %d), want blocked with 2 moved\n%s", r.Transport, result(st), st.Moved, timeline(r))
		}
	}
}

// "expect took" checks how long the call took: a close under SO_LINGER 1
// with unsent data waits the linger time, as the same close made directly
// does.
func TestTook(t *testing.T) {
	c, _ := tcpPair(t)
	unix.SetNonblock(c, true)
	unix.Write(c, make([]byte, 16<<20)) // fills the buffers; the peer never reads
	unix.SetNonblock(c, false)
	unix.SetsockoptLinger(c, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 1})
	start := time.Now()
	unix.Close(c)
	direct := time.Since(start)
	if direct < time.Second {
		t.Fatalf("the direct close took %v: it did not linger", direct)
	}
	for _, r := range run(t, `scenario t/took
title "close lingers"
limit 3s
on tcp4
client nonblock on
client write 16777216
client nonblock off
client linger 1
client close -> ok
expect took >= 1s
expect took < 2s
client write 1
expect took < 1s
`) {
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s (the direct close took %v)\n%s", r.Transport, r.Verdict, direct, timeline(r))
		}
	}
}

// dup gives one socket a second descriptor: closing one does not close the
// socket, closing both does; unlink removes a unix socket's path, after
// which a connect to it fails as it does directly; SO_ACCEPTCONN says
// which socket listens.
func TestDupUnlinkAcceptConn(t *testing.T) {
	rv := func(fd int) string {
		n, _, err := unix.Recvfrom(fd, make([]byte, 16), unix.MSG_DONTWAIT)
		if err != nil {
			return errnoName(err)
		}
		return strconv.Itoa(n)
	}
	c, s := tcpPair(t)
	d, _ := unix.Dup(c)
	unix.Close(c)
	time.Sleep(20 * time.Millisecond)
	afterOne := rv(s)
	unix.Close(d)
	time.Sleep(20 * time.Millisecond)
	afterBoth := rv(s)
	for _, r := range run(t, `scenario t/dup
title "dup"
on tcp4 tcp6 unix socketpair
client dup as c2
client close -> ok
server read 16 nonblock
c2 close -> ok
server read 16 nonblock
`) {
		got := []string{result(step(t, r, 6)), result(step(t, r, 8))}
		if got[0] != afterOne || got[1] != afterBoth {
			t.Errorf("%s: reads after closing one and both descriptors: lab %v, kernel %s %s\n%s", r.Transport, got, afterOne, afterBoth, timeline(r))
		}
	}

	path := filepath.Join(t.TempDir(), "l.sock")
	l, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	defer unix.Close(l)
	unix.Bind(l, &unix.SockaddrUnix{Name: path})
	unix.Listen(l, 1)
	acceptConn, _ := unix.GetsockoptInt(l, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	first := errnoName(unix.Unlink(path))
	cl, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	conn := errnoName(unix.Connect(cl, &unix.SockaddrUnix{Name: path}))
	unix.Close(cl)
	second := errnoName(unix.Unlink(path))
	want := []string{strconv.Itoa(acceptConn), first, conn, second}
	for _, r := range run(t, `scenario t/unlink
title "unlink"
setup listening
on unix unixpacket
listener getsockopt SO_ACCEPTCONN
listener unlink
client connect listener
listener unlink
client getsockopt SO_ACCEPTCONN -> 0
`) {
		got := []string{result(step(t, r, 5)), result(step(t, r, 6)), result(step(t, r, 7)), result(step(t, r, 8))}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: lab %v, kernel %v\n%s", r.Transport, got, want, timeline(r))
		}
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
	}
}

// sysctl sets the run's own namespace: tcp_fin_timeout 1 ends an orphan's
// FIN_WAIT2 after a second (60 by default), and the host's setting is left
// as it was.
func TestSysctl(t *testing.T) {
	if !root() {
		t.Skip("sysctl needs a namespace per run")
	}
	const path = "/proc/sys/net/ipv4/tcp_fin_timeout"
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body := "client close -> ok\nexpect state client FIN_WAIT2\nsleep 1500ms\nexpect state client %s\n"
	for _, tc := range []struct{ sysctl, after string }{
		{"sysctl net.ipv4.tcp_fin_timeout 1\n", "CLOSE"},
		{"", "FIN_WAIT2"},
	} {
		src := "scenario t/sysctl\ntitle \"sysctl\"\non tcp4 tcp6\n" + tc.sysctl + strings.Replace(body, "%s", tc.after, 1)
		for _, r := range run(t, src) {
			if r.Verdict != lab.Match {
				t.Errorf("%s with %q: %s\n%s", r.Transport, tc.sysctl, r.Verdict, timeline(r))
			}
		}
	}
	for _, r := range run(t, "scenario t/sysctl-hosts\ntitle \"sysctl on a host\"\nnet direct\non tcp4\nsysctl server net.ipv4.tcp_fin_timeout 1\nclient close -> ok\nsleep 1500ms\nexpect state client FIN_WAIT2\n") {
		// The server's setting does not touch the client's orphan.
		if r.Verdict != lab.Match {
			t.Errorf("hosts: %s\n%s", r.Verdict, timeline(r))
		}
	}
	for _, r := range run(t, "scenario t/sysctl-bad\ntitle \"sysctl refused\"\non tcp4\nsysctl net.ipv4.no_such_setting 1\n") {
		if !strings.Contains(r.Error, "no_such_setting") {
			t.Errorf("a sysctl the kernel lacks: error %q, want it named", r.Error)
		}
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the host's tcp_fin_timeout changed from %q to %q", before, after)
	}
}

// bind ACTOR binds to the address another actor holds: EADDRINUSE from a
// listener's; after the holder closes, TCP gives the address back while a
// unix socket's path stays and still refuses, as the same calls made
// directly show.
func TestBindInUse(t *testing.T) {
	direct := map[scenario.Transport][]string{}
	for _, tc := range []struct {
		tr  scenario.Transport
		fam int
		sa  func() unix.Sockaddr
	}{
		{scenario.TCP4, unix.AF_INET, func() unix.Sockaddr { return &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}} }},
		{scenario.Unix, unix.AF_UNIX, func() unix.Sockaddr { return &unix.SockaddrUnix{Name: filepath.Join(t.TempDir(), "a.sock")} }},
	} {
		a, _ := unix.Socket(tc.fam, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		b, _ := unix.Socket(tc.fam, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err := unix.Bind(a, tc.sa()); err != nil {
			t.Fatal(err)
		}
		unix.Listen(a, 1)
		sa, _ := unix.Getsockname(a)
		first := errnoName(unix.Bind(b, sa))
		unix.Close(a)
		second := errnoName(unix.Bind(b, sa))
		unix.Close(b)
		direct[tc.tr] = []string{first, second}
	}
	for _, r := range run(t, `scenario t/bind-in-use
title "bind an address in use"
setup none
on tcp4 unix
a socket
b socket
a bind
a listen
b bind a
a close
b bind a
`) {
		got := []string{result(step(t, r, 9)), result(step(t, r, 11))}
		if want := direct[r.Transport]; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: lab %v, kernel %v\n%s", r.Transport, got, want, timeline(r))
		}
	}
}

// interrupt works on every blocking call: a signal to the blocked thread
// ends accept and poll with EINTR and a write that has moved bytes with
// their count, as the same calls under a timeout made directly give.
func TestInterruptAnyCall(t *testing.T) {
	// The direct calls, each on a thread of its own that a goroutine
	// signals after 100ms, with a receive and send timeout set as the lab
	// keeps one on every socket.
	direct := func(call func() string, fd int) string {
		res := make(chan string, 1)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tv := unix.NsecToTimeval((2 * time.Second).Nanoseconds())
			unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
			unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
			tid := unix.Gettid()
			stop := make(chan struct{})
			go func() {
				time.Sleep(100 * time.Millisecond)
				for {
					unix.Tgkill(unix.Getpid(), tid, unix.SIGURG)
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}()
			res <- call()
			close(stop)
		}()
		return <-res
	}
	l, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	defer unix.Close(l)
	unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	unix.Listen(l, 1)
	accept := direct(func() string { _, _, err := unix.Accept4(l, 0); return errnoName(err) }, l)
	c, _ := tcpPair(t)
	poll := direct(func() string {
		_, err := unix.Poll([]unix.PollFd{{Fd: int32(c), Events: unix.POLLIN}}, 2000)
		return errnoName(err)
	}, c)
	write := direct(func() string {
		n, err := unix.Write(c, make([]byte, 16<<20))
		if err != nil {
			return errnoName(err)
		}
		if n > 0 && n < 16<<20 {
			return "partial"
		}
		return strconv.Itoa(n)
	}, c)
	for _, r := range run(t, `scenario t/interrupt-any
title "interrupt on any blocking call"
setup listening
on tcp4
listener accept interrupt 100ms
client poll in interrupt 100ms
`) {
		if got := result(step(t, r, 5)); got != accept {
			t.Errorf("accept: lab %s, kernel %s\n%s", got, accept, timeline(r))
		}
	}
	for _, r := range run(t, `scenario t/interrupt-write
title "interrupt a write"
on tcp4 tcp6 unix
client poll in interrupt 100ms
client write 16777216 interrupt 100ms
`) {
		if got := result(step(t, r, 4)); got != poll {
			t.Errorf("%s: poll: lab %s, kernel %s\n%s", r.Transport, got, poll, timeline(r))
		}
		st := step(t, r, 5)
		got := result(st)
		if st.Result != nil && st.Result.Kind == scenario.ResultCount && st.Result.N > 0 && st.Result.N < 16<<20 {
			got = "partial"
		}
		if got != write || st.Took > time.Second {
			t.Errorf("%s: write: lab %s after %v, kernel %s\n%s", r.Transport, got, st.Took, write, timeline(r))
		}
	}
}

// poll with timeout 0 looks and returns at once; poll none asks for no
// events and still gets the ones poll always reports, as direct calls do.
func TestPollNowAndNone(t *testing.T) {
	pl := func(fd int, events int16) string {
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(fds, 0)
		switch {
		case err != nil:
			return errnoName(err)
		case n == 0:
			return "0"
		}
		var names []string
		for _, b := range []struct {
			bit  int16
			name string
		}{{unix.POLLERR, "POLLERR"}, {unix.POLLHUP, "POLLHUP"}, {unix.POLLIN, "POLLIN"}, {unix.POLLOUT, "POLLOUT"}, {unix.POLLRDHUP, "POLLRDHUP"}} {
			if fds[0].Revents&b.bit != 0 {
				names = append(names, b.name)
			}
		}
		return strings.Join(names, "|")
	}
	c, s := tcpPair(t)
	empty := pl(c, unix.POLLIN)
	unix.Close(s)
	unix.Shutdown(c, unix.SHUT_WR)
	time.Sleep(20 * time.Millisecond)
	none := pl(c, 0)
	for _, r := range run(t, `scenario t/poll-now
title "poll now and poll none"
on tcp4 tcp6
client poll in timeout 0
server close
client shutdown wr
client poll none timeout 0
`) {
		got := []string{result(step(t, r, 4)), result(step(t, r, 7))}
		if want := []string{empty, none}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: lab %v, kernel %v\n%s", r.Transport, got, want, timeline(r))
		}
		if st := step(t, r, 4); st.Took > 100*time.Millisecond {
			t.Errorf("%s: poll with timeout 0 took %v", r.Transport, st.Took)
		}
	}
}

// bind "ADDRESS" binds the literal address written, and the kernel
// answers: an address in use by a socket bound the same way or to the
// wildcard gives EADDRINUSE, an address this host does not have
// EADDRNOTAVAIL, an IPv4 address on an IPv6 socket what the kernel says.
// Each is first made here directly.
func TestBindAddress(t *testing.T) {
	bind := func(fam, typ int, sas ...unix.Sockaddr) []string {
		var out []string
		for _, sa := range sas {
			fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			out = append(out, errnoName(unix.Bind(fd, sa)))
		}
		return out
	}
	// A port nobody else here holds, found by the kernel; the lab's run
	// has a namespace of its own, where the same number is free too.
	probe, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	unix.Bind(probe, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	psa, _ := unix.Getsockname(probe)
	unix.Close(probe)
	port := psa.(*unix.SockaddrInet4).Port
	lo := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port}
	any4 := &unix.SockaddrInet4{Port: port}
	other := &unix.SockaddrInet4{Addr: [4]byte{198, 18, 0, 1}}
	dir := t.TempDir()
	path := &unix.SockaddrUnix{Name: filepath.Join(dir, "a.sock")}
	abstract := &unix.SockaddrUnix{Name: fmt.Sprintf("@teardown-test-%d", os.Getpid())}
	want := map[scenario.Transport][]string{
		scenario.TCP4: bind(unix.AF_INET, unix.SOCK_STREAM, lo, lo, any4, other),
		scenario.TCP6: bind(unix.AF_INET6, unix.SOCK_STREAM, lo, &unix.SockaddrInet6{Addr: [16]byte{15: 1}, Port: port}),
		scenario.Unix: bind(unix.AF_UNIX, unix.SOCK_STREAM, path, path, abstract, abstract),
	}
	p := strconv.Itoa(port)
	for _, r := range run(t, `scenario t/bind-address
title "bind a literal address"
setup none
on tcp4
a socket
b socket
c socket
d socket
a bind "127.0.0.1:`+p+`"
b bind "127.0.0.1:`+p+`"
c bind "0.0.0.0:`+p+`"
d bind "198.18.0.1:0"
`) {
		got := []string{result(step(t, r, 9)), result(step(t, r, 10)), result(step(t, r, 11)), result(step(t, r, 12))}
		if strings.Join(got, " ") != strings.Join(want[r.Transport], " ") {
			t.Errorf("%s: lab %v, kernel %v\n%s", r.Transport, got, want[r.Transport], timeline(r))
		}
	}
	for _, r := range run(t, `scenario t/bind-address6
title "bind a literal address on tcp6"
setup none
on tcp6
a socket
b socket
a bind "127.0.0.1:`+p+`"
b bind "[::1]:`+p+`"
`) {
		got := []string{result(step(t, r, 7)), result(step(t, r, 8))}
		if strings.Join(got, " ") != strings.Join(want[r.Transport], " ") {
			t.Errorf("%s: lab %v, kernel %v\n%s", r.Transport, got, want[r.Transport], timeline(r))
		}
	}
	// A unix socket bound to a literal path or abstract name is where a
	// connect to it goes.
	for _, r := range run(t, `scenario t/bind-address-unix
title "bind a literal unix path and abstract name"
setup none
on unix
a socket
b socket
c socket
d socket
a bind "a.sock"
b bind "a.sock"
c bind "@teardown-lab"
d bind "@teardown-lab"
c listen
e socket
e connect c -> ok
`) {
		got := []string{result(step(t, r, 9)), result(step(t, r, 10)), result(step(t, r, 11)), result(step(t, r, 12))}
		if strings.Join(got, " ") != strings.Join(want[r.Transport], " ") {
			t.Errorf("%s: lab %v, kernel %v\n%s", r.Transport, got, want[r.Transport], timeline(r))
		}
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
	}
}

// epoll keeps one instance per actor for the run: level-triggered it
// reports readiness on every wait, edge-triggered once per change, and a
// closed descriptor leaves it. The same sequence of epoll_ctl and
// epoll_wait calls is made here directly on a TCP and a unix pair.
func TestEpoll(t *testing.T) {
	direct := func(c, s int) []string {
		ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(ep)
		ctl := func(op int, events uint32) {
			if err := unix.EpollCtl(ep, op, s, &unix.EpollEvent{Events: events, Fd: int32(s)}); err != nil {
				t.Fatal(err)
			}
		}
		var out []string
		wait := func(ms int) {
			evs := make([]unix.EpollEvent, 1)
			n, err := unix.EpollWait(ep, evs, ms)
			var names []string
			for _, b := range []struct {
				bit  uint32
				name string
			}{{unix.EPOLLERR, "EPOLLERR"}, {unix.EPOLLHUP, "EPOLLHUP"}, {unix.EPOLLIN, "EPOLLIN"}, {unix.EPOLLOUT, "EPOLLOUT"}, {unix.EPOLLRDHUP, "EPOLLRDHUP"}} {
				if n > 0 && evs[0].Events&b.bit != 0 {
					names = append(names, b.name)
				}
			}
			switch {
			case err != nil:
				out = append(out, errnoName(err))
			case n == 0:
				out = append(out, "0")
			default:
				out = append(out, strings.Join(names, "|"))
			}
		}
		unix.Write(c, []byte("a"))
		time.Sleep(10 * time.Millisecond)
		ctl(unix.EPOLL_CTL_ADD, unix.EPOLLIN)
		wait(0)
		wait(0)
		ctl(unix.EPOLL_CTL_MOD, unix.EPOLLIN|unix.EPOLLET)
		wait(0)
		wait(0)
		unix.Write(c, []byte("b"))
		time.Sleep(10 * time.Millisecond)
		wait(0)
		unix.Read(s, make([]byte, 16))
		wait(100)
		unix.Close(c)
		time.Sleep(20 * time.Millisecond)
		ctl(unix.EPOLL_CTL_MOD, unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLET)
		wait(0)
		unix.Close(s)
		wait(100)
		return out
	}
	want := map[scenario.Transport][]string{}
	c, s := tcpPair(t)
	want[scenario.TCP4] = direct(c, s)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	want[scenario.Unix] = direct(fds[0], fds[1])
	for _, r := range run(t, `scenario t/epoll
title "epoll level and edge triggered"
on tcp4 unix
client write "a"
server epoll in timeout 0
server epoll in timeout 0
server epoll in edge timeout 0
server epoll in edge timeout 0
client write "b"
server epoll in edge timeout 0
server read 16
server epoll in edge timeout 100ms
client close
server epoll in,rdhup edge timeout 0
server close
server epoll in,rdhup edge timeout 100ms
`) {
		var got []string
		for _, line := range []int{5, 6, 7, 8, 10, 12, 14, 16} {
			got = append(got, result(step(t, r, line)))
		}
		if strings.Join(got, " ") != strings.Join(want[r.Transport], " ") {
			t.Errorf("%s: lab %v, kernel %v\n%s", r.Transport, got, want[r.Transport], timeline(r))
		}
	}
}

// An async read blocks on a thread of its own while the next steps run: a
// shutdown(SHUT_RD) from another thread ends it with 0, a close does not
// (the blocked call holds the socket, which sends no FIN until it
// returns). The same is done here with two threads.
func TestAsyncRead(t *testing.T) {
	const limit = 400 * time.Millisecond
	blockedRead := func(fd int, after func()) (string, time.Duration) {
		tv := unix.NsecToTimeval(limit.Nanoseconds())
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		type out struct {
			res  string
			took time.Duration
		}
		done := make(chan out, 1)
		go func() {
			start := time.Now()
			n, err := unix.Read(fd, make([]byte, 16))
			res := strconv.Itoa(n)
			if errors.Is(err, unix.EAGAIN) {
				res = "blocked" // at the limit, as the lab says
			} else if err != nil {
				res = errnoName(err)
			}
			done <- out{res, time.Since(start)}
		}()
		time.Sleep(50 * time.Millisecond)
		after()
		o := <-done
		return o.res, o.took
	}
	c, s := tcpPair(t)
	shut, _ := blockedRead(s, func() { unix.Shutdown(s, unix.SHUT_RD) })
	closed, _ := blockedRead(c, func() { unix.Close(c) })
	for _, r := range run(t, `scenario t/async-read
title "async read, then shutdown or close from another thread"
on tcp4 tcp6 unix
limit 400ms
server read 16 async
sleep 50ms
server shutdown rd
client read 16 async
sleep 50ms
client close
`) {
		got := []string{result(step(t, r, 5)), result(step(t, r, 8))}
		if want := []string{shut, closed}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: lab %v, kernel %v\n%s", r.Transport, got, want, timeline(r))
		}
		// Order, not time: the read ends after the shutdown began, and the
		// step after the read begins before the read ends.
		read := step(t, r, 5)
		readEnd := read.Start.Add(read.Took)
		if shut := step(t, r, 7); !read.Async || readEnd.Before(shut.Start) || read.Took > limit {
			t.Errorf("%s: the async read (async %v) ended %v after the shutdown began, took %v; want after it, within the limit", r.Transport, read.Async, readEnd.Sub(shut.Start), read.Took)
		}
		if next := step(t, r, 6); !next.Start.Before(readEnd) {
			t.Errorf("%s: the step after the async read began %v after the read ended: it waited for the read", r.Transport, next.Start.Sub(readEnd))
		}
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
	}
}

// inject sends a segment relative to the live connection: an RST at the
// exact next sequence number resets the receiver, one in the window but
// not exact draws a challenge ACK and leaves it open (RFC 5961), one
// outside the window is dropped. The same RSTs are made here directly
// with a raw socket, their sequence number read from the sending socket
// itself in repair mode (TCP_QUEUE_SEQ), independently of the lab.
func TestInjectRST(t *testing.T) {
	direct := func(offset uint32) string {
		c, s := tcpPair(t)
		unix.Write(c, []byte("hello"))
		time.Sleep(10 * time.Millisecond)
		if err := unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR, 1); err != nil {
			t.Skipf("TCP_REPAIR: %v", err)
		}
		unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR_QUEUE, 2) // TCP_SEND_QUEUE
		seq, err := unix.GetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_QUEUE_SEQ)
		if err != nil {
			t.Fatal(err)
		}
		// Leave repair mode without the window probe TCP_REPAIR_OFF
		// sends.
		unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR, -1)
		ssa, _ := unix.Getsockname(s)
		csa, _ := unix.Getsockname(c)
		sp, cp := ssa.(*unix.SockaddrInet4).Port, csa.(*unix.SockaddrInet4).Port
		hdr := make([]byte, 20)
		binary.BigEndian.PutUint16(hdr[0:], uint16(sp))
		binary.BigEndian.PutUint16(hdr[2:], uint16(cp))
		binary.BigEndian.PutUint32(hdr[4:], uint32(seq)+offset)
		hdr[12], hdr[13] = 5<<4, 0x04
		binary.BigEndian.PutUint16(hdr[14:], 1024)
		sum := uint32(127<<8) + 1 + uint32(127<<8) + 1 + unix.IPPROTO_TCP + 20
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(hdr[i:]))
		}
		for sum>>16 != 0 {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(hdr[16:], ^uint16(sum))
		raw, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(raw)
		if err := unix.Sendto(raw, hdr, 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		_, _, err = unix.Recvfrom(c, make([]byte, 16), unix.MSG_DONTWAIT)
		return errnoName(err)
	}
	want := []string{direct(0), direct(1000), direct(100000000)}
	if want[0] != "ECONNRESET" {
		t.Fatalf("the direct RST at the next sequence number gave %s: the direct program is wrong", want[0])
	}
	var got []string
	for _, off := range []string{"", " seq=+1000", " seq=+100000000"} {
		for _, r := range run(t, `scenario t/inject-rst
title "inject an RST"
on tcp4
client write "hello"
inject server>client R`+off+`
client read 16 nonblock
`) {
			got = append(got, result(step(t, r, 6)))
			if off == " seq=+1000" {
				if st := step(t, r, 5); !hasPacket(st, "client", "server", ".") {
					t.Errorf("an RST in the window but not at the next sequence number drew no challenge ACK\n%s", timeline(r))
				}
			}
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("reads after the RSTs: lab %v, kernel %v", got, want)
	}
}

func hasPacket(st lab.Step, from, to, flags string) bool {
	for _, p := range st.Packets {
		if p.From == from && p.To == to && p.Flags == flags {
			return true
		}
	}
	return false
}

// connect fastopen sends the data in the SYN (TCP Fast Open): sendto(2)
// with MSG_FASTOPEN made directly, in a namespace of its own with the
// same tcp_fastopen setting, returns the same count, and the client's
// TCP_INFO says its SYN's data was acknowledged; the lab's capture shows
// the SYN carrying it.
func TestFastOpen(t *testing.T) {
	type out struct {
		sent    string
		synData bool
		read    string
	}
	res := make(chan out, 1)
	go func() {
		// Never unlocked: the thread and its namespace end with it.
		runtime.LockOSThread()
		if err := netns.Enter(0); err != nil {
			t.Error(err)
			res <- out{}
			return
		}
		if err := os.WriteFile("/proc/sys/net/ipv4/tcp_fastopen", []byte("519"), 0); err != nil {
			t.Error(err)
			res <- out{}
			return
		}
		l, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		defer unix.Close(l)
		unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
		unix.SetsockoptInt(l, unix.IPPROTO_TCP, unix.TCP_FASTOPEN, 16)
		unix.Listen(l, 16)
		sa, _ := unix.Getsockname(l)
		c, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		defer unix.Close(c)
		err := unix.Sendto(c, []byte("hello"), unix.MSG_FASTOPEN, sa)
		o := out{sent: "5"}
		if err != nil {
			o.sent = errnoName(err)
		}
		s, _, _ := unix.Accept4(l, unix.SOCK_CLOEXEC)
		defer unix.Close(s)
		n, err := unix.Read(s, make([]byte, 16))
		o.read = strconv.Itoa(n)
		if err != nil {
			o.read = errnoName(err)
		}
		if info, err := unix.GetsockoptTCPInfo(c, unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
			o.synData = info.Options&32 != 0 // TCPI_OPT_SYN_DATA
		}
		res <- o
	}()
	want := <-res
	if !want.synData {
		t.Fatalf("the direct connect's SYN carried no data (%+v): the direct program is wrong", want)
	}
	for _, r := range run(t, `scenario t/fastopen
title "TCP Fast Open"
setup none
on tcp4 tcp6
sysctl net.ipv4.tcp_fastopen 519
l socket
l bind
l setsockopt TCP_FASTOPEN 16
l listen
c socket
c connect l fastopen "hello"
l accept as s
s read 16
`) {
		got := out{sent: result(step(t, r, 11)), read: result(step(t, r, 13))}
		for _, p := range step(t, r, 11).Packets {
			if p.From == "c" && p.Flags == "S" && p.Len == 5 {
				got.synData = true
			}
		}
		if got != want {
			t.Errorf("%s: lab %+v, kernel %+v\n%s", r.Transport, got, want, timeline(r))
		}
	}
}

// inject on two hosts: from the client's namespace, across the link, a SYN
// to the server's TIME_WAIT 4-tuple at the client's next sequence number
// plus 1000. The wire shows it where the connection's own segments put
// that number, and the server's kernel, taking it for a new connection
// (its sequence number is above the TIME_WAIT entry's), answers with a
// SYN-ACK that acknowledges it.
func TestInjectTimeWaitSYN(t *testing.T) {
	for _, r := range run(t, `scenario t/inject-timewait
title "a SYN to a TIME_WAIT 4-tuple"
net direct
on tcp4 tcp6
server close
client close
expect state server TIME_WAIT
inject client>server S seq=+1000
`) {
		if r.Verdict == lab.Skipped {
			t.Skip(r.Skip)
		}
		var clientNext uint32
		for _, st := range r.Steps[:len(r.Steps)-1] {
			for _, p := range st.Packets {
				if p.From == "client" && p.To == "server" {
					end := p.Seq + uint32(p.Len)
					if strings.ContainsAny(p.Flags, "SF") {
						end++
					}
					clientNext = max(clientNext, end)
				}
			}
		}
		st := step(t, r, 8)
		var syn, synAck bool
		for _, p := range st.Packets {
			if p.From == "client" && p.Flags == "S" && p.Seq == clientNext+1000 {
				syn = true
			}
			if p.From == "server" && p.Flags == "S." && p.Ack == clientNext+1001 {
				synAck = true
			}
		}
		if !syn || !synAck {
			t.Errorf("%s: injected SYN at %d+1000 seen %v, SYN-ACK acknowledging it %v\n%s", r.Transport, clientNext, syn, synAck, timeline(r))
		}
		if r.Verdict != lab.Match {
			t.Errorf("%s: %s\n%s", r.Transport, r.Verdict, timeline(r))
		}
	}
}

// inject ts=N carries a timestamp option whose TSval is the sender's last
// plus N: a SYN to a TIME_WAIT 4-tuple is then judged by it (PAWS) before
// its sequence number. The same SYNs are made here directly with a raw
// socket, in a namespace of their own, the sequence number read from the
// client in repair mode (TCP_QUEUE_SEQ) and the timestamp from its
// TCP_TIMESTAMP, and the TIME_WAIT looked for with sock_diag.
func TestInjectTimestamp(t *testing.T) {
	if !root() {
		t.Skip("needs a namespace of its own and a raw socket")
	}
	type probe struct{ seq, ts int32 }
	probes := []probe{{+1000, -1000}, {-1000, +1000}}
	res := make(chan []string, 1)
	go func() {
		// Never unlocked: the thread and its namespace end with it.
		runtime.LockOSThread()
		var out []string
		defer func() { res <- out }()
		if err := netns.Enter(0); err != nil {
			t.Error(err)
			return
		}
		// The client's host answers the TIME_WAIT's ACK with an RST,
		// which would end the TIME_WAIT under tcp_rfc1337 0.
		if err := os.WriteFile("/proc/sys/net/ipv4/tcp_rfc1337", []byte("1"), 0); err != nil {
			t.Error(err)
			return
		}
		for _, p := range probes {
			state, err := directTimeWaitSYN(p.seq, p.ts)
			if err != nil {
				t.Error(err)
				return
			}
			out = append(out, state)
		}
	}()
	want := <-res
	if len(want) != len(probes) || want[0] != "TIME_WAIT" || want[1] != "CLOSE" {
		t.Fatalf("the direct SYNs left the TIME_WAIT %v, want [TIME_WAIT CLOSE]: the direct program is wrong", want)
	}
	for _, r := range run(t, `scenario t/inject-ts
title "SYNs with timestamps to a TIME_WAIT"
on tcp4 tcp6
sysctl net.ipv4.tcp_rfc1337 1
server close
client read 16
client close
inject client>server S seq=+1000 ts=-1000
inject client>server S seq=-1000 ts=+1000
`) {
		var got []string
		for _, line := range []int{8, 9} {
			st := step(t, r, line)
			for _, s := range st.Sockets {
				if s.Actor == "server" {
					got = append(got, s.State)
				}
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: the server after the SYNs: lab %v, kernel %v\n%s", r.Transport, got, want, timeline(r))
		}
		if st := step(t, r, 8); !hasPacket(st, "server", "client", ".") {
			t.Errorf("%s: the SYN with the older timestamp drew no ACK\n%s", r.Transport, timeline(r))
		}
		if st := step(t, r, 9); !hasPacket(st, "server", "client", "S.") {
			t.Errorf("%s: the SYN with the newer timestamp drew no SYN-ACK\n%s", r.Transport, timeline(r))
		}
	}
}

// An old SYN to a TIME_WAIT 4-tuple draws the TIME_WAIT's ACK, which the
// client's host, with no socket, answers with an RST: under tcp_rfc1337 0
// that RST ends the TIME_WAIT (RFC 1337's assassination), under 1 it does
// not. The kernel does this, not the lab: the same SYN sent directly has
// the same end.
func TestTimeWaitAssassination(t *testing.T) {
	if !root() {
		t.Skip("needs a namespace of its own and a raw socket")
	}
	for _, rfc1337 := range []string{"0", "1"} {
		res := make(chan string, 1)
		go func() {
			// Never unlocked: the thread and its namespace end with it.
			runtime.LockOSThread()
			var state string
			defer func() { res <- state }()
			if err := netns.Enter(0); err != nil {
				t.Error(err)
				return
			}
			if err := os.WriteFile("/proc/sys/net/ipv4/tcp_rfc1337", []byte(rfc1337), 0); err != nil {
				t.Error(err)
				return
			}
			var err error
			if state, err = directTimeWaitSYN(-1000, 0); err != nil {
				t.Error(err)
			}
		}()
		want := <-res
		if (rfc1337 == "0") != (want == "CLOSE") {
			t.Fatalf("tcp_rfc1337 %s: the direct old SYN left the TIME_WAIT %s: the direct program is wrong", rfc1337, want)
		}
		for _, r := range run(t, `scenario t/assassination
title "an old SYN to a TIME_WAIT"
on tcp4 tcp6
sysctl net.ipv4.tcp_rfc1337 `+rfc1337+`
server close
client read 16
client close
inject client>server S seq=-1000
`) {
			st := step(t, r, 8)
			got := "none"
			for _, s := range st.Sockets {
				if s.Actor == "server" {
					got = s.State
				}
			}
			if got != want || !hasPacket(st, "server", "client", ".") || !hasPacket(st, "client", "server", "R") {
				t.Errorf("%s, tcp_rfc1337 %s: the server after an old SYN: lab %s, kernel %s; want the TIME_WAIT's ACK and the client's RST on the wire\n%s", r.Transport, rfc1337, got, want, timeline(r))
			}
		}
	}
}

// directTimeWaitSYN puts a loopback connection's server end in TIME_WAIT
// and sends it a SYN at the client's next sequence number plus seq, with a
// timestamp option at the client's clock plus ts; it says whether the
// TIME_WAIT is still there. The clock is read before the client's FIN,
// whose TSval is then at least as new: ts=0 is not newer than what the
// TIME_WAIT saw last.
func directTimeWaitSYN(seq, ts int32) (string, error) {
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	// The listener stays: a TIME_WAIT hands a new SYN to it, and answers
	// with its ACK where there is none.
	defer unix.Close(l)
	unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	unix.Listen(l, 4)
	la, _ := unix.Getsockname(l)
	c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	if err := unix.Connect(c, la); err != nil {
		unix.Close(c)
		return "", err
	}
	s, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
	if err != nil {
		unix.Close(c)
		return "", err
	}
	ca, _ := unix.Getsockname(c)
	sp, cp := la.(*unix.SockaddrInet4).Port, ca.(*unix.SockaddrInet4).Port
	unix.Close(s)
	unix.Read(c, make([]byte, 16)) // the server's FIN
	unix.SetsockoptInt(c, unix.IPPROTO_TCP, unix.TCP_REPAIR, 1)
	unix.SetsockoptInt(c, unix.IPPROTO_TCP, unix.TCP_REPAIR_QUEUE, 2) // TCP_SEND_QUEUE
	next, err := unix.GetsockoptInt(c, unix.IPPROTO_TCP, unix.TCP_QUEUE_SEQ)
	if err != nil {
		unix.Close(c)
		return "", fmt.Errorf("TCP_QUEUE_SEQ: %w", err)
	}
	tsval, err := unix.GetsockoptInt(c, unix.IPPROTO_TCP, unix.TCP_TIMESTAMP)
	if err != nil {
		unix.Close(c)
		return "", fmt.Errorf("TCP_TIMESTAMP: %w", err)
	}
	unix.SetsockoptInt(c, unix.IPPROTO_TCP, unix.TCP_REPAIR, -1)
	unix.Close(c) // its FIN takes one more sequence number
	time.Sleep(20 * time.Millisecond)

	hdr := make([]byte, 32)
	binary.BigEndian.PutUint16(hdr[0:], uint16(cp))
	binary.BigEndian.PutUint16(hdr[2:], uint16(sp))
	binary.BigEndian.PutUint32(hdr[4:], uint32(next)+1+uint32(seq))
	hdr[12], hdr[13] = 8<<4, 0x02
	binary.BigEndian.PutUint16(hdr[14:], 1024)
	copy(hdr[20:], []byte{1, 1, 8, 10})
	binary.BigEndian.PutUint32(hdr[24:], uint32(tsval)+uint32(ts))
	sum := uint32(127<<8) + 1 + uint32(127<<8) + 1 + unix.IPPROTO_TCP + uint32(len(hdr))
	for i := 0; i < len(hdr); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(hdr[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(hdr[16:], ^uint16(sum))
	raw, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return "", err
	}
	defer unix.Close(raw)
	if err := unix.Sendto(raw, hdr, 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return "", err
	}
	time.Sleep(20 * time.Millisecond)
	d, err := tcpstate.Open()
	if err != nil {
		return "", err
	}
	defer d.Close()
	socks, err := d.Dump()
	if err != nil {
		return "", err
	}
	for _, k := range socks {
		if k.State == tcpstate.TimeWait && k.Local.Port() == uint16(sp) && k.Remote.Port() == uint16(cp) {
			return "TIME_WAIT", nil
		}
	}
	return "CLOSE", nil
}

// A handshake's final ACK that finds the accept queue full draws an RST
// with tcp_abort_on_overflow 1 and is dropped with 0. Made here directly
// in another way than the catalog's accept/overflow-ack-abort-*: the
// client's own TCP_DEFER_ACCEPT holds its final ACK back for the
// delayed-ACK timer (TCP_DELACK_MAX, 200ms), while two other connections
// fill the queue of listen(1). The client's first read after that gives
// the same errno as the lab's.
func TestAcceptOverflowAtFinalACK(t *testing.T) {
	if !root() {
		t.Skip("needs a namespace of its own")
	}
	for _, abort := range []string{"1", "0"} {
		res := make(chan string, 1)
		go func() {
			// Never unlocked: the thread and its namespace end with it.
			runtime.LockOSThread()
			got := ""
			defer func() { res <- got }()
			if err := netns.Enter(0); err != nil {
				t.Error(err)
				return
			}
			if err := os.WriteFile("/proc/sys/net/ipv4/tcp_abort_on_overflow", []byte(abort), 0); err != nil {
				t.Error(err)
				return
			}
			l, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			defer unix.Close(l)
			unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
			unix.Listen(l, 1)
			sa, _ := unix.Getsockname(l)
			first, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
			defer unix.Close(first)
			unix.SetsockoptInt(first, unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 1)
			start := time.Now()
			unix.Connect(first, sa)
			for range 2 {
				f, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				defer unix.Close(f)
				if err := unix.Connect(f, sa); err != nil {
					t.Error(err)
					return
				}
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				got = "late: the queue filled " + d.String() + " after the connect, near the deferred ACK"
				return
			}
			time.Sleep(400 * time.Millisecond)
			_, err := unix.Read(first, make([]byte, 16))
			got = errnoName(err)
		}()
		want := <-res
		if strings.HasPrefix(want, "late") {
			t.Skipf("tcp_abort_on_overflow %s: %s", abort, want)
		}
		if (abort == "1") != (want == "ECONNRESET") || (abort == "0") != (want == "EAGAIN") {
			t.Fatalf("tcp_abort_on_overflow %s: the direct client's read gave %s: the direct program is wrong", abort, want)
		}
		sc, err := catalog.Get("accept/overflow-ack-abort-" + abort)
		if err != nil {
			t.Fatal(err)
		}
		line := 0
		for _, st := range sc.Steps {
			if st.Op != nil && st.Op.Actor == "first" && st.Op.Kind == scenario.OpRead {
				line = st.Pos.Line
				break
			}
		}
		l := newLab(t, lab.Options{})
		for _, r := range l.Run(context.Background(), lab.Plan([]*scenario.Scenario{sc}, nil)) {
			if got := result(step(t, r, line)); got != want {
				t.Errorf("%s, tcp_abort_on_overflow %s: the client's read: lab %s, kernel %s\n%s", r.Transport, abort, got, want, timeline(r))
			}
		}
	}
}
