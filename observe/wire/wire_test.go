package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pcap magic numbers, as written in the file's own byte order.
const (
	magicMicro = 0xa1b2c3d4
	magicNano  = 0xa1b23c4d
)

// Link types of the tests' hand-made files (https://www.tcpdump.org/linktypes.html).
const (
	linkNull     = 0   // BSD loopback: 4-byte address family in host order
	linkEthernet = 1   // Ethernet II, possibly with 802.1Q tags
	linkRaw      = 101 // the IP packet itself
	linkSLL      = 113 // Linux cooked capture v1 (tcpdump -i any)
	linkSLL2     = 276 // Linux cooked capture v2
)

// seg describes a TCP segment for the tests to encode.
type seg struct {
	src, dst string
	flags    Flags
	seq, ack uint32
	win      uint16
	payload  string
	opts     int // bytes of TCP options (NOPs)
}

func (s seg) tcp() []byte {
	src, dst := netip.MustParseAddrPort(s.src), netip.MustParseAddrPort(s.dst)
	t := make([]byte, 20+s.opts, 20+s.opts+len(s.payload))
	binary.BigEndian.PutUint16(t[0:], src.Port())
	binary.BigEndian.PutUint16(t[2:], dst.Port())
	binary.BigEndian.PutUint32(t[4:], s.seq)
	binary.BigEndian.PutUint32(t[8:], s.ack)
	t[12] = byte((20+s.opts)/4) << 4
	t[13] = byte(s.flags)
	binary.BigEndian.PutUint16(t[14:], s.win)
	for i := 20; i < len(t); i++ {
		t[i] = 1 // NOP
	}
	return append(t, s.payload...)
}

// ipv4 wraps s in an IPv4 header.
func (s seg) ipv4() []byte {
	t := s.tcp()
	h := make([]byte, 20, 20+len(t))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(t)))
	h[6] = 0x40 // DF
	h[8] = 64
	h[9] = protoTCP
	a := netip.MustParseAddrPort(s.src).Addr().As4()
	copy(h[12:], a[:])
	a = netip.MustParseAddrPort(s.dst).Addr().As4()
	copy(h[16:], a[:])
	return append(h, t...)
}

// ipv6 wraps s in an IPv6 header followed by the extension headers ext,
// each given as (type, length in bytes).
func (s seg) ipv6(ext ...[2]int) []byte {
	var body []byte
	first := byte(protoTCP)
	for i := len(ext) - 1; i >= 0; i-- {
		typ, n := ext[i][0], ext[i][1]
		h := make([]byte, n)
		h[0] = first
		switch typ {
		case protoAH:
			h[1] = byte(n/4 - 2)
		case protoFragment:
		default:
			h[1] = byte(n/8 - 1)
		}
		body = append(h, body...)
		first = byte(typ)
	}
	body = append(body, s.tcp()...)
	h := make([]byte, 40, 40+len(body))
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(body)))
	h[6] = first
	h[7] = 64
	a := netip.MustParseAddrPort(s.src).Addr().As16()
	copy(h[8:], a[:])
	a = netip.MustParseAddrPort(s.dst).Addr().As16()
	copy(h[24:], a[:])
	return append(h, body...)
}

func TestDecode(t *testing.T) {
	rst := seg{src: "127.0.0.1:41234", dst: "127.0.0.1:20001", flags: RST | ACK, seq: 1, ack: 6, win: 512}
	data6 := seg{src: "[::1]:20001", dst: "[::1]:41234", flags: PSH | ACK, seq: 100, ack: 7, win: 65535, payload: "hello", opts: 12}
	tests := []struct {
		name string
		ip   []byte
		want string
	}{
		{"ipv4 rst", rst.ipv4(), "127.0.0.1:41234 > 127.0.0.1:20001 Flags [R.], seq 1, ack 6, win 512, length 0"},
		{"ipv4 syn", seg{src: "198.18.0.1:1", dst: "198.18.0.2:2", flags: SYN, seq: 4000000000, win: 65495, opts: 20}.ipv4(),
			"198.18.0.1:1 > 198.18.0.2:2 Flags [S], seq 4000000000, win 65495, length 0"},
		{"ipv4 pure ack", seg{src: "127.0.0.1:1", dst: "127.0.0.1:2", flags: ACK, seq: 9, ack: 10, win: 1}.ipv4(),
			"127.0.0.1:1 > 127.0.0.1:2 Flags [.], ack 10, win 1, length 0"},
		{"ipv4 trailing link padding", append(rst.ipv4(), 0, 0, 0, 0, 0, 0), "127.0.0.1:41234 > 127.0.0.1:20001 Flags [R.], seq 1, ack 6, win 512, length 0"},
		{"ipv6 data", data6.ipv6(), "[::1]:20001 > [::1]:41234 Flags [P.], seq 100:105, ack 7, win 65535, length 5"},
		{"ipv6 ext headers", data6.ipv6([2]int{protoHopByHop, 8}, [2]int{protoDstOpts, 16}, [2]int{protoRouting, 24}, [2]int{protoFragment, 8}, [2]int{protoAH, 12}),
			"[::1]:20001 > [::1]:41234 Flags [P.], seq 100:105, ack 7, win 65535, length 5"},
		{"ipv6 fin", seg{src: "[2001:db8::1]:80", dst: "[2001:db8::2]:5000", flags: FIN | PSH | ACK, seq: 5, ack: 1, win: 3, payload: "x"}.ipv6(),
			"[2001:db8::1]:80 > [2001:db8::2]:5000 Flags [FP.], seq 5:6, ack 1, win 3, length 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode(tt.ip)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := p.String(); got != tt.want {
				t.Errorf("String:\n got %s\nwant %s", got, tt.want)
			}
			if !bytes.HasPrefix(tt.ip, p.Data) || len(p.Data) < len(tt.ip)-6 {
				t.Errorf("Data is %d bytes of the %d-byte packet", len(p.Data), len(tt.ip))
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good4 := seg{src: "127.0.0.1:1", dst: "127.0.0.1:2", flags: SYN, payload: "abc"}.ipv4()
	good6 := seg{src: "[::1]:1", dst: "[::1]:2", flags: SYN}.ipv6()
	mod := func(b []byte, f func([]byte)) []byte {
		c := bytes.Clone(b)
		f(c)
		return c
	}
	tests := []struct {
		name string
		ip   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"version 5", mod(good4, func(b []byte) { b[0] = 0x55 }), ErrBadHeader},
		{"ipv4 short", good4[:19], ErrTruncated},
		{"ipv4 cut payload", good4[:len(good4)-1], ErrTruncated},
		{"ipv4 ihl 4", mod(good4, func(b []byte) { b[0] = 0x44 }), ErrBadHeader},
		{"ipv4 total < ihl", mod(good4, func(b []byte) { b[3] = 10 }), ErrBadHeader},
		{"ipv4 udp", mod(good4, func(b []byte) { b[9] = 17 }), ErrNotTCP},
		{"ipv4 later fragment", mod(good4, func(b []byte) { b[7] = 1 }), ErrFragment},
		{"ipv4 first fragment", mod(good4, func(b []byte) { b[6] = 0x20 }), ErrFragment},
		{"tcp data offset 4", mod(good4, func(b []byte) { b[32] = 0x40 }), ErrBadHeader},
		{"tcp data offset past segment", mod(good4, func(b []byte) { b[32] = 0xf0 }), ErrBadHeader},
		{"tcp segment < 20", mod(good4[:36], func(b []byte) { b[3] = 36 }), ErrBadHeader},
		{"ipv6 short", good6[:39], ErrTruncated},
		{"ipv6 payload length 0", mod(good6, func(b []byte) { b[4], b[5] = 0, 0 }), ErrBadHeader},
		{"ipv6 icmp", mod(good6, func(b []byte) { b[6] = 58 }), ErrNotTCP},
		{"ipv6 no next header", mod(good6, func(b []byte) { b[6] = 59 }), ErrNotTCP},
		{"ipv6 fragment", seg{src: "[::1]:1", dst: "[::1]:2"}.ipv6([2]int{protoFragment, 8}), nil},
		{"ipv6 cut", good6[:50], ErrTruncated},
		{"ipv6 ext past payload", mod(seg{src: "[::1]:1", dst: "[::1]:2"}.ipv6([2]int{protoDstOpts, 8}), func(b []byte) { b[41] = 200 }), ErrBadHeader},
	}
	// An IPv6 fragment header with offset 8 is a later fragment.
	frag := seg{src: "[::1]:1", dst: "[::1]:2"}.ipv6([2]int{protoFragment, 8})
	frag[43] = 8
	tests = append(tests, struct {
		name string
		ip   []byte
		want error
	}{"ipv6 later fragment", frag, ErrFragment})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.ip)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Decode: %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		f    Flags
		want string
	}{
		{SYN, "S"}, {SYN | ACK, "S."}, {FIN | ACK, "F."}, {RST, "R"}, {RST | ACK, "R."},
		{PSH | ACK, "P."}, {ACK, "."}, {0, "none"}, {FIN | SYN | RST | PSH | ACK | URG | ECE | CWR, "FSRP.UEW"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint8(tt.f), got, tt.want)
		}
		if tt.f == 0 {
			continue
		}
		if back, err := ParseFlags(tt.want); err != nil || back != tt.f {
			t.Errorf("ParseFlags(%q) = %v, %v; want %v", tt.want, back, err, tt.f)
		}
	}
	has := []struct {
		f       Flags
		letters string
		want    bool
	}{
		{RST | ACK, "R", true}, {RST | ACK, "R.", true}, {RST | ACK, ".R", true}, {RST, "R.", false},
		{SYN | ACK, "S", true}, {SYN, "F", false}, {PSH | ACK, "", true}, {RST, "X", false}, {RST, "r", false},
	}
	for _, tt := range has {
		if got := tt.f.Has(tt.letters); got != tt.want {
			t.Errorf("%v.Has(%q) = %t, want %t", tt.f, tt.letters, got, tt.want)
		}
	}
	var fe *FlagsError
	if _, err := ParseFlags("S.Z"); !errors.As(err, &fe) || fe.Index != 2 || !strings.Contains(err.Error(), `"Z"`) {
		t.Errorf(`ParseFlags("S.Z") error = %v, want a FlagsError at index 2 naming "Z"`, err)
	}
}

func testPackets(t testing.TB) []Packet {
	t.Helper()
	base := time.Date(2026, 11, 21, 5, 0, 0, 123456789, time.UTC)
	raw := [][]byte{
		seg{src: "127.0.0.1:41234", dst: "127.0.0.1:20001", flags: SYN, seq: 1000, win: 65495, opts: 20}.ipv4(),
		seg{src: "127.0.0.1:20001", dst: "127.0.0.1:41234", flags: SYN | ACK, seq: 5000, ack: 1001, win: 65483, opts: 20}.ipv4(),
		seg{src: "[::1]:41234", dst: "[::1]:20001", flags: PSH | ACK, seq: 1001, ack: 5001, win: 512, payload: "hello", opts: 12}.ipv6(),
		seg{src: "[::1]:20001", dst: "[::1]:41234", flags: RST | ACK, seq: 5001, ack: 1006, win: 512}.ipv6([2]int{protoDstOpts, 8}),
	}
	var pkts []Packet
	for i, b := range raw {
		p, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode packet %d: %v", i, err)
		}
		p.Time = base.Add(time.Duration(i) * 1001 * time.Microsecond)
		pkts = append(pkts, p)
	}
	return pkts
}

func TestPcapRoundTrip(t *testing.T) {
	pkts := testPackets(t)
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		if err := w.WritePacket(p, "a comment"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPcap(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("ReadPcap: %v", err)
	}
	comparePackets(t, got, pkts, time.Nanosecond)
}

func comparePackets(t *testing.T, got, want []Packet, res time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d packets, wrote %d", len(got), len(want))
	}
	for i := range want {
		if g, w := got[i].String(), want[i].String(); g != w {
			t.Errorf("packet %d: got %s, want %s", i, g, w)
		}
		if !got[i].Time.Equal(want[i].Time.Truncate(res)) {
			t.Errorf("packet %d: time %v, want %v", i, got[i].Time, want[i].Time.Truncate(res))
		}
		if !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("packet %d: data differs", i)
		}
	}
}

// pcapFile builds a pcap file by hand: microsecond or nanosecond, either
// byte order, any link type, so that ReadPcap is tested on what other tools
// write.
func pcapFile(bo binary.AppendByteOrder, magic, link uint32, frames [][]byte, times []time.Time) []byte {
	b := bo.AppendUint32(nil, magic)
	b = bo.AppendUint16(b, 2)
	b = bo.AppendUint16(b, 4)
	b = bo.AppendUint32(b, 0)
	b = bo.AppendUint32(b, 0)
	b = bo.AppendUint32(b, 65535)
	b = bo.AppendUint32(b, link)
	for i, f := range frames {
		frac := uint32(times[i].Nanosecond())
		if magic == magicMicro {
			frac /= 1000
		}
		b = bo.AppendUint32(b, uint32(times[i].Unix()))
		b = bo.AppendUint32(b, frac)
		b = bo.AppendUint32(b, uint32(len(f)))
		b = bo.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

func TestReadPcapFormats(t *testing.T) {
	pkts := testPackets(t)
	var times []time.Time
	for _, p := range pkts {
		times = append(times, p.Time)
	}
	ether := func(p Packet, vlan bool) []byte {
		f := make([]byte, 12, 18+len(p.Data))
		if vlan {
			f = append(f, 0x81, 0x00, 0x00, 0x05)
		}
		if p.Data[0]>>4 == 4 {
			f = append(f, 0x08, 0x00)
		} else {
			f = append(f, 0x86, 0xdd)
		}
		return append(f, p.Data...)
	}
	arp := append(make([]byte, 12), 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1)
	udp := bytes.Clone(pkts[0].Data)
	udp[9] = 17
	tests := []struct {
		name   string
		bo     binary.AppendByteOrder
		magic  uint32
		link   uint32
		frames func() [][]byte
		res    time.Duration
	}{
		{"raw usec big-endian", binary.BigEndian, magicMicro, linkRaw, func() (f [][]byte) {
			for _, p := range pkts {
				f = append(f, p.Data)
			}
			return f
		}, time.Microsecond},
		{"ethernet nsec with vlan", binary.LittleEndian, magicNano, linkEthernet, func() (f [][]byte) {
			for i, p := range pkts {
				f = append(f, ether(p, i%2 == 1))
			}
			return f
		}, time.Nanosecond},
		{"sll usec", binary.LittleEndian, magicMicro, linkSLL, func() (f [][]byte) {
			for _, p := range pkts {
				e := ether(p, false)
				f = append(f, append(append(make([]byte, 14), e[12:14]...), p.Data...))
			}
			return f
		}, time.Microsecond},
		{"null loopback", binary.LittleEndian, magicMicro, linkNull, func() (f [][]byte) {
			for _, p := range pkts {
				af := uint32(2)
				if p.Data[0]>>4 == 6 {
					af = 30 // darwin's AF_INET6
				}
				f = append(f, append(binary.LittleEndian.AppendUint32(nil, af), p.Data...))
			}
			return f
		}, time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := tt.frames()
			file := pcapFile(tt.bo, tt.magic, tt.link, frames, times)
			got, err := ReadPcap(bytes.NewReader(file))
			if err != nil {
				t.Fatalf("ReadPcap: %v", err)
			}
			comparePackets(t, got, pkts, tt.res)
		})
	}
	t.Run("skips non-TCP", func(t *testing.T) {
		frames := [][]byte{arp, ether(pkts[0], false), append(make([]byte, 12), append([]byte{0x08, 0x00}, udp...)...)}
		t0 := pkts[0].Time
		file := pcapFile(binary.LittleEndian, magicNano, linkEthernet, frames, []time.Time{t0, t0, t0})
		got, err := ReadPcap(bytes.NewReader(file))
		if err != nil {
			t.Fatalf("ReadPcap: %v", err)
		}
		comparePackets(t, got, pkts[:1], time.Nanosecond)
	})
}

func TestReadPcapErrors(t *testing.T) {
	pkts := testPackets(t)
	good := pcapFile(binary.LittleEndian, magicNano, linkRaw, [][]byte{pkts[0].Data}, []time.Time{pkts[0].Time})
	bad := bytes.Clone(pkts[0].Data)
	binary.BigEndian.PutUint16(bad[2:], 20+19) // a TCP segment of 19 bytes
	cut := bytes.Clone(pkts[0].Data)
	cut[32] = 0x30 // TCP data offset 12
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "unexpected EOF"},
		{"bad pcapng", append([]byte{0x0a, 0x0d, 0x0d, 0x0a}, make([]byte, 20)...), "pcapng header"},
		{"not a capture", []byte("GET / HTTP/1.1\r\n\r\n"), "expected a pcap or pcapng file"},
		{"link type 230", pcapFile(binary.LittleEndian, magicNano, 230, nil, nil), "link type 230"}, // 802.15.4, which Zeek does not read either
		{"cut record header", good[:30], "record 1: unexpected EOF"},
		{"cut record data", good[:len(good)-1], "record 1: unexpected EOF"},
		{"huge record", append(bytes.Clone(good[:32]), 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f), "exceeds"},
		{"malformed tcp", pcapFile(binary.LittleEndian, magicNano, linkRaw, [][]byte{pkts[0].Data, bad}, []time.Time{pkts[0].Time, pkts[0].Time}), "1 damaged records"},
		{"tcp header cut", pcapFile(binary.LittleEndian, magicNano, linkRaw, [][]byte{pkts[0].Data, cut}, []time.Time{pkts[0].Time, pkts[0].Time}), "1 TCP segments with their header cut"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPcap(bytes.NewReader(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadPcap error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWritePacketErrors(t *testing.T) {
	w, err := NewWriter(&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	p := testPackets(t)[0]
	if err := w.WritePacket(Packet{}, ""); err == nil {
		t.Error("WritePacket of a packet without data succeeded")
	}
	p.Time = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := w.WritePacket(p, ""); err == nil || !strings.Contains(err.Error(), "1970") {
		t.Errorf("WritePacket of a 1969 packet: %v, want an error about the range", err)
	}
}

// TestPcapOpensInTools checks that tcpdump (Debian package tcpdump) or, failing
// that, tshark (package tshark) reads the pcapng files Writer writes, and
// that ReadPcap reads tcpdump's microsecond pcap rewrite of it back.
func TestPcapOpensInTools(t *testing.T) {
	pkts := testPackets(t)
	dir := t.TempDir()
	name := filepath.Join(dir, "nano.pcapng")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		if err := w.WritePacket(p, fmt.Sprintf("step %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if path, err := exec.LookPath("tshark"); err == nil {
		out, err := exec.Command(path, "-r", name, "-T", "fields", "-e", "frame.comment").Output()
		if err != nil {
			t.Fatalf("tshark -r: %v\n%s", err, out)
		}
		if got := strings.Fields(string(out)); len(got) != 2*len(pkts) || got[1] != "0" || got[len(got)-1] != strconv.Itoa(len(pkts)-1) {
			t.Errorf("tshark shows the packet comments as %q, want step 0 ... step %d", got, len(pkts)-1)
		}
	}
	if path, err := exec.LookPath("tcpdump"); err == nil {
		out, err := exec.Command(path, "-nn", "-S", "-r", name).CombinedOutput()
		if err != nil {
			t.Fatalf("tcpdump -r: %v\n%s", err, out)
		}
		text := string(out)
		for _, want := range []string{
			"IP 127.0.0.1.41234 > 127.0.0.1.20001: Flags [S], seq 1000",
			"IP 127.0.0.1.20001 > 127.0.0.1.41234: Flags [S.], seq 5000, ack 1001",
			"IP6 ::1.41234 > ::1.20001: Flags [P.], seq 1001:1006, ack 5001, win 512",
			"IP6 ::1 > ::1: DSTOPT 20001 > 41234: Flags [R.], seq 5001, ack 1006, win 512, length 0",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("tcpdump output lacks %q:\n%s", want, text)
			}
		}
		micro := filepath.Join(dir, "micro.pcap")
		if out, err := exec.Command(path, "-r", name, "-w", micro).CombinedOutput(); err != nil {
			t.Fatalf("tcpdump -w: %v\n%s", err, out)
		}
		mf, err := os.Open(micro)
		if err != nil {
			t.Fatal(err)
		}
		defer mf.Close()
		got, err := ReadPcap(mf)
		if err != nil {
			t.Fatalf("ReadPcap of tcpdump's file: %v", err)
		}
		comparePackets(t, got, pkts, time.Microsecond)
		return
	}
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("neither tcpdump nor tshark is installed (Debian package tcpdump)")
	}
	out, err := exec.Command(path, "-r", name).CombinedOutput()
	if err != nil {
		t.Fatalf("tshark -r: %v\n%s", err, out)
	}
	if n := strings.Count(strings.TrimSpace(string(out)), "\n") + 1; n != len(pkts) {
		t.Errorf("tshark shows %d packets, want %d:\n%s", n, len(pkts), out)
	}
}
