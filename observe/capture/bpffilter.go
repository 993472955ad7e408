package capture

// The /dev/bpf filter is classic BPF, which every system runs alike; it
// is written here, without a build tag, so that a test runs it on Linux.

// Classic BPF opcodes (net/bpf.h), the same on every system. BPF_LD and
// BPF_K, which are 0, are left out of the sums.
const (
	bpfLdB = 0x10 | 0x20 // BPF_LD | BPF_B | BPF_ABS
	bpfAnd = 0x04 | 0x50 // BPF_ALU | BPF_AND | BPF_K
	bpfJeq = 0x05 | 0x10 // BPF_JMP | BPF_JEQ | BPF_K
	bpfRet = 0x06        // BPF_RET | BPF_K
)

// IP protocol numbers, the same on every system.
const (
	protoHopOpts  = 0
	protoICMP     = 1
	protoTCP      = 6
	protoRouting  = 43
	protoFragment = 44
	protoAH       = 51
	protoICMPv6   = 58
	protoDstOpts  = 60
)

// bpfInsn is one instruction of a classic BPF program, as struct bpf_insn.
type bpfInsn struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

// nullFilter passes TCP and ICMP over IPv4 and IPv6 on DLT_NULL, whose IP
// header starts after the 4-byte family, and keeps snap bytes of each. The
// family is in host byte order and its IPv6 value differs between systems,
// so the filter reads the IP version instead. IPv6 packets whose first
// next header is an extension header pass too; DrainFrames drops those
// that turn out not to be TCP.
func nullFilter(snap uint32) []bpfInsn {
	const (
		ipv6   = 6  // index of the IPv6 test
		accept = 15 // index of accept; drop follows it
		drop   = 16
	)
	// to is the relative jump from instruction i to instruction t.
	to := func(i, t int) uint8 { return uint8(t - i - 1) }
	return []bpfInsn{
		{code: bpfLdB, k: 4}, // IP version
		{code: bpfAnd, k: 0xf0},
		{code: bpfJeq, k: 0x40, jf: to(2, ipv6)},
		{code: bpfLdB, k: 4 + 9}, // IPv4 protocol
		{code: bpfJeq, k: protoTCP, jt: to(4, accept)},
		{code: bpfJeq, k: protoICMP, jt: to(5, accept), jf: to(5, drop)},
		{code: bpfJeq, k: 0x60, jf: to(6, drop)},
		{code: bpfLdB, k: 4 + 6}, // IPv6 next header
		{code: bpfJeq, k: protoTCP, jt: to(8, accept)},
		{code: bpfJeq, k: protoICMPv6, jt: to(9, accept)},
		{code: bpfJeq, k: protoHopOpts, jt: to(10, accept)},
		{code: bpfJeq, k: protoRouting, jt: to(11, accept)},
		{code: bpfJeq, k: protoFragment, jt: to(12, accept)},
		{code: bpfJeq, k: protoAH, jt: to(13, accept)},
		{code: bpfJeq, k: protoDstOpts, jt: to(14, accept), jf: to(14, drop)},
		{code: bpfRet, k: snap}, // accept
		{code: bpfRet, k: 0},    // drop
	}
}
