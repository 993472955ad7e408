package capture

import (
	"net/netip"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/internal/nstest"
	"golang.org/x/sys/unix"
)

// TestOnlyPorts checks that OnlyPorts keeps the segments with one of its
// ports at either end and no others, in IPv4 and IPv6, and that no ports,
// or more than MaxPorts, keep them all again.
func TestOnlyPorts(t *testing.T) {
	for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
		t.Run(nstest.Loopback(family).String(), func(t *testing.T) {
			c := openLo(t)
			keptFD, kept := nstest.Listen(t, family, 8)
			otherFD, other := nstest.Listen(t, family, 8)
			padded := func(n int) []uint16 {
				p := []uint16{kept.Port()}
				for i := 1; i < n; i++ {
					p = append(p, uint16(1000+i))
				}
				return p
			}
			for _, tc := range []struct {
				name  string
				ports []uint16
				all   bool // the other connection's packets are kept too
			}{
				{"one port", []uint16{kept.Port()}, false},
				{"MaxPorts ports", padded(MaxPorts), false},
				{"more than MaxPorts", padded(MaxPorts + 1), true},
				{"no ports", nil, true},
			} {
				if err := c.OnlyPorts(tc.ports); err != nil {
					t.Fatal(err)
				}
				for _, l := range []struct {
					fd   int
					addr netip.AddrPort
				}{{keptFD, kept}, {otherFD, other}} {
					cfd := nstest.Dial(t, l.addr)
					nstest.Accept(t, l.fd)
					nstest.Linger0(t, cfd)
					nstest.Close(t, cfd)
				}
				want := 4 // SYN, SYN-ACK, ACK, RST
				if tc.all {
					want *= 2
				}
				got := collect(t, c, want)
				// Long enough for a packet that should not come.
				time.Sleep(20 * time.Millisecond)
				more, err := c.Drain()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, more...)
				ofOther := 0
				for _, p := range got {
					if p.Src == other || p.Dst == other {
						ofOther++
					}
				}
				if len(got) != want || tc.all != (ofOther == 4) || !tc.all && ofOther != 0 {
					t.Errorf("%s: %d packets, %d of the other port; want %d, the other's kept: %v\n%s", tc.name, len(got), ofOther, want, tc.all, dump(got))
				}
			}
		})
	}
}

// TestOnlyPortsFragments checks that an IPv4 fragment passes a filter on
// ports, since its ports cannot be read there, while a whole segment
// between two other ports does not.
func TestOnlyPortsFragments(t *testing.T) {
	c := openLo(t)
	if err := c.OnlyPorts([]uint16{1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Stats(); err != nil { // counts from here
		t.Fatal(err)
	}
	raw, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(raw)
	// The second fragment (at offset 8) of a TCP datagram; then a SYN
	// from port 12345 to 12346.
	frag := []byte{0x45, 0, 0, 28, 0, 7, 0, 1, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	seg := []byte{0x45, 0, 0, 40, 0, 8, 0, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
		0x30, 0x39, 0x30, 0x3a, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0}
	to := &unix.SockaddrInet4{Addr: netip.MustParseAddr("127.0.0.1").As4()}
	for _, b := range [][]byte{frag, seg} {
		if err := unix.Sendto(raw, b, 0, to); err != nil {
			t.Fatal(err)
		}
	}
	var got []Frame
	nstest.Eventually(t, "the fragment", func() bool {
		fs, err := c.DrainFrames()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fs...)
		rcv, _, err := c.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return rcv > 0
	})
	time.Sleep(20 * time.Millisecond)
	if rcv, _, _ := c.Stats(); rcv != 0 {
		t.Errorf("%d more packets passed the filter: want only the fragment", rcv)
	}
	fs, _ := c.DrainFrames()
	if got = append(got, fs...); len(got) != 0 {
		t.Errorf("decoded %v; want nothing (a fragment is not a whole segment, and the SYN is not of the port)", got)
	}
}
