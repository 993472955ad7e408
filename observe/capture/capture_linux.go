package capture

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/teardown-net/teardown/observe/wire"
	"golang.org/x/sys/unix"
)

const (
	// rcvbuf holds a whole scenario's packets between two drains: loopback
	// segments are small, and a scenario moves kilobytes.
	rcvbuf = 4 << 20
	// snaplen is more than the largest packet lo (MTU 65536, GSO 64 KiB)
	// hands to a packet socket, so no packet is cut.
	snaplen = 256 << 10
)

// Capture is an open capture on one interface. Its methods are not safe for
// concurrent use, except that Close may be called while Wait blocks.
type Capture struct {
	fd       int
	ifname   string
	loopback bool
	buf      []byte
	oob      []byte
}

// Open starts capturing TCP packets on the interface ifname of the calling
// thread's network namespace; a caller that has entered a namespace on a
// locked thread gets that namespace's interface. Packets are queued in the
// kernel from then until Drain reads them.
//
// On a loopback interface each packet passes twice, once outgoing and once
// incoming; Capture keeps only the incoming copy, which the receiving stack
// has been handed, as libpcap does. On other interfaces it keeps both
// directions.
func Open(ifname string) (*Capture, error) {
	c, err := open(ifname)
	if err != nil {
		return nil, fmt.Errorf("open capture on %s: %w", ifname, err)
	}
	return c, nil
}

func open(ifname string) (*Capture, error) {
	// Protocol 0 receives nothing until bind, so no packet slips in before
	// the filter is attached.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket(AF_PACKET): %w", err)
	}
	c := &Capture{fd: fd, ifname: ifname, buf: make([]byte, snaplen), oob: make([]byte, 128)}
	if err := c.setup(ifname); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return c, nil
}

func (c *Capture) setup(ifname string) error {
	ifr, err := unix.NewIfreq(ifname)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(c.fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return fmt.Errorf("no interface %q in this network namespace: %w", ifname, err)
	}
	index := int(ifr.Uint32())
	if err := unix.IoctlIfreq(c.fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("interface flags: %w", err)
	}
	c.loopback = ifr.Uint16()&unix.IFF_LOOPBACK != 0
	if err := c.attach(nil); err != nil {
		return err
	}
	// SO_RCVBUFFORCE passes the net.core.rmem_max cap when we are
	// privileged, as a capture normally is; SO_RCVBUF is the fallback.
	if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf); err != nil {
		if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf); err != nil {
			return fmt.Errorf("SO_RCVBUF: %w", err)
		}
	}
	if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fmt.Errorf("SO_TIMESTAMPNS: %w", err)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: index}
	if err := unix.Bind(c.fd, sa); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	// Reading the statistics resets them, so that Stats counts from here.
	_, err = unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	return err
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// attach sets the kernel's filter, replacing the one before.
func (c *Capture) attach(ports []uint16) error {
	prog, err := assemble(filter(c.loopback, ports))
	if err != nil {
		return err
	}
	if err := unix.SetsockoptSockFprog(c.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}); err != nil {
		return fmt.Errorf("attach filter: %w", err)
	}
	return nil
}

// OnlyPorts keeps, from now on, only the TCP segments that have one of
// ports at either end, besides the ICMP errors, IP fragments and IPv6
// packets with extension headers, whose ports the kernel's filter does not
// read; no ports keeps every segment again, as does a list longer than
// MaxPorts. Packets already queued stay. On a loopback that the host's
// other programs share, it keeps their traffic out of the capture's
// buffer, which one bulk transfer fills in milliseconds.
func (c *Capture) OnlyPorts(ports []uint16) error {
	if len(ports) > MaxPorts {
		ports = nil
	}
	if err := c.attach(ports); err != nil {
		return fmt.Errorf("capture on %s: %w", c.ifname, err)
	}
	return nil
}

// Classic BPF opcodes and the ancillary offsets of the packet's metadata
// (linux/filter.h).
const (
	ldH       = unix.BPF_LD | unix.BPF_H | unix.BPF_ABS
	ldB       = unix.BPF_LD | unix.BPF_B | unix.BPF_ABS
	ldHInd    = unix.BPF_LD | unix.BPF_H | unix.BPF_IND
	ldxMSH    = unix.BPF_LDX | unix.BPF_B | unix.BPF_MSH // X = 4*(P[k]&0xf): the IPv4 header's length
	jeq       = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	jset      = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	ret       = unix.BPF_RET | unix.BPF_K
	adOff     = 0xfffff000 // SKF_AD_OFF, -0x1000
	adProto   = adOff + 0  // SKF_AD_PROTOCOL: the ethertype
	adPktType = adOff + 4  // SKF_AD_PKTTYPE: PACKET_HOST, PACKET_OUTGOING…
)

// insn is a classic BPF instruction whose jumps name labels.
type insn struct {
	label  string // this instruction's label, if any
	code   uint16
	k      uint32
	jt, jf string // jump targets; "" is the next instruction
}

// assemble resolves the labels into the relative jumps the kernel takes,
// which are forward and at most 255 instructions long.
func assemble(prog []insn) ([]unix.SockFilter, error) {
	at := map[string]int{}
	for i, in := range prog {
		if in.label != "" {
			at[in.label] = i
		}
	}
	var err error
	rel := func(i int, l string) uint8 {
		if l == "" {
			return 0
		}
		t, ok := at[l]
		if d := t - i - 1; !ok || d < 0 || d > 255 {
			err = fmt.Errorf("filter: instruction %d cannot jump to %q", i, l)
			return 0
		}
		return uint8(t - i - 1)
	}
	out := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		out[i] = unix.SockFilter{Code: in.code, K: in.k, Jt: rel(i, in.jt), Jf: rel(i, in.jf)}
	}
	return out, err
}

// filter returns the kernel filter: TCP and ICMP over IPv4 and IPv6 to or
// from this host, on a loopback interface only the incoming copy. On a
// SOCK_DGRAM packet socket offsets count from the IP header. IPv6 packets
// whose first next header is an extension header pass too; Drain drops
// those that turn out not to be TCP. With ports, a TCP segment passes
// only with one of them at either end (OnlyPorts); the chains that test
// them come after the accept and the drop, so that no jump of the checks
// before is longer than a jump can be.
func filter(loopback bool, ports []uint16) []insn {
	tcp4, tcp6 := "accept", "accept"
	if len(ports) > 0 {
		tcp4, tcp6 = "tcp4", "tcp6"
	}
	// Frames for another host's hardware address are not this host's
	// traffic: its stack ignores them (a host the lab cut off gets the
	// others' frames this way).
	p := []insn{
		{code: ldH, k: adPktType},
		{code: jeq, k: unix.PACKET_OTHERHOST, jt: "drop"},
	}
	if loopback {
		p = append(p, insn{code: jeq, k: unix.PACKET_OUTGOING, jt: "drop"})
	}
	p = append(p,
		insn{code: ldH, k: adProto},
		insn{code: jeq, k: unix.ETH_P_IP, jf: "ipv6"},
		insn{code: ldB, k: 9}, // IPv4 protocol
		insn{code: jeq, k: unix.IPPROTO_TCP, jt: tcp4},
		insn{code: jeq, k: unix.IPPROTO_ICMP, jt: "accept", jf: "drop"},
		insn{label: "ipv6", code: jeq, k: unix.ETH_P_IPV6, jf: "drop"},
		insn{code: ldB, k: 6}, // IPv6 next header
		insn{code: jeq, k: unix.IPPROTO_TCP, jt: tcp6},
		insn{code: jeq, k: unix.IPPROTO_ICMPV6, jt: "accept"},
		insn{code: jeq, k: unix.IPPROTO_HOPOPTS, jt: "accept"},
		insn{code: jeq, k: unix.IPPROTO_ROUTING, jt: "accept"},
		insn{code: jeq, k: unix.IPPROTO_FRAGMENT, jt: "accept"},
		insn{code: jeq, k: unix.IPPROTO_AH, jt: "accept"},
		insn{code: jeq, k: unix.IPPROTO_DSTOPTS, jt: "accept", jf: "drop"},
		insn{label: "accept", code: ret, k: snaplen},
		insn{label: "drop", code: ret, k: 0},
	)
	if len(ports) == 0 {
		return p
	}
	// IPv4: a fragment has no ports to read (or they are in another
	// fragment) and passes; the TCP header follows the IPv4 header's
	// length.
	p = append(p,
		insn{label: "tcp4", code: ldH, k: 6},
		insn{code: jset, k: 0x3fff, jt: "accept4"},
		insn{code: ldxMSH, k: 0},
		insn{code: ldHInd, k: 0}, // source port
	)
	p = append(p, portChain(ports, "accept4")...)
	p = append(p, insn{code: ldHInd, k: 2}) // destination port
	p = append(p, portChain(ports, "accept4")...)
	p = append(p,
		insn{code: ret, k: 0},
		insn{label: "accept4", code: ret, k: snaplen},
		insn{label: "tcp6", code: ldH, k: 40}, // source port
	)
	p = append(p, portChain(ports, "accept6")...)
	p = append(p, insn{code: ldH, k: 42}) // destination port
	p = append(p, portChain(ports, "accept6")...)
	return append(p,
		insn{code: ret, k: 0},
		insn{label: "accept6", code: ret, k: snaplen},
	)
}

// portChain jumps to to when the accumulator is one of ports.
func portChain(ports []uint16, to string) []insn {
	p := make([]insn, len(ports))
	for i, port := range ports {
		p[i] = insn{code: jeq, k: uint32(port), jt: to}
	}
	return p
}

// Drain returns every TCP packet queued now, in the order the kernel queued
// them, without blocking; DrainFrames also returns the ICMP errors.
func (c *Capture) Drain() ([]wire.Packet, error) {
	fs, err := c.DrainFrames()
	var pkts []wire.Packet
	for _, f := range fs {
		if f.TCP {
			pkts = append(pkts, f.Packet)
		}
	}
	return pkts, err
}

// DrainFrames returns every packet queued now, TCP segments and the ICMP
// errors that quote one, in the order the kernel queued them, without
// blocking. Time is the kernel's receive stamp on CLOCK_REALTIME; packets
// handled on different CPUs may carry stamps a few microseconds out of
// queue order, so the order of the result, not Time, is the order of the
// receive path. Other packets (ICMP that is not an error about TCP, IPv6
// with extension headers leading elsewhere) are dropped.
func (c *Capture) DrainFrames() ([]Frame, error) {
	var fs []Frame
	for {
		n, oobn, flags, _, err := unix.Recvmsg(c.fd, c.buf, c.oob, unix.MSG_TRUNC)
		if err == unix.EAGAIN {
			return fs, nil
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fs, fmt.Errorf("capture on %s: recvmsg: %w", c.ifname, err)
		}
		if flags&unix.MSG_TRUNC != 0 || n > len(c.buf) {
			return fs, fmt.Errorf("capture on %s: packet of %d bytes exceeds the %d-byte buffer", c.ifname, n, len(c.buf))
		}
		f, ok, err := decodeFrame(stamp(c.oob[:oobn]), c.buf[:n])
		if err != nil {
			return fs, fmt.Errorf("capture on %s: %w", c.ifname, err)
		}
		if !ok {
			continue
		}
		fs = append(fs, f)
	}
}

// stamp returns the kernel's receive time from the control messages, or now
// if it is missing.
func stamp(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
				// The kernel writes the timespec of the process's ABI: two
				// 32-bit fields on 386 and arm, two 64-bit ones elsewhere.
				ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
				return time.Unix(int64(ts.Sec), int64(ts.Nsec))
			}
		}
	}
	return time.Now()
}

// Stats returns how many packets passed the filter and how many of those the
// kernel dropped for want of buffer space, since the previous call (or
// Open). received includes the dropped ones. A scenario whose capture
// dropped packets has an incomplete wire record.
func (c *Capture) Stats() (received, dropped uint32, err error) {
	st, err := unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return 0, 0, fmt.Errorf("capture on %s: PACKET_STATISTICS: %w", c.ifname, err)
	}
	return st.Packets, st.Drops, nil
}

// Close stops the capture and discards what is still queued.
func (c *Capture) Close() error {
	if c.fd < 0 {
		return nil
	}
	err := unix.Close(c.fd)
	c.fd = -1
	if err != nil {
		return fmt.Errorf("close capture on %s: %w", c.ifname, err)
	}
	return nil
}
