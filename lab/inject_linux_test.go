package lab

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

// The timestamp option is found among the others a kernel sends, and an
// injected segment carries the one it was given.
func TestTSval(t *testing.T) {
	hdr := func(opts ...byte) []byte {
		b := make([]byte, 20+len(opts))
		b[12] = byte(len(b)/4) << 4
		copy(b[20:], opts)
		return b
	}
	for _, tc := range []struct {
		name string
		tcp  []byte
		want uint32
		ok   bool
	}{
		{"none", hdr(), 0, false},
		{"SYN options", hdr(2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 1, 2, 0, 0, 0, 0, 1, 3, 3, 10), 258, true},
		{"after two NOPs", hdr(1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1), 0xdeadbeef, true},
		{"end of list first", hdr(0, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0), 0, false},
		{"bad length", hdr(3, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0), 0, false},
		{"cut short", hdr(1, 1, 8, 10, 0, 0, 0, 1)[:26], 0, false},
	} {
		got, ok := tsval(tc.tcp)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: tsval = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	s := segment{
		src: netip.MustParseAddrPort("198.18.0.1:1000"), dst: netip.MustParseAddrPort("198.18.0.2:80"),
		flags: tcpSYN, seq: 7, ts: true, tsval: 123456, tsecr: 99, data: []byte("xy"),
	}
	b := s.bytes()
	if v, ok := tsval(b); !ok || v != 123456 || binary.BigEndian.Uint32(b[28:]) != 99 {
		t.Errorf("injected segment's option: tsval %d %v, tsecr %d", v, ok, binary.BigEndian.Uint32(b[28:]))
	}
	if int(b[12]>>4)*4 != 32 || !bytes.Equal(b[32:], []byte("xy")) {
		t.Errorf("injected segment: header %d bytes, payload %q", int(b[12]>>4)*4, b[32:])
	}
}

// tsval reads a header it is given as it arrives from the wire, whatever
// its options say.
func FuzzTSval(f *testing.F) {
	f.Add([]byte{0x50, 0, 0, 0})
	f.Add(append(make([]byte, 12), 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		tcp := make([]byte, 20, 20+len(b))
		if len(b) > 0 {
			tcp[12] = b[0] & 0xf0
			tcp = append(tcp, b[1:]...)
		}
		tsval(tcp)
	})
}
