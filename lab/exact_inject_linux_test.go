package lab_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/netns"
	"github.com/teardown-net/teardown/observe/tcpstate"
	"github.com/teardown-net/teardown/scenario"
)

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
		for _, st := range r.Steps {
			if st.Line >= 8 || st.Kind == lab.StepEnd {
				break // the inject and what follows it
			}
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
