package wire

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Frame builders for the encapsulation tests.

func etherFrame(typ uint16, payload []byte) []byte {
	f := make([]byte, 12, 14+len(payload))
	f = binary.BigEndian.AppendUint16(f, typ)
	return append(f, payload...)
}

// ip4Over wraps payload in an IPv4 header of protocol proto.
func ip4Over(proto byte, payload []byte) []byte {
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 198, 19, 0, 1, 198, 19, 0, 2}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	return append(ip, payload...)
}

func udpOver(sport, dport uint16, payload []byte) []byte {
	u := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(u[0:], sport)
	binary.BigEndian.PutUint16(u[2:], dport)
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	return ip4Over(17, append(u, payload...))
}

// TestReaderEncapsulations checks, for each encapsulation that Zeek opens
// and gopacket's layers stop at, that the TCP segment inside is read, and
// that a frame that only looks like one gives nothing.
func TestReaderEncapsulations(t *testing.T) {
	s4 := seg{src: "198.18.0.1:40000", dst: "198.18.0.2:80", flags: SYN, seq: 9}
	s6 := seg{src: "[2001:0:4137:9e50:8000:f12a:b9c8:2815]:1286", dst: "[2001:db8::68]:80", flags: SYN, seq: 9}
	s6plain := seg{src: "[2001:db8::1]:1286", dst: "[2001:db8::68]:80", flags: SYN, seq: 9}
	ip4, ip6, ip6plain := s4.ipv4(), s6.ipv6(), s6plain.ipv6()
	str := func(ip []byte) string {
		p, err := Decode(ip)
		if err != nil {
			t.Fatal(err)
		}
		return p.String()
	}
	w4, w6, w6plain := str(ip4), str(ip6), str(ip6plain)
	origin := []byte{0, 0, 0xf3, 0x2a, 0x3f, 0x57, 0xfe, 0xfd} // Teredo origin indication
	auth := []byte{0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0}      // no id, no value, nonce, confirmation
	vlan := func(typ uint16, payload []byte) []byte {
		return append(binary.BigEndian.AppendUint16([]byte{0, 250}, typ), payload...)
	}
	gre := func(flags, proto uint16, extra int, payload []byte) []byte {
		g := binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, flags), proto)
		return ip4Over(47, append(append(g, make([]byte, extra)...), payload...))
	}
	tests := []struct {
		name  string
		frame []byte
		want  string // the segment read, "" for none
	}{
		{"VN-Tag", etherFrame(ethVNTag, append([]byte{0, 0, 0, 0x33, 0x08, 0x00}, ip4...)), w4},
		{"VN-Tag between VLAN tags", etherFrame(0x8100, vlan(ethVNTag, append([]byte{0, 0, 0, 0x33, 0x81, 0x00}, vlan(0x0800, ip4)...))), w4},
		{"VN-Tag of an unknown type", etherFrame(ethVNTag, append([]byte{0, 0, 0, 0x33, 0x12, 0x34}, ip4...)), ""},
		{"Cisco FabricPath", etherFrame(ethFabric, append([]byte{0, 0x3f}, etherFrame(0x0800, ip4)...)), w4},
		{"Cisco FabricPath, VLAN inside", etherFrame(ethFabric, append([]byte{0, 0x3f}, etherFrame(0x8100, vlan(0x0800, ip4))...)), w4},
		{"Cisco FabricPath in a VLAN", etherFrame(0x8100, vlan(ethFabric, append([]byte{0, 0x3f}, etherFrame(0x0800, ip4)...))), ""},
		{"Cisco FabricPath, no whole frame inside", etherFrame(ethFabric, append([]byte{0, 0x3f}, etherFrame(0x0800, nil)...)), ""},
		{"802.3 LLC SNAP", etherFrame(uint16(8+len(ip4)), append([]byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, ip4...)), w4},
		{"802.3 LLC not SNAP", etherFrame(uint16(8+len(ip4)), append([]byte{0x42, 0x42, 0x03, 0, 0, 0, 0x08, 0x00}, ip4...)), ""},
		{"Teredo on 3544", etherFrame(0x0800, udpOver(50000, portTeredo, ip6plain)), w6plain},
		{"Teredo on 3544, origin indication", etherFrame(0x0800, udpOver(portTeredo, 50000, append(origin, ip6plain...))), w6plain},
		{"Teredo on 3544, authentication and origin", etherFrame(0x0800, udpOver(portTeredo, 50000, append(append(auth, origin...), ip6plain...))), w6plain},
		{"Teredo off 3544, Teredo address", etherFrame(0x0800, udpOver(3797, 32900, ip6)), w6},
		{"Teredo off 3544, origin indication", etherFrame(0x0800, udpOver(3797, 32900, append(origin, ip6plain...))), w6plain},
		{"IPv6 in UDP off 3544, no Teredo address", etherFrame(0x0800, udpOver(3797, 32900, ip6plain)), ""},
		{"Teredo, IPv6 longer than the datagram", etherFrame(0x0800, udpOver(50000, portTeredo, ip6plain[:len(ip6plain)-1])), ""},
		{"PPTP: enhanced GRE, PPP", etherFrame(0x0800, gre(0x3001, 0x880b, 8, append([]byte{0xff, 0x03, 0x00, 0x21}, ip4...))), w4},
		{"PPTP: PPP without address and control", etherFrame(0x0800, gre(0x3001, 0x880b, 8, append([]byte{0x00, 0x21}, ip4...))), ""},
		{"PPTP: MPLS in PPP", etherFrame(0x0800, gre(0x3001, 0x880b, 8, append([]byte{0xff, 0x03, 0x02, 0x81, 0, 0, 0x01, 64}, ip4...))), ""},
		{"PPTP: PPP control protocol", etherFrame(0x0800, gre(0x3001, 0x880b, 8, append([]byte{0xff, 0x03, 0xc0, 0x21}, ip4...))), ""},
		{"ERSPAN type I", etherFrame(0x0800, gre(0x0000, greERSPAN, 0, etherFrame(0x0800, ip4))), w4},
		{"ERSPAN type II", etherFrame(0x0800, gre(0x1000, greERSPAN, 4+8, etherFrame(0x0800, ip4))), w4},
		{"ERSPAN type III", etherFrame(0x0800, gre(0x1000, greERSPAN3, 4+12, etherFrame(0x0800, ip4))), w4},
		{"ERSPAN type III, platform subheader", etherFrame(0x0800, gre(0x1000, greERSPAN3, 4, append(append(make([]byte, 11), 1), append(make([]byte, 8), etherFrame(0x0800, ip4)...)...))), w4},
		{"ERSPAN type II cut short", etherFrame(0x0800, gre(0x1000, greERSPAN, 4, []byte{1, 2, 3})), ""},
	}
	t0 := time.Unix(1700000000, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := readAll(t, pcapFile(binary.LittleEndian, magicMicro, linkEthernet, [][]byte{tt.frame}, []time.Time{t0}))
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("read %q, want nothing", got)
			case tt.want != "" && (len(got) != 1 || got[0] != tt.want):
				t.Errorf("read %q (stats %+v), want %s", got, st, tt.want)
			}
		})
	}
}

// TestArubaGRE checks the GRE protocol types taken for Aruba's 802.11.
func TestArubaGRE(t *testing.T) {
	for _, tt := range []struct {
		proto uint16
		want  bool
	}{
		{0x8200, true}, {0x8240, true}, {0x82f0, true}, {0x8201, false}, {0x8300, true}, {0x8370, true},
		{0x8380, false}, {0x83f0, false}, {0x9000, true}, {0x9010, false}, {0x0800, false}, {0x6558, false},
	} {
		if got := arubaGRE(layers.EthernetType(tt.proto)); got != tt.want {
			t.Errorf("arubaGRE(%#04x) = %v, want %v", tt.proto, got, tt.want)
		}
	}
}
