package analyze

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// cutHeaders returns file, a capture from capture(), with the TCP data
// offset of the records numbered in which (from 0) set to 3 words: the
// Reader returns them as KindTCPCut.
func cutHeaders(file []byte, which ...int) []byte {
	file = slices.Clone(file)
	off := 24
	for i := 0; off < len(file); i++ {
		n := int(binary.LittleEndian.Uint32(file[off+8:]))
		if slices.Contains(which, i) {
			file[off+16+32] = 3 << 4
		}
		off += 16 + n
	}
	return file
}

// summary is what a connection's record says, for comparing two.
func summary(c *Conn) string {
	o, r := c.Bytes()
	v := c.Verdict()
	return fmt.Sprintf("%v %v %s %s %d/%d %v pkts %d %s %s %s", c.Orig(), c.Resp(), c.ConnState(), c.History(),
		o, r, c.Duration(), c.Packets(), v.How, v.By, v.Cause.ID)
}

// TestHeaderCut checks that a segment whose TCP header the capture cut is
// taken as Zeek takes it: it makes a connection, from its ports and flags,
// when there is none (OTH, no history), and ends one whose 4-tuple it
// reuses, but nothing else of it counts: a connection with such a segment
// is recorded as it is without it.
func TestHeaderCut(t *testing.T) {
	// A SYN-ACK alone: Zeek's WantConnection turns it round (the source
	// port is a server's), and that is all there is.
	conns := analyzeBytes(t, cutHeaders(capture(handshake[1:2]), 0), Options{})
	if len(conns) != 1 {
		t.Fatalf("%d connections from a lone cut SYN-ACK, want 1", len(conns))
	}
	c := conns[0]
	if got, want := summary(c), "198.18.0.1:40000 198.18.0.2:80 OTH ^ 0/0 0s pkts 0 open none header-cut"; got != want {
		t.Errorf("lone cut SYN-ACK: %s\nwant %s", got, want)
	}
	if !c.Start().Equal(time.Unix(1700000000, 0).Add(time.Millisecond)) {
		t.Errorf("start %v, want the cut segment's time", c.Start())
	}

	whole := append(append([]pkt{}, handshake...),
		pkt{3 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 101, 501, 10, 0},
		pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 111, 0, 0},
		pkt{5 * time.Millisecond, srv, cli, wire.FIN | wire.ACK, 501, 111, 0, 0},
		pkt{6 * time.Millisecond, cli, srv, wire.FIN | wire.ACK, 111, 502, 0, 0},
		pkt{7 * time.Millisecond, srv, cli, wire.ACK, 502, 112, 0, 0})
	for _, i := range []int{1, 3, 5, len(whole) - 1} {
		t.Run(fmt.Sprintf("packet %d cut", i), func(t *testing.T) {
			got := analyzeBytes(t, cutHeaders(capture(whole), i), Options{})
			without := analyzeBytes(t, capture(slices.Delete(slices.Clone(whole), i, i+1)), Options{})
			if len(got) != 1 || len(without) != 1 || summary(got[0]) != summary(without[0]) {
				var g, w []string
				for _, c := range got {
					g = append(g, summary(c))
				}
				for _, c := range without {
					w = append(w, summary(c))
				}
				t.Errorf("with packet %d cut: %q\nwithout it: %q", i, g, w)
			}
		})
	}

	// A new SYN on the 4-tuple of a closed connection, its header cut,
	// starts the next connection, of which it is all Zeek sees.
	again := append(slices.Clone(whole), pkt{2 * time.Second, cli, srv, wire.SYN, 9000, 0, 0, 0})
	conns = analyzeBytes(t, cutHeaders(capture(again), len(again)-1), Options{})
	if len(conns) != 2 || conns[0].ConnState() != "SF" || summary(conns[1]) != "198.18.0.1:40000 198.18.0.2:80 OTH  0/0 0s pkts 0 open none header-cut" {
		var g []string
		for _, c := range conns {
			g = append(g, summary(c))
		}
		t.Errorf("cut SYN reusing a closed 4-tuple: %q, want SF then OTH header-cut", g)
	}
}

// TestIdleUnfollowed checks connections none of whose packets were
// followed (every TCP checksum wrong, or every header cut): the cause says
// which, and the idle time is counted from their first packet, not from
// time 0.
func TestIdleUnfollowed(t *testing.T) {
	// Right IPv4 header checksums, and TCP ones wrong (or none at all,
	// which is as wrong) in every segment.
	ipSums := func(file []byte, tcp uint16) []byte {
		file = slices.Clone(file)
		for off := 24; off < len(file); {
			n := int(binary.LittleEndian.Uint32(file[off+8:]))
			ip := file[off+16 : off+16+n]
			var s uint32
			for i := 0; i < 20; i += 2 {
				s += uint32(binary.BigEndian.Uint16(ip[i:]))
			}
			s = s>>16 + s&0xffff
			binary.BigEndian.PutUint16(ip[10:], ^uint16(s+s>>16))
			binary.BigEndian.PutUint16(ip[36:], tcp)
			off += 16 + n
		}
		return file
	}
	badSums, cut := ipSums(capture(handshake), 0xdead), ipSums(cutHeaders(capture(handshake), 0, 1, 2), 0)
	for name, tc := range map[string]struct {
		file  []byte
		cause string
	}{"bad checksums": {badSums, CauseBadChecksum}, "headers cut": {cut, CauseHeaderCut}} {
		file := tc.file
		r, err := wire.NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		r.Checksums = true
		var conns []*Conn
		tr := NewTracker(Options{Checksums: true}, func(c *Conn) { conns = append(conns, c.Clone()) })
		r.Each(func(rec *wire.Record) bool { tr.Add(rec); return true })
		tr.Close()
		if len(conns) == 0 {
			t.Errorf("%s: no connection", name)
		}
		for _, c := range conns {
			if v := c.Verdict(); c.Packets() != 0 || v.Cause.ID != tc.cause || v.Idle < 0 || v.Idle > 2*time.Millisecond {
				t.Errorf("%s: %s: idle %v; want no packet followed, cause %s and at most the 2ms the capture lasts", name, summary(c), v.Idle, tc.cause)
			}
		}
	}
}

// TestTimeBack checks that a capture whose times go back (a clock stepped
// back, the files of two interfaces merged) gives no idle time below zero:
// a FIN or an RST dated before the packet seen last comes after no idle
// time at all.
func TestTimeBack(t *testing.T) {
	data := pkt{10 * time.Millisecond, cli, srv, wire.ACK | wire.PSH, 101, 501, 10, 0}
	for name, last := range map[string]pkt{
		"FIN": {5 * time.Millisecond, cli, srv, wire.FIN | wire.ACK, 111, 501, 0, 0},
		"RST": {5 * time.Millisecond, srv, cli, wire.RST, 501, 0, 0, 0},
	} {
		conns := analyzeBytes(t, capture(append(slices.Clone(handshake), data, last)), Options{})
		if len(conns) != 1 {
			t.Fatalf("%s: %d connections, want 1", name, len(conns))
		}
		if v := conns[0].Verdict(); v.Idle != 0 {
			t.Errorf("%s dated 5 ms before the packet before it: idle %v, want 0 (%s)", name, v.Idle, v.Cause.ID)
		}
	}
}
