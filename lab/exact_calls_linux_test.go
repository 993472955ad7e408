package lab_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/netns"
	"github.com/teardown-net/teardown/scenario"
)

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
			// A signal to this thread (the Go runtime's preemption)
			// ends the wait with EINTR: a program waits again for
			// what is left of its timeout, as the lab does.
			deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
			n, err := unix.EpollWait(ep, evs, ms)
			for err == unix.EINTR {
				n, err = unix.EpollWait(ep, evs, max(int(time.Until(deadline).Milliseconds()), 0))
			}
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
			// A signal to this thread (the Go runtime's, or the lab's
			// watchdog's for its own runs in this process) ends a read
			// under SO_RCVTIMEO with EINTR whatever SA_RESTART says; a
			// program reads again.
			n, err := unix.Read(fd, make([]byte, 16))
			for err == unix.EINTR {
				n, err = unix.Read(fd, make([]byte, 16))
			}
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
