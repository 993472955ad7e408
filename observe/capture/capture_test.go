//go:build linux

package capture

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/internal/nstest"
	"github.com/teardown-net/teardown/observe/wire"
	"golang.org/x/sys/unix"
)

// openLo enters a fresh namespace and opens a capture on its lo.
func openLo(t testing.TB) *Capture {
	t.Helper()
	nstest.Enter(t)
	c, err := Open("lo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// collect drains c until it holds n packets.
func collect(t testing.TB, c *Capture, n int) []wire.Packet {
	t.Helper()
	var got []wire.Packet
	nstest.Eventually(t, fmt.Sprintf("%d packets", n), func() bool {
		if _, err := c.Wait(10 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		p, err := c.Drain()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p...)
		return len(got) >= n
	})
	return got
}

func TestHandshakeAndAbort(t *testing.T) {
	for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
		t.Run(nstest.Loopback(family).String(), func(t *testing.T) {
			c := openLo(t)
			start := time.Now()
			// A UDP datagram on the same interface must not be captured.
			udp, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(udp)
			var to unix.Sockaddr = &unix.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}}
			if family == unix.AF_INET6 {
				to = &unix.SockaddrInet6{Port: 9, Addr: netip.IPv6Loopback().As16()}
			}
			if err := unix.Sendto(udp, []byte("not tcp"), 0, to); err != nil {
				t.Fatal(err)
			}

			lfd, server := nstest.Listen(t, family, 8)
			cfd := nstest.Dial(t, server)
			client := nstest.LocalAddr(t, cfd)
			nstest.Accept(t, lfd)
			nstest.Linger0(t, cfd)
			nstest.Close(t, cfd)

			got := collect(t, c, 4)
			if more, err := c.Drain(); err != nil || len(more) != 0 {
				t.Errorf("Drain after the RST: %v, %v; want nothing", more, err)
			}
			want := []struct {
				src, dst netip.AddrPort
				flags    string
			}{
				{client, server, "S"},
				{server, client, "S."},
				{client, server, "."},
				{client, server, "R."},
			}
			if len(got) != len(want) {
				t.Fatalf("captured %d packets, want %d:\n%s", len(got), len(want), dump(got))
			}
			for i, w := range want {
				p := got[i]
				if p.Src != w.src || p.Dst != w.dst || p.Flags.String() != w.flags || p.Len != 0 {
					t.Errorf("packet %d is %v, want %v > %v Flags [%s], length 0", i, p, w.src, w.dst, w.flags)
				}
				// Packets handled on different CPUs may be stamped a few
				// microseconds out of queue order, so only the test's
				// span is checked.
				if p.Time.Before(start) || p.Time.After(time.Now()) {
					t.Errorf("packet %d time %v: outside the test's span from %v", i, p.Time, start)
				}
			}
			isn, peerISN := got[0].Seq, got[1].Seq
			if got[1].Ack != isn+1 || got[2].Seq != isn+1 || got[2].Ack != peerISN+1 || got[3].Seq != isn+1 {
				t.Errorf("sequence numbers do not follow the handshake:\n%s", dump(got))
			}
			rcv, drop, err := c.Stats()
			if err != nil {
				t.Fatal(err)
			}
			// The UDP datagram draws an ICMP port unreachable, which
			// the kernel filter passes (it keeps ICMP) and DrainFrames
			// drops, as it quotes no TCP segment.
			if rcv != 5 || drop != 0 {
				t.Errorf("Stats = %d received, %d dropped; want 5 (one copy of each packet and the ICMP error), 0", rcv, drop)
			}
		})
	}
}

func TestDataAndWait(t *testing.T) {
	c := openLo(t)
	cfd, _, _ := nstest.Pair(t, unix.AF_INET)
	collect(t, c, 3)
	if ok, err := c.Wait(0); err != nil || ok {
		t.Fatalf("Wait(0) with nothing queued = %t, %v", ok, err)
	}
	nstest.Write(t, cfd, "hello")
	if ok, err := c.Wait(5 * time.Second); err != nil || !ok {
		t.Fatalf("Wait after a write = %t, %v", ok, err)
	}
	got := collect(t, c, 1)
	if p := got[0]; !p.Flags.Has("P.") || p.Len != 5 || len(p.Data) != 20+32+5 || string(p.Data[len(p.Data)-5:]) != "hello" {
		t.Errorf("data packet %v, %d bytes of IP packet; want [P.] with 5 bytes \"hello\" after 52 bytes of headers", p, len(p.Data))
	}
}

func TestOpenErrors(t *testing.T) {
	nstest.Enter(t)
	_, err := Open("nosuch0")
	if err == nil || !strings.Contains(err.Error(), `no interface "nosuch0"`) {
		t.Errorf("Open(nosuch0) error %v, want one naming the missing interface", err)
	}
	_, err = Open("a-name-longer-than-ifnamsiz")
	if err == nil {
		t.Error("Open with a name longer than IFNAMSIZ succeeded")
	}
}

func TestCloseTwice(t *testing.T) {
	c := openLo(t)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func dump(pkts []wire.Packet) string {
	var b strings.Builder
	for _, p := range pkts {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// BenchmarkDrain measures a Drain that finds the queue empty, as the lab's
// does after most steps, and one that reads a handshake and its close.
func BenchmarkDrain(b *testing.B) {
	b.Run("empty", func(b *testing.B) {
		c := openLo(b)
		for b.Loop() {
			if _, err := c.Drain(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("connection", func(b *testing.B) {
		c := openLo(b)
		lfd, addr := nstest.Listen(b, unix.AF_INET, 128)
		var n int
		for b.Loop() {
			b.StopTimer()
			cfd := nstest.Dial(b, addr)
			afd := nstest.Accept(b, lfd)
			nstest.Linger0(b, cfd)
			nstest.Close(b, cfd)
			nstest.Close(b, afd)
			if ok, err := c.Wait(time.Second); !ok || err != nil {
				b.Fatal("no packet", err)
			}
			b.StartTimer()
			p, err := c.Drain()
			if err != nil {
				b.Fatal(err)
			}
			n += len(p)
		}
		b.ReportMetric(float64(n)/float64(b.N), "packets/op")
	})
}

// TestBulk writes more than one loopback segment holds: lo passes GSO
// packets up to 64 KiB whole, and every payload byte is captured once.
func TestBulk(t *testing.T) {
	for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
		t.Run(nstest.Loopback(family).String(), func(t *testing.T) {
			c := openLo(t)
			cfd, sfd, _ := nstest.Pair(t, family)
			const total = 300 << 10
			// The writer runs apart so that the write may block until
			// the reader makes room; a socket keeps its namespace on any
			// thread.
			wrote := make(chan error, 1)
			go func() {
				n, err := unix.Write(cfd, []byte(strings.Repeat("x", total)))
				if err == nil && n != total {
					err = fmt.Errorf("short write of %d bytes", n)
				}
				wrote <- err
			}()
			buf := make([]byte, 64<<10)
			var read int
			for read < total {
				n, err := unix.Read(sfd, buf)
				if err != nil || n == 0 {
					t.Fatalf("read: %d, %v", n, err)
				}
				read += n
			}
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
			// Under load the kernel may drop and retransmit segments, so
			// every byte is captured at least once, and none is outside the
			// stream.
			client := nstest.LocalAddr(t, cfd)
			seen := make([]bool, total)
			var isn uint32
			var synSeen bool
			missing := total
			nstest.Eventually(t, "every byte captured", func() bool {
				pkts, err := c.Drain()
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pkts {
					if p.Src != client {
						continue
					}
					if p.Flags.Has("S") {
						isn, synSeen = p.Seq, true
						continue
					}
					if !synSeen {
						t.Fatalf("data before the SYN: %v", p)
					}
					off := int(p.Seq - isn - 1)
					if off < 0 || off+p.Len > total {
						t.Fatalf("segment %v outside the %d-byte stream (offset %d)", p, total, off)
					}
					for i := off; i < off+p.Len; i++ {
						if !seen[i] {
							seen[i] = true
							missing--
						}
					}
				}
				return missing == 0
			})
		})
	}
}
