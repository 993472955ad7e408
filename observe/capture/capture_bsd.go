//go:build darwin || freebsd

package capture

import (
	"fmt"
	"unsafe"

	"github.com/teardown-net/teardown/observe/wire"
	"golang.org/x/sys/unix"
)

// bufSize is the buffer asked of /dev/bpf: the systems' maximum
// (BPF_MAXBUFSIZE), so that a scenario's packets fit between two drains.
// The kernel may give less; reads use what BIOCGBLEN reports.
const bufSize = unix.BPF_MAXBUFSIZE

// snaplen is more than the largest packet lo0 hands to bpf: its MTU is
// 16384, but macOS's lo0 does TSO and passes segments of up to 64 KiB, so
// the limit is the largest IP packet and its 4-byte DLT_NULL header, with
// room to spare, as on Linux.
const snaplen = 256 << 10

// native is this system's struct bpf_hdr, from x/sys/unix.
var native = func() bpfLayout {
	var h unix.BpfHdr
	return bpfLayout{
		sec:   int(unsafe.Sizeof(h.Tstamp.Sec)),
		usec:  int(unsafe.Sizeof(h.Tstamp.Usec)),
		ts:    int(unsafe.Offsetof(h.Caplen)),
		align: unix.BPF_ALIGNMENT,
	}
}()

// Capture is an open capture on one interface. Its methods are not safe for
// concurrent use, except that Close may be called while Wait blocks.
type Capture struct {
	fd     int
	ifname string
	buf    []byte
	// recv and drop are the kernel's counters at the last Stats, which
	// BIOCGSTATS does not reset.
	recv, drop uint32
}

// Open starts capturing TCP packets, and ICMP errors, on the interface
// ifname through the first free /dev/bpf device; it needs root. Packets
// are queued in the kernel from then until DrainFrames reads them. The
// interface must be a loopback (DLT_NULL), on which each packet passes
// once.
func Open(ifname string) (*Capture, error) {
	c, err := open(ifname)
	if err != nil {
		return nil, fmt.Errorf("open capture on %s: %w", ifname, err)
	}
	return c, nil
}

func open(ifname string) (*Capture, error) {
	fd, err := device()
	if err != nil {
		return nil, err
	}
	c := &Capture{fd: fd, ifname: ifname}
	if err := c.setup(ifname); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return c, nil
}

// device opens the cloning /dev/bpf (FreeBSD, recent macOS) or the first
// /dev/bpfN no other capture holds.
func device() (int, error) {
	const flags = unix.O_RDWR | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd, err := unix.Open("/dev/bpf", flags, 0)
	if err == nil {
		return fd, nil
	}
	if err != unix.ENOENT {
		return -1, fmt.Errorf("open /dev/bpf: %w", err)
	}
	for i := 0; ; i++ {
		name := fmt.Sprintf("/dev/bpf%d", i)
		fd, err := unix.Open(name, flags, 0)
		switch {
		case err == nil:
			return fd, nil
		case err == unix.EBUSY:
			continue
		case err == unix.ENOENT && i > 0:
			return -1, fmt.Errorf("every /dev/bpfN up to %s is in use", name)
		default:
			return -1, fmt.Errorf("open %s: %w", name, err)
		}
	}
}

func ioctl(fd int, req uint, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

// ifreq is struct ifreq: the name, and a union that BIOCSETIF ignores.
type ifreq struct {
	name [unix.IFNAMSIZ]byte
	_    [16]byte
}

func (c *Capture) setup(ifname string) error {
	// The buffer size must be set before the interface.
	blen := uint32(bufSize)
	if err := ioctl(c.fd, unix.BIOCSBLEN, unsafe.Pointer(&blen)); err != nil {
		return fmt.Errorf("BIOCSBLEN: %w", err)
	}
	var ifr ifreq
	if len(ifname) >= len(ifr.name) {
		return fmt.Errorf("interface name %q is too long", ifname)
	}
	copy(ifr.name[:], ifname)
	if err := ioctl(c.fd, unix.BIOCSETIF, unsafe.Pointer(&ifr)); err != nil {
		return fmt.Errorf("no interface %q: BIOCSETIF: %w", ifname, err)
	}
	var dlt uint32
	if err := ioctl(c.fd, unix.BIOCGDLT, unsafe.Pointer(&dlt)); err != nil {
		return fmt.Errorf("BIOCGDLT: %w", err)
	}
	if dlt != unix.DLT_NULL {
		return fmt.Errorf("link type %d is not a loopback's (DLT_NULL): %w", dlt, ErrUnsupported)
	}
	if err := ioctl(c.fd, unix.BIOCGBLEN, unsafe.Pointer(&blen)); err != nil {
		return fmt.Errorf("BIOCGBLEN: %w", err)
	}
	c.buf = make([]byte, blen)
	// Immediate: a read returns what is queued at once instead of waiting
	// for the buffer to fill, so each step's packets come with the step.
	one := uint32(1)
	if err := ioctl(c.fd, unix.BIOCIMMEDIATE, unsafe.Pointer(&one)); err != nil {
		return fmt.Errorf("BIOCIMMEDIATE: %w", err)
	}
	prog := bsdFilter()
	fp := unix.BpfProgram{Len: uint32(len(prog)), Insns: &prog[0]}
	if err := ioctl(c.fd, unix.BIOCSETF, unsafe.Pointer(&fp)); err != nil {
		return fmt.Errorf("BIOCSETF: %w", err)
	}
	// BIOCSETF flushes what passed before the filter, and the counters
	// start from here.
	var st unix.BpfStat
	if err := ioctl(c.fd, unix.BIOCGSTATS, unsafe.Pointer(&st)); err != nil {
		return fmt.Errorf("BIOCGSTATS: %w", err)
	}
	c.recv, c.drop = st.Recv, st.Drop
	return nil
}

// bsdFilter is nullFilter in the kernel's type.
func bsdFilter() []unix.BpfInsn {
	var out []unix.BpfInsn
	for _, in := range nullFilter(snaplen) {
		out = append(out, unix.BpfInsn{Code: in.code, Jt: in.jt, Jf: in.jf, K: in.k})
	}
	return out
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
// blocking. Time is the kernel's stamp, to the microsecond. Other packets
// (ICMP that is not an error about TCP, IPv6 with extension headers
// leading elsewhere) are dropped.
func (c *Capture) DrainFrames() ([]Frame, error) {
	var fs []Frame
	for {
		n, err := unix.Read(c.fd, c.buf)
		if err == unix.EAGAIN || err == nil && n == 0 {
			return fs, nil
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fs, fmt.Errorf("capture on %s: read: %w", c.ifname, err)
		}
		recs, err := native.records(c.buf[:n])
		if err != nil {
			return fs, fmt.Errorf("capture on %s: %w", c.ifname, err)
		}
		for _, r := range recs {
			if len(r.Data) < r.Len {
				return fs, fmt.Errorf("capture on %s: packet of %d bytes cut to %d", c.ifname, r.Len, len(r.Data))
			}
			ip, ok := nullIP(r.Data)
			if !ok {
				continue
			}
			f, ok, err := decodeFrame(r.Time, ip)
			if err != nil {
				return fs, fmt.Errorf("capture on %s: %w", c.ifname, err)
			}
			if ok {
				fs = append(fs, f)
			}
		}
	}
}

// Stats returns how many packets the capture saw and how many of those the
// kernel dropped for want of buffer space, since the previous call (or
// Open). received includes the dropped ones; unlike Linux's, it also
// counts the packets the filter refused (bs_recv counts every packet on
// the interface). A scenario whose capture dropped packets has an
// incomplete wire record.
func (c *Capture) Stats() (received, dropped uint32, err error) {
	var st unix.BpfStat
	if err := ioctl(c.fd, unix.BIOCGSTATS, unsafe.Pointer(&st)); err != nil {
		return 0, 0, fmt.Errorf("capture on %s: BIOCGSTATS: %w", c.ifname, err)
	}
	received, dropped = st.Recv-c.recv, st.Drop-c.drop
	c.recv, c.drop = st.Recv, st.Drop
	return received, dropped, nil
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

// OnlyPorts reports ErrUnsupported: BIOCSETF, which sets the filter, also
// throws away the packets queued, which are the caller's.
func (c *Capture) OnlyPorts(ports []uint16) error {
	return fmt.Errorf("capture on %s: a new filter would flush the packets queued: %w", c.ifname, ErrUnsupported)
}
