package wire

import (
	"encoding/binary"
	"testing"
	"time"
)

// TestReaderLinkTypes checks the link types that Zeek reads and gopacket's
// layers do not: each frame holds the same TCP segment, or, where the
// frame only looks like one, nothing.
func TestReaderLinkTypes(t *testing.T) {
	s := seg{src: "198.18.0.1:40000", dst: "198.18.0.2:80", flags: SYN, seq: 9}
	ip4 := s.ipv4()
	ip6 := seg{src: "[2001:db8::1]:40000", dst: "[2001:db8::2]:80", flags: SYN, seq: 9}.ipv6()
	p4, _ := Decode(ip4)
	p6, _ := Decode(ip6)
	cat := func(bs ...[]byte) (out []byte) {
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	tlv := func(typ uint16, value []byte) []byte {
		b := binary.LittleEndian.AppendUint16(nil, uint16(4+len(value)))
		b = binary.LittleEndian.AppendUint16(b, typ)
		b = append(b, value...)
		return append(b, make([]byte, (4-len(b)%4)%4)...)
	}
	llc := []byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}
	// 802.11 data frame, To DS, then LLC SNAP.
	dot11Data := cat([]byte{0x08, 0x01}, make([]byte, 22), llc, ip4)
	radiotap := []byte{0, 0, 8, 0, 0, 0, 0, 0} // version, pad, length 8, no fields
	tests := []struct {
		name  string
		link  uint32
		frame []byte
		want  string
	}{
		{"PPP, HDLC framing", 9, cat([]byte{0xff, 0x03, 0x00, 0x21}, ip4), p4.String()},
		{"PPP, no framing", 9, cat([]byte{0x00, 0x57}, ip6), p6.String()},
		{"PPP, LCP", 9, cat([]byte{0xff, 0x03, 0xc0, 0x21}, ip4), ""},
		{"PPP serial", 50, cat([]byte{0xff, 0x03, 0x00, 0x21}, ip4), p4.String()},
		{"PPP serial, MPLS", 50, cat([]byte{0xff, 0x03, 0x02, 0x81, 0, 0, 0x01, 64}, ip4), p4.String()},
		{"FDDI", 10, cat(make([]byte, 13), llc, ip4), p4.String()},
		{"FDDI cut short", 10, make([]byte, 21), ""},
		{"802.11", 105, dot11Data, p4.String()},
		{"802.11 management", 105, cat([]byte{0x80, 0x00}, make([]byte, 22), llc, ip4), ""},
		{"radiotap", 127, cat(radiotap, dot11Data), p4.String()},
		{"radiotap longer than the frame", 127, []byte{0, 0, 0xff, 0}, ""},
		{"NFLOG", 239, cat([]byte{2, 0, 0, 1}, tlv(1, make([]byte, 4)), tlv(10, []byte("prefix")), tlv(9, ip4)), p4.String()},
		{"NFLOG, IPv6", 239, cat([]byte{10, 0, 0, 1}, tlv(9, ip6)), p6.String()},
		{"NFLOG without payload", 239, cat([]byte{2, 0, 0, 1}, tlv(1, make([]byte, 4))), ""},
		{"NFLOG, attribute longer than the frame", 239, cat([]byte{2, 0, 0, 1}, []byte{0xff, 0, 1, 0}, ip4), ""},
		{"NFLOG version 1", 239, cat([]byte{2, 1, 0, 1}, tlv(9, ip4)), ""},
	}
	t0 := time.Unix(1700000000, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := readAll(t, pcapFile(binary.LittleEndian, magicMicro, tt.link, [][]byte{tt.frame}, []time.Time{t0}))
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("read %q, want nothing", got)
			case tt.want != "" && (len(got) != 1 || got[0] != tt.want):
				t.Errorf("read %q (stats %+v), want %s", got, st, tt.want)
			}
		})
	}
}
