package wire

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// split4 cuts an IPv4 packet into fragments of at most size payload bytes
// (a multiple of 8) with identification id, each header's checksum right.
func split4(pkt []byte, size int, id uint16) [][]byte {
	hl := int(pkt[0]&0x0f) * 4
	body := pkt[hl:]
	var out [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		f := append(bytes.Clone(pkt[:hl]), body[off:end]...)
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		binary.BigEndian.PutUint16(f[4:], id)
		ff := uint16(off / 8)
		if end < len(body) {
			ff |= 0x2000
		}
		binary.BigEndian.PutUint16(f[6:], ff)
		f[10], f[11] = 0, 0
		binary.BigEndian.PutUint16(f[10:], ^sum(0, f[:hl]))
		out = append(out, f)
	}
	return out
}

// split6 cuts an IPv6 packet without extension headers into fragments of
// at most size payload bytes, each with a Fragment header.
func split6(pkt []byte, size int, id uint32) [][]byte {
	body := pkt[40:]
	var out [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		f := append(bytes.Clone(pkt[:40]), make([]byte, 8)...)
		f[6] = protoFragment
		f[40] = pkt[6]
		ff := uint16(off)
		if end < len(body) {
			ff |= 1
		}
		binary.BigEndian.PutUint16(f[42:], ff)
		binary.BigEndian.PutUint32(f[44:], id)
		f = append(f, body[off:end]...)
		binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		out = append(out, f)
	}
	return out
}

// ipip wraps an IPv4 packet in another (IP protocol 4), as a tunnel does.
func ipip(inner []byte) []byte {
	h := bytes.Clone(inner[:20])
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(inner)))
	h[6], h[7] = 0, 0
	h[9] = 4
	copy(h[12:], []byte{198, 18, 0, 1, 198, 18, 0, 2})
	h[10], h[11] = 0, 0
	binary.BigEndian.PutUint16(h[10:], ^sum(0, h))
	return append(h, inner...)
}

// fragRead reads frames, a second apart from t0 (or as times says), as a
// raw-IP pcap file and returns the TCP segments' strings, their IP
// packets, and the Stats.
func fragRead(t *testing.T, frames [][]byte, times []time.Time, checksums bool) ([]string, [][]byte, Stats) {
	t.Helper()
	if times == nil {
		for i := range frames {
			times = append(times, time.Unix(1000+int64(i), 0))
		}
	}
	r, err := NewReader(bytes.NewReader(pcapFile(binary.LittleEndian, magicNano, linkRaw, frames, times)))
	if err != nil {
		t.Fatal(err)
	}
	r.Checksums = checksums
	var got []string
	var data [][]byte
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return got, data, r.Stats()
		}
		if rec.Kind == KindTCP {
			got = append(got, rec.TCP.String())
			data = append(data, bytes.Clone(rec.TCP.Data))
		}
	}
}

// fragCounts is the part of Stats the reassembly sets.
type fragCounts struct {
	TCP, Fragment, Damaged, Reassembled, Incomplete, Evicted, Invalid, Snapped int
}

func countsOf(st Stats) fragCounts {
	return fragCounts{st.TCP, st.Fragment, st.Damaged, st.Reassembled, st.FragIncomplete, st.FragEvicted, st.FragInvalid, st.FragSnapped}
}

// TestFragments reassembles crafted fragment sets: the datagram must come
// out whole, once, exactly when the rules say, and what is given up must
// be counted.
func TestFragments(t *testing.T) {
	payload := strings.Repeat("0123456789abcdef", 25) // 400 bytes
	s4 := seg{src: "198.18.0.1:40000", dst: "198.18.0.2:80", flags: PSH | ACK, seq: 1, ack: 1, payload: payload}
	s6 := seg{src: "[2001:db8::1]:40000", dst: "[2001:db8::2]:80", flags: PSH | ACK, seq: 1, ack: 1, payload: payload}
	p4, p6 := s4.ipv4(), s6.ipv6()
	want4, _ := Decode(p4)
	want6, _ := Decode(p6)
	f4 := split4(p4, 128, 7) // 420 bytes of TCP: 4 fragments
	f6 := split6(p6, 128, 7)
	// f6hbh has a hop-by-hop options header before each Fragment header.
	var f6hbh [][]byte
	for _, f := range f6 {
		g := append(bytes.Clone(f[:40]), protoFragment, 0, 1, 4, 0, 0, 0, 0)
		g[6] = protoHopByHop
		g = append(g, f[40:]...)
		binary.BigEndian.PutUint16(g[4:], uint16(len(g)-40))
		f6hbh = append(f6hbh, g)
	}
	rev := func(f [][]byte) [][]byte { f = slices.Clone(f); slices.Reverse(f); return f }
	// overlap is f4 with a fragment that covers the second one's end and
	// the third one's start.
	overlap := slices.Clone(f4)
	mid := split4(p4, 96, 7)[2] // payload bytes 192..288
	overlap = append(overlap[:2:2], append([][]byte{mid}, overlap[2:]...)...)
	// misaligned is a first fragment of 100 bytes, which is not a multiple of 8.
	misaligned := split4(p4, 100, 7)[0]
	binary.BigEndian.PutUint16(misaligned[6:], 0x2000)
	misaligned6 := split6(p6, 100, 7)[0]
	binary.BigEndian.PutUint16(misaligned6[42:], 1)
	empty := bytes.Clone(f4[1][:20])
	binary.BigEndian.PutUint16(empty[2:], 20)
	badSum := slices.Clone(f4)
	badSum[1] = bytes.Clone(badSum[1])
	badSum[1][8]-- // the TTL, under the header checksum
	snapped := slices.Clone(f4)
	snapped[1] = snapped[1][:60]
	// A first fragment the snap length cut is a packet of its own, as
	// long as the fragment says.
	snappedFirst := slices.Clone(f4)
	snappedFirst[0] = snappedFirst[0][:60]
	whole := bytes.Clone(f4[0])
	whole[6] = 0
	first, _ := Decode(whole)
	first.Data = first.Data[:60]
	late := sameTime(len(f4))
	late[3] = late[2].Add(fragTimeout4 + time.Second)
	// Another datagram's fragments in between, with the same addresses
	// and another identification, do not mix with the first's.
	mixed := append(slices.Clone(f4[:2]), split4(p4, 128, 8)...)
	mixed = append(mixed, f4[2:]...)
	// A tunnel whose inner packet is fragmented: each fragment rides in
	// its own outer packet.
	var tunnel [][]byte
	for _, f := range f4 {
		tunnel = append(tunnel, ipip(f))
	}

	for _, tc := range []struct {
		name      string
		frames    [][]byte
		times     []time.Time
		checksums bool
		want      []Packet
		counts    fragCounts
	}{
		{"ipv4 in order", f4, nil, false, []Packet{want4}, fragCounts{TCP: 1, Fragment: 3, Reassembled: 1}},
		{"ipv4 reversed", rev(f4), nil, false, []Packet{want4}, fragCounts{TCP: 1, Fragment: 3, Reassembled: 1}},
		{"ipv6 in order", f6, nil, false, []Packet{want6}, fragCounts{TCP: 1, Fragment: 3, Reassembled: 1}},
		{"ipv6 reversed", rev(f6), nil, false, []Packet{want6}, fragCounts{TCP: 1, Fragment: 3, Reassembled: 1}},
		{"ipv6 hop-by-hop options first", f6hbh, nil, false, []Packet{want6}, fragCounts{TCP: 1, Fragment: 3, Reassembled: 1}},
		{"duplicate", append(slices.Clone(f4[:2]), f4[1:]...), nil, false, []Packet{want4}, fragCounts{TCP: 1, Fragment: 4, Reassembled: 1}},
		{"duplicate after the end", append(slices.Clone(f4), f4[0]), nil, false, []Packet{want4}, fragCounts{TCP: 1, Fragment: 4, Reassembled: 1, Incomplete: 1}},
		{"overlapping", overlap, nil, false, nil, fragCounts{Fragment: 5, Invalid: 1, Incomplete: 1}},
		{"missing last", f4[:3], nil, false, nil, fragCounts{Fragment: 3, Incomplete: 1}},
		{"missing first", f4[1:], nil, false, nil, fragCounts{Fragment: 3, Incomplete: 1}},
		{"last too late", f4, late, false, nil, fragCounts{Fragment: 4, Incomplete: 2}},
		{"two datagrams mixed", mixed, nil, false, []Packet{want4, want4}, fragCounts{TCP: 2, Fragment: 6, Reassembled: 2}},
		{"inside a tunnel", tunnel, nil, false, []Packet{want4}, fragCounts{TCP: 1, Fragment: 3, Reassembled: 1}},
		{"ipv4 misaligned", [][]byte{misaligned}, nil, false, nil, fragCounts{Fragment: 1, Incomplete: 1}},
		{"ipv4 misaligned, cut to 8 bytes", append([][]byte{misaligned}, split4(p4, 96, 7)[1:]...), nil, false, []Packet{want4}, fragCounts{TCP: 1, Fragment: 4, Reassembled: 1}},
		{"ipv6 misaligned", [][]byte{misaligned6}, nil, false, nil, fragCounts{Damaged: 1}},
		{"empty", [][]byte{empty}, nil, false, nil, fragCounts{Damaged: 1}},
		{"bad header checksum", badSum, nil, true, nil, fragCounts{Fragment: 3, Damaged: 1, Incomplete: 1}},
		{"bad header checksum not checked", badSum, nil, false, []Packet{want4}, fragCounts{TCP: 1, Fragment: 3, Reassembled: 1}},
		{"cut by the snap length", snapped, nil, false, nil, fragCounts{Fragment: 4, Snapped: 1, Incomplete: 1}},
		{"first cut by the snap length", snappedFirst, nil, false, []Packet{first}, fragCounts{TCP: 1, Fragment: 3, Snapped: 1, Incomplete: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, data, st := fragRead(t, tc.frames, tc.times, tc.checksums)
			var want []string
			for _, p := range tc.want {
				want = append(want, p.String())
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
			if c := countsOf(st); c != tc.counts {
				t.Errorf("counts %+v, want %+v", c, tc.counts)
			}
			for i, d := range data {
				w := tc.want[i].Data
				hl := 40
				if w[0]>>4 == 4 {
					hl = 20
					if sum(0, d[:hl]) != 0xffff {
						t.Errorf("reassembled IPv4 header checksum wrong: % x", d[:hl])
					}
				}
				if !bytes.Equal(d[hl:], w[hl:]) || len(d) != len(w) {
					t.Errorf("reassembled %d bytes differ from the %d sent", len(d), len(w))
				}
			}
		})
	}
}

// sameTime is n capture times, all the same, so that no timeout passes.
func sameTime(n int) []time.Time {
	ts := make([]time.Time, n)
	for i := range ts {
		ts[i] = time.Unix(1000, 0)
	}
	return ts
}

// TestFragmentLimits fills the reassembly past its limits: the oldest
// datagrams are given up, counted, and the newest still complete.
func TestFragmentLimits(t *testing.T) {
	p := seg{src: "198.18.0.1:40000", dst: "198.18.0.2:80", flags: ACK, payload: strings.Repeat("x", 100)}.ipv4()
	want, _ := Decode(p)
	t.Run("datagrams", func(t *testing.T) {
		var frames [][]byte
		for id := range maxDatagrams + 2 {
			frames = append(frames, split4(p, 64, uint16(id))[0])
		}
		frames = append(frames, split4(p, 64, maxDatagrams+1)[1])
		got, _, st := fragRead(t, frames, sameTime(len(frames)), false)
		c := countsOf(st)
		want := fragCounts{TCP: 1, Fragment: maxDatagrams + 2, Reassembled: 1, Evicted: 2, Incomplete: maxDatagrams - 1}
		if len(got) != 1 || c != want {
			t.Errorf("%d packets, counts %+v; want 1, %+v", len(got), c, want)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		// A fragment far into its datagram makes it hold nearly 64 KiB.
		far := split4(seg{src: "198.18.0.1:1", dst: "198.18.0.2:2", payload: strings.Repeat("y", 64000)}.ipv4(), 63992, 0)[1]
		var frames [][]byte
		n := maxFragHeld/65000 + 4
		for id := range n {
			f := bytes.Clone(far)
			binary.BigEndian.PutUint16(f[4:], uint16(id))
			frames = append(frames, f)
		}
		frames = append(frames, split4(p, 64, 60000)...)
		got, _, st := fragRead(t, frames, sameTime(len(frames)), false)
		if len(got) != 1 || got[0] != want.String() || st.FragEvicted == 0 || st.FragEvicted+st.FragIncomplete != n {
			t.Errorf("%q, counts %+v; want the small datagram, and some of the %d large ones evicted", got, countsOf(st), n)
		}
	})
}

// TestFragmentTraces reads Zeek's GTP traces whose outer IP packets are
// fragmented: every datagram whose fragments are all there is reassembled
// and its TCP segment decoded, as many as tshark finds (tshark -r FILE -Y
// tcp | wc -l). In gtp1 four datagrams lack their last fragment (tshark
// -Y 'ip.flags.mf==1 && ip.frag_offset==0' finds 40 first fragments,
// -Y 'ip.frag_offset>0' 36 later ones):
// Zeek's missed_bytes for that connection, 5760, is their 4 x 1440 bytes.
func TestFragmentTraces(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "zeek-parity", "traces")
	for _, tc := range []struct {
		name                         string
		tcp, reassembled, incomplete int
	}{
		{"tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap", 68, 36, 4},
		{"tunnels__gtp__gtp2_different_udp_port.pcap", 78, 42, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.name))
			if err != nil {
				t.Skipf("Zeek parity traces not found (%v): they live in the project's shared folder", err)
			}
			got, st := readAll(t, b)
			want := fragCounts{TCP: tc.tcp, Fragment: tc.reassembled + tc.incomplete, Reassembled: tc.reassembled, Incomplete: tc.incomplete}
			if c := countsOf(st); c != want || len(got) != tc.tcp {
				t.Errorf("%d segments, counts %+v; want %+v", len(got), c, want)
			}
		})
	}
}

// FuzzFragments feeds the reassembly fragments cut, in any order, size and
// timing, from a few datagrams whose payload bytes are known: whatever
// comes out must be one of them, whole, and the bounds must hold.
func FuzzFragments(f *testing.F) {
	f.Add([]byte{0, 0, 16, 1, 0, 0, 2, 16, 0, 0})
	f.Add([]byte{1, 2, 8, 0, 5, 1, 0, 8, 1, 5, 1, 1, 8, 1, 200})
	f.Fuzz(func(t *testing.T, ops []byte) {
		// The payload byte at offset i of datagram id is byte(id + i*7).
		src := func(id uint32, off, n int) []byte {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(int(id) + (off+i)*7)
			}
			return b
		}
		var fs fragments
		now := time.Unix(1000, 0)
		hdr4 := seg{src: "198.18.0.1:1", dst: "198.18.0.2:2"}.ipv4()[:20]
		hdr6 := seg{src: "[2001:db8::1]:1", dst: "[2001:db8::2]:2"}.ipv6()[:40]
		a4, a6 := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::1")
		for len(ops) >= 5 {
			// Each operation: id and version, offset, size, flags, time step.
			id, v6 := uint32(ops[0]&3), ops[0]&4 != 0
			off := int(ops[1]) * 8 * 31
			size := int(ops[2]) * 8
			if ops[3]&2 != 0 {
				size = int(ops[2]) // perhaps misaligned
			}
			more := ops[3]&1 != 0
			now = now.Add(time.Duration(ops[4]) * 250 * time.Millisecond)
			ops = ops[5:]
			fr := fragment{key: fragKey{src: a4, dst: a4, id: id}, v6: v6, off: off, more: more, size: size, data: src(id, off, max(size, 0))}
			fr.hdr = hdr4
			if v6 {
				fr.key.src, fr.key.dst = a6, a6
				fr.hdr, fr.next = hdr6, protoTCP
			}
			if ops := len(fs.pending); ops > maxDatagrams {
				t.Fatalf("%d datagrams in progress", ops)
			}
			dg, res := fs.add(now, &fr)
			held := 0
			for _, d := range fs.pending {
				held += len(d.buf)
			}
			if held != fs.held || held > maxFragHeld {
				t.Fatalf("held %d, counted %d (limit %d)", held, fs.held, maxFragHeld)
			}
			if res != fragDone {
				continue
			}
			hl := len(fr.hdr)
			if len(dg) < hl {
				t.Fatalf("datagram of %d bytes", len(dg))
			}
			body := dg[hl:]
			if !bytes.Equal(body, src(id, 0, len(body))) {
				t.Fatalf("datagram %d's %d bytes are not the ones sent", id, len(body))
			}
			if v6 && int(binary.BigEndian.Uint16(dg[4:])) != len(body) || !v6 && (int(binary.BigEndian.Uint16(dg[2:])) != len(dg) || sum(0, dg[:hl]) != 0xffff) {
				t.Fatalf("datagram header % x does not fit its %d bytes", dg[:hl], len(dg))
			}
		}
		fs.finish()
		if len(fs.pending) != 0 || fs.held != 0 {
			t.Fatalf("after finish: %d datagrams, %d bytes", len(fs.pending), fs.held)
		}
	})
}
