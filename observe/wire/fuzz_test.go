package wire

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

func FuzzDecode(f *testing.F) {
	f.Add(seg{src: "127.0.0.1:1", dst: "127.0.0.1:2", flags: SYN, opts: 20}.ipv4())
	f.Add(seg{src: "[::1]:1", dst: "[::1]:2", flags: RST | ACK, payload: "x"}.ipv6([2]int{protoHopByHop, 8}, [2]int{protoFragment, 8}, [2]int{protoAH, 16}))
	f.Add([]byte{0x45})
	f.Fuzz(func(t *testing.T, b []byte) {
		if ic, err := DecodeICMP(b); err == nil && !ic.Src.IsValid() {
			t.Fatalf("DecodeICMP gave %+v without the quoted segment's addresses", ic)
		}
		p, err := Decode(b)
		if err != nil {
			return
		}
		if p.Len < 0 || len(p.Data) > len(b) || !bytes.HasPrefix(b, p.Data) {
			t.Fatalf("Decode gave Len %d and %d bytes of Data from %d bytes", p.Len, len(p.Data), len(b))
		}
		_ = p.String()
	})
}

func FuzzReadPcap(f *testing.F) {
	p, _ := Decode(seg{src: "127.0.0.1:1", dst: "127.0.0.1:2", flags: SYN}.ipv4())
	t0 := time.Unix(1, 2)
	f.Add(pcapFile(binary.LittleEndian, magicNano, linkRaw, [][]byte{p.Data}, []time.Time{t0}))
	f.Add(pcapFile(binary.BigEndian, magicMicro, linkEthernet, [][]byte{append(append(make([]byte, 12), 8, 0), p.Data...)}, []time.Time{t0}))
	f.Add(pcapFile(binary.LittleEndian, magicMicro, linkSLL2, [][]byte{append([]byte{8, 0}, append(make([]byte, 18), p.Data...)...)}, []time.Time{t0}))
	// Fragments of one IPv4 and one IPv6 datagram, for the reassembly.
	big := seg{src: "127.0.0.1:1", dst: "127.0.0.1:2", flags: ACK, payload: "0123456789abcdef0123456789abcdef"}
	frags := append(split4(big.ipv4(), 24, 1), split6(seg{src: "[::1]:1", dst: "[::1]:2", payload: "fragment"}.ipv6(), 16, 2)...)
	f.Add(pcapFile(binary.LittleEndian, magicNano, linkRaw, frags, sameTime(len(frags))))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkts, err := ReadPcap(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever ReadPcap accepts, Writer writes back and ReadPcap
		// reads the same packets again.
		var buf bytes.Buffer
		w, err := NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			if err := w.WritePacket(p, "x"); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		again, err := ReadPcap(&buf)
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if len(again) != len(pkts) {
			t.Fatalf("read back %d packets of %d", len(again), len(pkts))
		}
		for i := range pkts {
			if again[i].String() != pkts[i].String() {
				t.Fatalf("packet %d: %s became %s", i, pkts[i], again[i])
			}
		}
	})
}

// FuzzDot11 checks that the 802.11 frame reader never panics and that
// every packet it finds lies inside the frame.
func FuzzDot11(f *testing.F) {
	ip := seg{src: "198.18.0.1:1", dst: "198.18.0.2:2", flags: SYN}.ipv4()
	llc := append([]byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, ip...)
	f.Add(append(append([]byte{0x88, 0x02}, make([]byte, 24)...), llc...))
	amsdu := append([]byte{0x88, 0x02}, make([]byte, 24)...)
	amsdu[24] = 0x80
	amsdu = binary.BigEndian.AppendUint16(append(amsdu, make([]byte, 12)...), uint16(len(llc)))
	f.Add(append(amsdu, llc...))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range dot11(b, 1, nil) {
			if len(p.data) > len(b) || (len(p.data) > 0 && !bytes.Contains(b, p.data)) {
				t.Fatalf("packet of %d bytes not inside the %d-byte frame", len(p.data), len(b))
			}
		}
	})
}
