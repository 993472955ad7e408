package capture

import (
	"encoding/binary"
	"testing"
)

// run interprets the instructions nullFilter uses, as the kernel does: a
// load past the packet's end rejects it.
func run(t *testing.T, prog []bpfInsn, pkt []byte) uint32 {
	t.Helper()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.code {
		case bpfLdB:
			if int(in.k) >= len(pkt) {
				return 0
			}
			a = uint32(pkt[in.k])
		case bpfAnd:
			a &= in.k
		case bpfJeq:
			if a == in.k {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case bpfRet:
			return in.k
		default:
			t.Fatalf("instruction %d: opcode %#x the test does not know", pc, in.code)
		}
	}
	t.Fatal("the program ran off its end")
	return 0
}

func TestNullFilter(t *testing.T) {
	v4 := func(proto byte) []byte {
		ip := make([]byte, 40)
		ip[0], ip[9] = 0x45, proto
		return null(nullInet, ip)
	}
	v6 := func(next byte) []byte {
		ip := make([]byte, 60)
		ip[0], ip[6] = 0x60, next
		b := make([]byte, 4)
		binary.NativeEndian.PutUint32(b, 30)
		return append(b, ip...)
	}
	for _, tc := range []struct {
		name string
		pkt  []byte
		pass bool
	}{
		{"v4 tcp", v4(protoTCP), true},
		{"v4 icmp", v4(protoICMP), true},
		{"v4 udp", v4(17), false},
		{"v6 tcp", v6(protoTCP), true},
		{"v6 icmpv6", v6(protoICMPv6), true},
		{"v6 hop-by-hop", v6(protoHopOpts), true},
		{"v6 fragment", v6(protoFragment), true},
		{"v6 dstopts", v6(protoDstOpts), true},
		{"v6 udp", v6(17), false},
		{"not ip", null(nullInet, []byte{0x20, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0}), false},
		{"too short", []byte{2, 0, 0, 0, 0x45}, false},
	} {
		got := run(t, nullFilter(65535), tc.pkt)
		if pass := got == 65535; pass != tc.pass || got != 0 && got != 65535 {
			t.Errorf("%s: returned %d, want pass %t", tc.name, got, tc.pass)
		}
	}
}
