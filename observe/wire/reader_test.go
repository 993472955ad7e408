package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// readAll reads every record of file with a Reader, as strings.
func readAll(t testing.TB, file []byte) ([]string, Stats) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out []string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out, r.Stats()
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		switch rec.Kind {
		case KindTCP:
			out = append(out, rec.TCP.String())
		case KindICMP:
			out = append(out, "icmp "+strconv.Itoa(int(rec.ICMP.Type))+"/"+strconv.Itoa(int(rec.ICMP.Code))+
				" from "+rec.ICMP.From.String()+" about "+rec.ICMP.Src.String()+" > "+rec.ICMP.Dst.String())
		}
	}
}

// TestReaderSkipsDamaged checks that a malformed record is skipped and
// counted, and that a file cut short ends the stream with Broken set.
func TestReaderSkipsDamaged(t *testing.T) {
	pkts := testPackets(t)
	bad := bytes.Clone(pkts[0].Data)
	binary.BigEndian.PutUint16(bad[2:], 20+19) // a TCP segment of 19 bytes
	t0 := pkts[0].Time
	file := pcapFile(binary.LittleEndian, magicNano, linkRaw, [][]byte{pkts[0].Data, bad, pkts[1].Data}, []time.Time{t0, t0, t0})
	got, st := readAll(t, file)
	if len(got) != 2 || got[0] != pkts[0].String() || got[1] != pkts[1].String() {
		t.Errorf("read %q, want the two good packets", got)
	}
	if st.Damaged != 1 || st.Records != 3 || st.TCP != 2 || st.Broken != nil {
		t.Errorf("stats %+v, want 3 records, 2 TCP, 1 damaged", st)
	}
	got, st = readAll(t, file[:len(file)-3])
	if len(got) != 1 || st.Broken == nil || !errors.Is(st.Broken, io.ErrUnexpectedEOF) || st.Damaged != 2 {
		t.Errorf("cut file: read %q, stats %+v; want 1 packet, 2 damaged and a broken file", got, st)
	}
	huge := append(bytes.Clone(file[:24+16+len(pkts[0].Data)]), 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f)
	if _, st = readAll(t, huge); st.Broken == nil || st.TCP != 1 {
		t.Errorf("record of 2 GB: stats %+v, want 1 TCP and a broken file", st)
	}
}

// TestReaderICMP checks that an ICMP error quoting a TCP segment is returned
// with the segment's addresses, for IPv4 and IPv6.
func TestReaderICMP(t *testing.T) {
	s4 := seg{src: "198.18.0.1:40000", dst: "198.19.0.2:80", flags: SYN, seq: 7}.ipv4()
	icmp4 := append([]byte{3, 1, 0, 0, 0, 0, 0, 0}, s4[:28]...)
	binary.BigEndian.PutUint16(icmp4[2:], ^sum(0, icmp4))
	ip4 := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 63, 1, 0, 0, 198, 18, 0, 254, 198, 18, 0, 1}
	binary.BigEndian.PutUint16(ip4[2:], uint16(20+len(icmp4)))
	ip4 = append(ip4, icmp4...)

	s6 := seg{src: "[2001:db8::1]:40000", dst: "[2001:db8:1::2]:80", flags: SYN}.ipv6()
	icmp6 := append([]byte{1, 3, 0, 0, 0, 0, 0, 0}, s6[:48]...)
	ip6 := make([]byte, 40)
	ip6[0], ip6[6], ip6[7] = 0x60, 58, 64
	binary.BigEndian.PutUint16(ip6[4:], uint16(len(icmp6)))
	copy(ip6[8:], []byte{0x20, 0x01, 0x0d, 0xb8, 15: 0xfe})
	copy(ip6[24:], s6[8:24])
	ip6 = append(ip6, icmp6...)

	for _, ip := range [][]byte{ip4, ip6} {
		ic, err := DecodeICMP(ip)
		if err != nil || ic.Src.Port() != 40000 || ic.Dst.Port() != 80 {
			t.Errorf("DecodeICMP: %+v, %v", ic, err)
		}
	}
	echo := append(bytes.Clone(ip4[:20]), 8, 0, 0, 0, 0, 1, 0, 1)
	binary.BigEndian.PutUint16(echo[2:], 28)
	t0 := time.Unix(1700000000, 0)
	file := pcapFile(binary.BigEndian, magicMicro, linkRaw, [][]byte{ip4, ip6, echo}, []time.Time{t0, t0, t0})
	got, st := readAll(t, file)
	want := []string{
		"icmp 3/1 from 198.18.0.254 about 198.18.0.1:40000 > 198.19.0.2:80",
		"icmp 1/3 from 2001:db8::fe about [2001:db8::1]:40000 > [2001:db8:1::2]:80",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := DecodeICMP(echo); !errors.Is(err, ErrNotTCP) {
		t.Errorf("DecodeICMP of an echo request: %v, want ErrNotTCP", err)
	}
	if st.ICMP != 2 || st.Other != 1 {
		t.Errorf("stats %+v, want 2 ICMP errors and 1 other (the echo request)", st)
	}
}

// TestReaderPcapng checks pcapng written by gopacket's writer, packet
// comments included, in a file with Ethernet frames.
func TestReaderPcapng(t *testing.T) {
	pkts := testPackets(t)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		f := make([]byte, 12, 14+len(p.Data))
		if p.Data[0]>>4 == 4 {
			f = append(f, 0x08, 0x00)
		} else {
			f = append(f, 0x86, 0xdd)
		}
		f = append(f, p.Data...)
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacketWithOptions(ci, f, pcapgo.NgPacketOptions{Comments: []string{"step " + strconv.Itoa(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Pcapng() {
		t.Error("Pcapng() is false for a pcapng file")
	}
	for i := 0; ; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			if i != len(pkts) {
				t.Errorf("read %d packets, wrote %d", i, len(pkts))
			}
			break
		}
		if rec.TCP.String() != pkts[i].String() || !rec.Time.Equal(pkts[i].Time) {
			t.Errorf("packet %d: %s at %v, want %s at %v", i, rec.TCP, rec.Time, pkts[i], pkts[i].Time)
		}
		if len(rec.Comments) != 1 || rec.Comments[0] != "step "+strconv.Itoa(i) {
			t.Errorf("packet %d: comments %q", i, rec.Comments)
		}
	}
}

// Real captures from Debian packages: gopacket's pcapng test files, in both
// byte orders, and dpkt's classic http.pcap. tshark, where installed, says
// how many TCP segments each holds, leaving out those inside L2TP, which
// the Reader does not decapsulate.
const (
	gopacketTests = "/usr/share/gocode/src/github.com/gopacket/gopacket/pcapgo/tests"
	dpktData      = "/usr/share/doc/python3-dpkt/examples/data"
)

func TestReaderDebianCaptures(t *testing.T) {
	var files []string
	le, _ := filepath.Glob(filepath.Join(gopacketTests, "le", "*.pcapng"))
	be, _ := filepath.Glob(filepath.Join(gopacketTests, "be", "*.pcapng"))
	dp, _ := filepath.Glob(filepath.Join(dpktData, "*.pcap"))
	files = append(append(append(files, le...), be...), dp...)
	if len(le) == 0 || len(dp) == 0 {
		t.Skip("Debian packages golang-github-gopacket-gopacket-dev and python3-dpkt are not installed (their captures are the test's input)")
	}
	tshark, _ := exec.LookPath("tshark")
	segs := map[string][]string{}
	var mu sync.Mutex
	t.Run("files", func(t *testing.T) {
		for _, name := range files {
			t.Run(filepath.Base(filepath.Dir(name))+"/"+filepath.Base(name), func(t *testing.T) {
				t.Parallel()
				b, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				r, err := NewReader(bytes.NewReader(b))
				if err != nil {
					// gopacket's own reader refuses some of its deliberately
					// odd test files; then so may we, but with an error.
					if _, gerr := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.NgReaderOptions{WantMixedLinkType: true}); gerr == nil {
						t.Fatalf("NewReader: %v, though pcapgo opens the file", err)
					}
					return
				}
				var got []string
				for {
					rec, err := r.Next()
					if err != nil {
						break
					}
					if rec.Kind == KindTCP {
						got = append(got, rec.TCP.String())
					}
				}
				mu.Lock()
				segs[name] = got
				mu.Unlock()
				// The big-endian files are checked against their twins below.
				if tshark == "" || strings.Contains(name, "/be/") {
					return
				}
				out, err := exec.Command(tshark, "-r", name, "-Y", "tcp && !icmp && !icmpv6 && !l2tp", "-T", "fields", "-e", "tcp.srcport").Output()
				if err != nil {
					t.Skipf("tshark -r: %v", err)
				}
				want := 0
				if s := strings.TrimSpace(string(out)); s != "" {
					want = strings.Count(s, "\n") + 1
				}
				if len(got) != want {
					t.Errorf("read %d TCP segments, tshark shows %d (stats %+v)", len(got), want, r.Stats())
				}
			})
		}
	})
	// The big-endian twin of each file holds the same packets.
	for _, name := range be {
		twin := filepath.Join(gopacketTests, "le", filepath.Base(name))
		if g, w := strings.Join(segs[name], "\n"), strings.Join(segs[twin], "\n"); g != w {
			t.Errorf("%s and its little-endian twin differ:\n%s\nvs\n%s", name, g, w)
		}
	}
	if got := segs[filepath.Join(dpktData, "http.pcap")]; len(got) != 41 || got[0] != "145.254.160.237:3372 > 65.208.228.223:80 Flags [S], seq 951057939, win 8760, length 0" {
		t.Errorf("http.pcap: %d segments, first %q", len(got), got)
	}
}

// manyPackets is a pcap file of n Ethernet frames cycling through
// testPackets.
func manyPackets(t testing.TB, n int) []byte {
	pkts := testPackets(t)
	var frames [][]byte
	var times []time.Time
	for i := range n {
		p := pkts[i%len(pkts)]
		f := append(make([]byte, 12), 0x08, 0x00)
		if p.Data[0]>>4 == 6 {
			f[12], f[13] = 0x86, 0xdd
		}
		frames = append(frames, append(f, p.Data...))
		times = append(times, p.Time)
	}
	return pcapFile(binary.LittleEndian, magicNano, linkEthernet, frames, times)
}

// TestReaderNoAllocs checks that reading and decoding a record allocates
// nothing once the reader is warm.
func TestReaderNoAllocs(t *testing.T) {
	file := manyPackets(t, 5000)
	r, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Next allocates %v times per record", n)
	}
}

// BenchmarkReader measures records decoded per second:
//
//	go test -run - -bench Reader ./observe/wire
func BenchmarkReader(b *testing.B) {
	file := manyPackets(b, 100000)
	b.SetBytes(int64(len(file) / 100000))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for n < b.N {
		r, err := NewReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		for n < b.N {
			if _, err := r.Next(); err != nil {
				break
			}
			n++
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add(manyPackets(f, 4))
	p, _ := Decode(seg{src: "127.0.0.1:1", dst: "127.0.0.1:2", flags: SYN}.ipv4())
	t0 := time.Unix(1, 2)
	f.Add(pcapFile(binary.LittleEndian, magicMicro, linkSLL2, [][]byte{append([]byte{8, 0}, append(make([]byte, 18), p.Data...)...)}, []time.Time{t0}))
	f.Add(pcapFile(binary.BigEndian, magicMicro, linkNull, [][]byte{append([]byte{0, 0, 0, 2}, p.Data...)}, []time.Time{t0}))
	if b, err := os.ReadFile(filepath.Join(gopacketTests, "le", "test001.pcapng")); err == nil {
		f.Add(b)
	}
	// The link types of decodeLink and the encapsulations of tunnel.
	f.Add(pcapFile(binary.LittleEndian, magicMicro, 9, [][]byte{append([]byte{0xff, 0x03, 0x00, 0x21}, p.Data...)}, []time.Time{t0}))
	f.Add(pcapFile(binary.LittleEndian, magicMicro, 239, [][]byte{append([]byte{2, 0, 0, 1, 8, 0, 1, 0, 0, 0, 0, 0, byte(4 + len(p.Data)), 0, 9, 0}, p.Data...)}, []time.Time{t0}))
	f.Add(pcapFile(binary.LittleEndian, magicMicro, 127, [][]byte{append(append([]byte{0, 0, 8, 0, 0, 0, 0, 0, 0x08, 0x01}, make([]byte, 22)...), append([]byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, p.Data...)...)}, []time.Time{t0}))
	teredo := seg{src: "[2001:0:4137:9e50::1]:1", dst: "[2001:db8::2]:2", flags: SYN}.ipv6()
	f.Add(pcapFile(binary.LittleEndian, magicMicro, linkEthernet, [][]byte{etherFrame(0x0800, udpOver(3797, 32900, teredo)),
		etherFrame(ethVNTag, append([]byte{0, 0, 0, 0x33, 0x08, 0x00}, p.Data...))}, []time.Time{t0, t0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		n := 0
		for {
			rec, err := r.Next()
			if err != nil {
				break
			}
			n++
			if (rec.Kind == KindTCP || rec.Kind == KindTCPCut) && (rec.TCP.Len < 0 || len(rec.TCP.Data) > len(b)) {
				t.Fatalf("record %d: Len %d, %d bytes of data from a %d-byte file", rec.N, rec.TCP.Len, len(rec.TCP.Data), len(b))
			}
			_ = rec.TCP.String()
		}
		st := r.Stats()
		if st.TCP+st.TCPCut+st.ICMP != n || st.Records < n {
			t.Fatalf("stats %+v after %d records", st, n)
		}
	})
}

// TestReaderTunnels checks the tunnels the Reader opens itself: 802.1ah
// PBB, GRE in UDP and AYIYA, each holding the same TCP segment.
func TestReaderTunnels(t *testing.T) {
	s := seg{src: "198.18.0.1:40000", dst: "198.18.0.2:80", flags: SYN, seq: 9}
	inner := s.ipv4()
	udp := func(port uint16, payload []byte) []byte {
		u := make([]byte, 8, 8+len(payload))
		binary.BigEndian.PutUint16(u[0:], 50000)
		binary.BigEndian.PutUint16(u[2:], port)
		binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
		u = append(u, payload...)
		ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 198, 19, 0, 1, 198, 19, 0, 2}
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(u)))
		return append(ip, u...)
	}
	ether := func(typ uint16, payload []byte) []byte {
		f := make([]byte, 12, 14+len(payload))
		f = binary.BigEndian.AppendUint16(f, typ)
		return append(f, payload...)
	}
	pbb := ether(0x88e7, append([]byte{0, 0, 0, 1}, ether(0x0800, inner)...))
	greUDP := ether(0x0800, udp(4754, append([]byte{0, 0, 0x08, 0x00}, inner...)))
	// AYIYA: identity 2^2 bytes, signature 1×4 bytes, forward, IPv4.
	ayiya := append([]byte{0x21, 0x10, 0x01, 4, 0, 0, 0, 0}, make([]byte, 4+4)...)
	ayiyaFrame := ether(0x0800, udp(5072, append(ayiya, inner...)))
	t0 := time.Unix(1700000000, 0)
	file := pcapFile(binary.LittleEndian, magicMicro, linkEthernet, [][]byte{pbb, greUDP, ayiyaFrame}, []time.Time{t0, t0, t0})
	got, st := readAll(t, file)
	want := "198.18.0.1:40000 > 198.18.0.2:80 Flags [S], seq 9, win 0, length 0"
	if len(got) != 3 || got[0] != want || got[1] != want || got[2] != want {
		t.Errorf("read %q (stats %+v), want the segment three times: %s", got, st, want)
	}
}

// TestReaderArubaGRE checks 802.11 frames that Aruba access points send
// their controller in GRE: a plain data frame, an A-MSDU whose two
// subframes are two packets (each returned, with the same record number),
// and a protected frame, which gives nothing.
// arubaFrames are the Ethernet frames of TestReaderArubaGRE.
func arubaFrames() [][]byte {
	a := seg{src: "198.18.0.1:40000", dst: "198.18.0.2:80", flags: SYN, seq: 9}.ipv4()
	b := seg{src: "198.18.0.3:40001", dst: "198.18.0.2:443", flags: SYN, seq: 7, payload: "x"}.ipv4()
	llc := func(ip []byte) []byte { return append([]byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, ip...) }
	// QoS data (subtype 8), From DS; the QoS field's bit 7 says A-MSDU.
	hdr := func(amsdu, protected bool) []byte {
		h := make([]byte, 26)
		h[0], h[1] = 0x88, 0x02
		if protected {
			h[1] |= 0x40
		}
		if amsdu {
			h[24] = 0x80
		}
		return h
	}
	sub := func(ip []byte) []byte {
		p := llc(ip)
		s := binary.BigEndian.AppendUint16(make([]byte, 12), uint16(len(p)))
		s = append(s, p...)
		return append(s, make([]byte, (4-len(p)%4)%4)...)
	}
	gre := func(dot11 []byte) []byte {
		g := append([]byte{0, 0, 0x82, 0x40}, dot11...)
		ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 47, 0, 0, 198, 19, 0, 1, 198, 19, 0, 2}
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(g)))
		f := append(make([]byte, 12), 0x08, 0x00)
		return append(append(f, ip...), g...)
	}
	return [][]byte{
		gre(append(hdr(false, false), llc(a)...)),
		gre(append(append(hdr(true, false), sub(a)...), sub(b)...)),
		gre(append(hdr(false, true), llc(a)...)),
	}
}

func TestReaderArubaGRE(t *testing.T) {
	frames := arubaFrames()
	t0 := time.Unix(1700000000, 0)
	file := pcapFile(binary.LittleEndian, magicMicro, linkEthernet, frames, []time.Time{t0, t0, t0})
	r, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		got = append(got, strconv.Itoa(rec.N)+" "+rec.TCP.String())
	}
	wa := "198.18.0.1:40000 > 198.18.0.2:80 Flags [S], seq 9, win 0, length 0"
	wb := "198.18.0.3:40001 > 198.18.0.2:443 Flags [S], seq 7:8, win 0, length 1"
	want := []string{"1 " + wa, "2 " + wa, "2 " + wb}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := r.Stats(); st.Records != 3 || st.TCP != 3 || st.Other != 1 {
		t.Errorf("stats %+v, want 3 records, 3 TCP, 1 other (the protected frame)", st)
	}
}

// TestReaderTCPCut checks that a segment whose first 20 bytes of TCP header
// were captured, but not the header its data offset gives, is returned as
// KindTCPCut with what those 20 bytes say, by Next and by Each; that one with
// fewer than 20 bytes is damaged; and that the whole segment is KindTCP.
func TestReaderTCPCut(t *testing.T) {
	syn4 := seg{src: "198.18.0.1:41234", dst: "198.18.0.2:443", flags: SYN, seq: 1000, win: 65495, opts: 20}.ipv4()
	synack6 := seg{src: "[2001:db8::2]:443", dst: "[2001:db8::1]:41234", flags: SYN | ACK, seq: 7000, ack: 1001, win: 65483, opts: 20}.ipv6()
	offset := func(b []byte, tcpAt int, words byte) []byte {
		b = bytes.Clone(b)
		b[tcpAt+12] = words<<4 | b[tcpAt+12]&0x0f
		return b
	}
	ipLen := func(b []byte, n int) []byte {
		b = bytes.Clone(b)
		binary.BigEndian.PutUint16(b[2:], uint16(n))
		return b
	}
	tests := []struct {
		name  string
		frame []byte
		want  Kind // 0: damaged
	}{
		{"whole", syn4, KindTCP},
		{"snap length inside the options", syn4[:20+30], KindTCPCut},
		{"snap length right after the 20 bytes", syn4[:20+20], KindTCPCut},
		{"data offset 12", offset(syn4, 20, 3), KindTCPCut},
		{"data offset 60, past what was captured", offset(syn4, 20, 15), KindTCPCut},
		{"IP length 30 bytes short of the data offset", ipLen(syn4, 20+30), KindTCPCut},
		{"IPv6, snap length inside the options", synack6[:40+24], KindTCPCut},
		{"19 bytes of TCP captured", syn4[:20+19], 0},
		{"IP length leaves 19 bytes of TCP", ipLen(syn4, 20+19), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := pcapFile(binary.LittleEndian, magicNano, linkRaw, [][]byte{tt.frame}, []time.Time{time.Unix(1, 0)})
			whole, err := Decode(syn4)
			if tt.frame[0]>>4 == 6 {
				whole, err = Decode(synack6)
			}
			if err != nil {
				t.Fatal(err)
			}
			check := func(how string, rec *Record, st Stats) {
				t.Helper()
				if tt.want == 0 {
					if rec != nil || st.Damaged != 1 {
						t.Errorf("%s: got %v, stats %+v; want one damaged record", how, rec, st)
					}
					return
				}
				if rec == nil {
					t.Fatalf("%s: no record, stats %+v", how, st)
				}
				if rec.Kind != tt.want || (tt.want == KindTCPCut) != (st.TCPCut == 1) || st.Damaged != 0 {
					t.Errorf("%s: kind %d, stats %+v; want kind %d", how, rec.Kind, st, tt.want)
				}
				p, w := rec.TCP, whole
				if tt.want == KindTCPCut {
					w.Len = 0
				}
				if p.Src != w.Src || p.Dst != w.Dst || p.Seq != w.Seq || p.Ack != w.Ack || p.Flags != w.Flags || p.Win != w.Win || p.Len != w.Len {
					t.Errorf("%s: got %v, want %v", how, p, w)
				}
			}
			r, err := NewReader(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := r.Next()
			if err != nil {
				rec = nil
			}
			check("Next", rec, r.Stats())
			m, _ := fileReader(t, file)
			var got *Record
			m.Each(func(rec *Record) bool {
				c := *rec
				got = &c
				return true
			})
			check("Each", got, m.Stats())
		})
	}
}
