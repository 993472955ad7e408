package lab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/lab/internal/block"
	"github.com/teardown-net/teardown/scenario"
)

// The lab's own segments ("inject"): a TCP segment as if one actor sent it
// to another on their connection, with sequence numbers relative to where
// the connection is, sent from a raw socket in the sender's namespace so
// that it crosses the real link (or loopback) and the receiving kernel
// handles it as any other. What the connection has sent is learned from a
// packet socket of the inject's own, opened before the first step, so
// that it is known even after the actors' sockets are gone (TIME_WAIT,
// FIN_WAIT2); so is the last timestamp each side sent, for a segment that
// carries one (ts=).

// flow is one direction of a connection: source and destination.
type flow struct{ src, dst netip.AddrPort }

// flowState is what a direction has sent: the sequence number after its
// last segment (SYN and FIN count one), its last window, and the latest
// TSval of its timestamp options (RFC 7323), if it sends them.
type flowState struct {
	next   uint32
	window uint16
	seen   bool
	tsval  uint32
	ts     bool
}

// seqTracker follows every TCP segment in one network namespace.
type seqTracker struct {
	fd int
	mu sync.Mutex
	fl map[flow]*flowState
	// own are the segments the lab injected, which the tracker passes
	// over, so that every inject's offsets count from what the actors'
	// kernels sent: an injected SYN does not start the count anew, nor
	// does an injected timestamp move it.
	own  map[ownSegment]bool
	stop chan struct{}
	done chan struct{}
}

// ownSegment tells an injected segment from the kernel's.
type ownSegment struct {
	f        flow
	seq, ack uint32
	flags    byte
	len      int
}

// openTracker opens a packet socket in the calling thread's namespace and
// starts reading it.
func openTracker() (*seqTracker, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("packet socket for inject: %w", err)
	}
	// Room for a step's worth of segments between two reads.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 32<<20)
	t := &seqTracker{fd: fd, fl: map[flow]*flowState{}, own: map[ownSegment]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go t.loop()
	return t, nil
}

func (t *seqTracker) loop() {
	defer close(t.done)
	for {
		select {
		case <-t.stop:
			return
		default:
		}
		t.mu.Lock()
		t.drain()
		t.mu.Unlock()
		block.One(t.fd, unix.POLLIN, time.Now().Add(10*time.Millisecond), nil)
	}
}

// drain reads every segment waiting; t.mu is held.
func (t *seqTracker) drain() {
	buf := make([]byte, 256)
	for {
		n, _, err := unix.Recvfrom(t.fd, buf, unix.MSG_TRUNC)
		if err != nil {
			return
		}
		t.segment(buf[:min(n, len(buf))])
	}
}

// segment learns from one IP packet, of which b holds the headers.
func (t *seqTracker) segment(b []byte) {
	var src, dst netip.Addr
	var tcp []byte
	var payload int
	switch {
	case len(b) >= 20 && b[0]>>4 == 4:
		ihl := int(b[0]&0x0f) * 4
		if b[9] != unix.IPPROTO_TCP || len(b) < ihl+20 {
			return
		}
		src, dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		total := int(binary.BigEndian.Uint16(b[2:4]))
		tcp = b[ihl:]
		payload = total - ihl - int(tcp[12]>>4)*4
	case len(b) >= 60 && b[0]>>4 == 6:
		if b[6] != unix.IPPROTO_TCP {
			return
		}
		src, dst = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		tcp = b[40:]
		payload = int(binary.BigEndian.Uint16(b[4:6])) - int(tcp[12]>>4)*4
	default:
		return
	}
	f := flow{
		netip.AddrPortFrom(src.Unmap(), binary.BigEndian.Uint16(tcp[0:2])),
		netip.AddrPortFrom(dst.Unmap(), binary.BigEndian.Uint16(tcp[2:4])),
	}
	flags := tcp[13]
	seq := binary.BigEndian.Uint32(tcp[4:8])
	if t.own[ownSegment{f, seq, binary.BigEndian.Uint32(tcp[8:12]), flags, max(payload, 0)}] {
		return
	}
	end := seq + uint32(max(payload, 0))
	if flags&tcpSYN != 0 {
		end++
	}
	if flags&tcpFIN != 0 {
		end++
	}
	st := t.fl[f]
	if st == nil {
		st = &flowState{}
		t.fl[f] = st
	}
	if flags&tcpRST != 0 {
		// An RST takes no sequence space; what was sent stays where it was.
		return
	}
	if flags&tcpSYN != 0 || !st.seen || int32(end-st.next) > 0 {
		st.next = end
	}
	st.window, st.seen = binary.BigEndian.Uint16(tcp[14:16]), true
	if v, ok := tsval(tcp); ok && (!st.ts || int32(v-st.tsval) > 0) {
		st.tsval, st.ts = v, true
	}
}

// tsval finds the TSval of the timestamp option among the options of the
// TCP header that starts tcp (RFC 9293 3.2: a kind byte, and but for
// the end of the list and no-operation, a length byte).
func tsval(tcp []byte) (uint32, bool) {
	end := min(int(tcp[12]>>4)*4, len(tcp))
	for i := 20; i < end; {
		switch kind := tcp[i]; {
		case kind == tcpOptEnd:
			return 0, false
		case kind == tcpOptNOP:
			i++
		case i+1 >= end || tcp[i+1] < 2:
			return 0, false
		case kind == tcpOptTimestamp && tcp[i+1] == 10 && i+10 <= end:
			return binary.BigEndian.Uint32(tcp[i+2:]), true
		default:
			i += int(tcp[i+1])
		}
	}
	return 0, false
}

// state returns what f has sent, after reading every segment waiting.
func (t *seqTracker) state(f flow) (flowState, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.drain()
	st, ok := t.fl[f]
	if !ok || !st.seen {
		return flowState{}, false
	}
	return *st, true
}

// mark notes a segment the lab is about to send, for segment to pass over.
func (t *seqTracker) mark(s segment) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.own[ownSegment{flow{s.src, s.dst}, s.seq, s.ack, s.flags, len(s.data)}] = true
}

func (t *seqTracker) close() {
	close(t.stop)
	<-t.done
	unix.Close(t.fd)
}

// The TCP header's flag bits.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
)

// The TCP options the inject reads and writes.
const (
	tcpOptEnd       = 0
	tcpOptNOP       = 1
	tcpOptTimestamp = 8
)

// injectFlags are the language's flag letters.
var injectFlags = map[byte]byte{'S': tcpSYN, 'F': tcpFIN, 'R': tcpRST, 'P': tcpPSH, '.': tcpACK}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openTrackers opens a tracker on every host an inject may send from
// (the one namespace on loopback), before the first step, so that the
// connections' segments are known from their SYN on.
func (r *runner) openTrackers() error {
	hosts := []string{""}
	if r.hosts != nil {
		hosts = []string{"client", "server"}
	}
	r.trackers = map[string]*seqTracker{}
	for _, host := range hosts {
		if r.hosts != nil {
			if err := r.hosts.Enter(host); err != nil {
				return err
			}
		}
		t, err := openTracker()
		if err != nil {
			return err
		}
		r.trackers[host] = t
	}
	return nil
}

func (r *runner) closeTrackers() {
	for h, t := range r.trackers {
		t.close()
		delete(r.trackers, h)
	}
}

// inject makes and sends the segment. The connection is FROM's: its
// addresses are those FROM's socket had, which stay known after close.
func (r *runner) inject(in *scenario.Inject, st *Step) error {
	from, err := r.endpoint(in.From)
	if err != nil {
		return err
	}
	to, err := r.endpoint(in.To)
	if err != nil {
		return err
	}
	src, dst := from.Local, from.Remote
	if !src.IsValid() || !dst.IsValid() {
		return fmt.Errorf("inject %s>%s: %s has no connection to take the addresses from", in.From, in.To, in.From)
	}
	if to.Local.IsValid() && to.Local != dst && !(to.Remote == src) {
		return fmt.Errorf("inject %s>%s: %s is connected to %v, not to %s at %v", in.From, in.To, in.From, dst, in.To, to.Local)
	}
	host := r.hostOf(in.From, from.Host)
	t := r.trackers[host]
	if t == nil {
		return fmt.Errorf("inject %s>%s: no tracker on host %q", in.From, in.To, host)
	}
	out, ok := t.state(flow{src, dst})
	if !ok {
		return fmt.Errorf("inject %s>%s: no segment from %v to %v seen, so there are no sequence numbers to start from", in.From, in.To, src, dst)
	}
	back, _ := t.state(flow{dst, src})
	var flags byte
	for i := 0; i < len(in.Flags); i++ {
		flags |= injectFlags[in.Flags[i]]
	}
	seg := segment{
		src: src, dst: dst, flags: flags,
		seq:    out.next + uint32(in.Seq),
		window: out.window,
		data:   make([]byte, in.Len),
	}
	for i := range seg.data {
		seg.data[i] = 'x'
	}
	if flags&tcpACK != 0 {
		seg.ack = back.next + uint32(in.Ack)
	}
	if in.Timestamp {
		if !out.ts {
			return fmt.Errorf("inject %s>%s ts=%+d: no segment from %v to %v carried a timestamp option, so there is no TSval to start from", in.From, in.To, in.TS, src, dst)
		}
		seg.ts, seg.tsval = true, out.tsval+uint32(in.TS)
		if flags&tcpACK != 0 && back.ts {
			seg.tsecr = back.tsval
		}
	}
	if r.hosts != nil {
		if err := r.hosts.Enter(host); err != nil {
			return err
		}
	}
	t.mark(seg)
	return seg.send()
}

// segment is a TCP segment to send.
type segment struct {
	src, dst     netip.AddrPort
	flags        byte
	seq, ack     uint32
	window       uint16
	ts           bool // with a timestamp option of tsval and tsecr
	tsval, tsecr uint32
	data         []byte
}

// bytes is the TCP header and payload, with the checksum over the
// pseudo-header of the segment's addresses.
func (s segment) bytes() []byte {
	hlen := 20
	if s.ts {
		// Two no-operations keep the option's values aligned, as
		// RFC 7323 Appendix A suggests and Linux sends them.
		hlen += 12
	}
	b := make([]byte, hlen+len(s.data))
	binary.BigEndian.PutUint16(b[0:], s.src.Port())
	binary.BigEndian.PutUint16(b[2:], s.dst.Port())
	binary.BigEndian.PutUint32(b[4:], s.seq)
	binary.BigEndian.PutUint32(b[8:], s.ack)
	b[12] = byte(hlen/4) << 4
	b[13] = s.flags
	binary.BigEndian.PutUint16(b[14:], s.window)
	if s.ts {
		copy(b[20:], []byte{tcpOptNOP, tcpOptNOP, tcpOptTimestamp, 10})
		binary.BigEndian.PutUint32(b[24:], s.tsval)
		binary.BigEndian.PutUint32(b[28:], s.tsecr)
	}
	copy(b[hlen:], s.data)
	var sum uint32
	add := func(p []byte) {
		for i := 0; i+1 < len(p); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(p[i:]))
		}
		if len(p)%2 == 1 {
			sum += uint32(p[len(p)-1]) << 8
		}
	}
	sa, da := s.src.Addr().AsSlice(), s.dst.Addr().AsSlice()
	add(sa)
	add(da)
	sum += unix.IPPROTO_TCP + uint32(len(b))
	add(b)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(b[16:], ^uint16(sum))
	return b
}

// send sends the segment from a raw socket bound to its source address,
// in the calling thread's namespace; the kernel writes the IP header.
func (s segment) send() error {
	v6 := s.src.Addr().Is6()
	domain := unix.AF_INET
	if v6 {
		domain = unix.AF_INET6
	}
	fd, err := unix.Socket(domain, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return fmt.Errorf("raw socket for inject: %w", err)
	}
	defer unix.Close(fd)
	var from, to unix.Sockaddr
	if v6 {
		from = &unix.SockaddrInet6{Addr: s.src.Addr().As16()}
		to = &unix.SockaddrInet6{Addr: s.dst.Addr().As16()}
	} else {
		from = &unix.SockaddrInet4{Addr: s.src.Addr().As4()}
		to = &unix.SockaddrInet4{Addr: s.dst.Addr().As4()}
	}
	if err := unix.Bind(fd, from); err != nil {
		return fmt.Errorf("bind the inject's raw socket to %v: %w", s.src.Addr(), err)
	}
	if err := unix.Sendto(fd, s.bytes(), 0, to); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("send the injected segment (a firewall?): %w", err)
		}
		return fmt.Errorf("send the injected segment: %w", err)
	}
	return nil
}
