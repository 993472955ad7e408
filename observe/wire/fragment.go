package wire

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// IP fragment reassembly (RFC 791 for IPv4, RFC 8200 section 4.5 for
// IPv6), bounded as a host bounds it. The rules are the Linux kernel's,
// since it is the receiving host's view of a connection that teardown
// explains:
//
//   - fragments belong together when source, destination, identification
//     and (IPv4) protocol agree;
//   - an IPv4 fragment that is not the last is cut to a multiple of 8
//     bytes; an IPv6 one that is not a multiple is malformed;
//   - a fragment that lies wholly inside data already received is a
//     duplicate and is ignored: the first copy is kept;
//   - a fragment that overlaps received data only in part discards the
//     whole datagram (RFC 5722; Linux does the same for IPv4). Zeek keeps
//     the first copy and goes on instead;
//   - a last fragment that disagrees with the length already known, or
//     data beyond the end the last fragment gave, discards the datagram;
//   - a datagram not complete within the timeout, in capture time (Linux's
//     ipfrag_time, 30 s, for IPv4; RFC 8200's 60 s for IPv6), is dropped;
//   - at most maxDatagrams are in progress and maxFragHeld bytes held
//     (Linux's ipfrag_high_thresh): past either, the oldest is dropped to
//     make room. (Linux refuses the new fragment instead; in a capture
//     the oldest is the one least likely ever to complete.)
//
// The reassembled datagram carries the first fragment's header: IPv4 with
// its options, flags and offset cleared and the checksum made again;
// IPv6 the fixed header only, with the Next Header of the first
// fragment's Fragment header, the extension headers before it dropped.
//
// A fragment the snap length cut short cannot be reassembled. As Zeek
// does, the first fragment of a datagram is then analyzed on its own,
// which shows its headers in a capture of headers only; later ones are
// not used.

// Bounds of the reassembly.
const (
	maxDatagrams = 1024
	maxFragHeld  = 4 << 20
	fragTimeout4 = 30 * time.Second
	fragTimeout6 = 60 * time.Second
	// maxIPv4Header is the headroom kept in front of a datagram's payload
	// for the header it is given when complete.
	maxIPv4Header = 60
)

// fragKey identifies the datagram a fragment belongs to.
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8 // IPv4 only: IPv6 fragments of one datagram share an identification whatever follows
}

// fragment is one IP fragment as the decoder found it.
type fragment struct {
	key fragKey
	v6  bool
	// hdr is the fragment's IP header: IPv4 with options, IPv6 the fixed
	// 40 bytes; next is, for IPv6, the Fragment header's Next Header.
	hdr  []byte
	next uint8
	off  int  // offset of data in the datagram's payload, in bytes
	more bool // more fragments follow
	// data is what was captured of the fragment's payload; size is its
	// length by the IP header.
	data []byte
	size int
}

// datagram is a datagram in reassembly.
type datagram struct {
	key   fragKey
	v6    bool
	start time.Time // capture time of its first fragment to come
	hdr   []byte    // the offset-0 fragment's header, once it came
	next  uint8
	// buf holds the payload from maxIPv4Header on, at its offsets.
	buf   []byte
	have  []fragSpan // received ranges, sorted, disjoint, adjacent ones merged
	total int        // payload length, once the last fragment came; -1 before
	gone  bool       // complete or dropped: skipped when it reaches the head of its queue
}

type fragSpan struct{ lo, hi int }

// fragResult is what adding a fragment came to.
type fragResult uint8

const (
	fragHeld    fragResult = iota // kept; the datagram is not complete
	fragDone                      // the datagram is complete
	fragBad                       // the fragment is malformed (empty, misaligned, too large) and was not used
	fragSnapped                   // the fragment was cut short by the capture's snap length and was not used
	fragDropped                   // the fragment made its datagram invalid; both were dropped
)

// fragments reassembles datagrams. Its zero value is ready to use.
type fragments struct {
	pending map[fragKey]*datagram
	// order holds the datagrams by their start, one queue per IP version
	// since their timeouts differ; entries that are gone are skipped.
	order [2][]*datagram
	held  int // bytes of buffers in pending
	// What happened to datagrams, and fragments cut short, for Stats.
	reassembled, incomplete, evicted, invalid, snapped int
}

// add adds a fragment seen at time t. With fragDone it returns the
// datagram, whose bytes are the caller's.
func (f *fragments) add(t time.Time, fr *fragment) ([]byte, fragResult) {
	if fr.more && fr.size%8 != 0 && !fr.v6 {
		// RFC 791 wants multiples of 8; Linux cuts an IPv4 fragment
		// that is not to one (and drops an IPv6 one).
		fr.size &^= 7
		fr.data = fr.data[:min(len(fr.data), fr.size)]
	}
	end := fr.off + fr.size
	switch {
	case fr.size <= 0, fr.more && fr.size%8 != 0:
		return nil, fragBad
	case fr.v6 && end > 65535, !fr.v6 && len(fr.hdr)+end > 65535:
		return nil, fragBad
	case len(fr.data) < fr.size:
		return nil, fragSnapped
	}
	f.expire(t)
	dg := f.pending[fr.key]
	if dg == nil {
		dg = f.open(t, fr)
	}
	if !dg.fits(fr, end) {
		f.drop(dg)
		f.invalid++
		return nil, fragDropped
	}
	if !fr.more {
		dg.total = end
	}
	if !dg.insert(fr.off, end) {
		return nil, fragHeld // a duplicate
	}
	if fr.off == 0 {
		dg.hdr, dg.next = append(dg.hdr[:0], fr.hdr...), fr.next
	}
	if need := maxIPv4Header + end; need > len(dg.buf) {
		f.grow(dg, need)
	}
	copy(dg.buf[maxIPv4Header+fr.off:], fr.data[:fr.size])
	if dg.total < 0 || dg.hdr == nil || len(dg.have) != 1 || dg.have[0] != (fragSpan{0, dg.total}) {
		return nil, fragHeld
	}
	f.drop(dg)
	f.reassembled++
	return dg.assemble(), fragDone
}

// open starts a datagram for fr, making room for it.
func (f *fragments) open(t time.Time, fr *fragment) *datagram {
	if f.pending == nil {
		f.pending = make(map[fragKey]*datagram)
	}
	for len(f.pending) >= maxDatagrams && f.evictOldest(nil) {
	}
	dg := &datagram{key: fr.key, v6: fr.v6, start: t, total: -1}
	f.pending[fr.key] = dg
	q := &f.order[version(fr.v6)]
	*q = append(*q, dg)
	if len(*q) > 64 && len(*q) > 2*len(f.pending) {
		*q = compact(*q)
	}
	return dg
}

func version(v6 bool) int {
	if v6 {
		return 1
	}
	return 0
}

// compact removes the datagrams that are gone from a queue.
func compact(q []*datagram) []*datagram {
	out := q[:0]
	for _, dg := range q {
		if !dg.gone {
			out = append(out, dg)
		}
	}
	clear(q[len(out):])
	return out
}

// fits reports whether fr agrees with what dg has received: no partial
// overlap, and an end that agrees with the last fragment's.
func (dg *datagram) fits(fr *fragment, end int) bool {
	if dg.total >= 0 && (end > dg.total || !fr.more && end != dg.total) {
		return false
	}
	if !fr.more && len(dg.have) > 0 && dg.have[len(dg.have)-1].hi > end {
		return false
	}
	for _, s := range dg.have {
		if s.lo < end && fr.off < s.hi && !(s.lo <= fr.off && end <= s.hi) {
			return false
		}
	}
	return true
}

// insert records [lo, hi) as received; it reports false for a duplicate,
// which fits has made sure lies wholly inside one received range.
func (dg *datagram) insert(lo, hi int) bool {
	i := 0
	for i < len(dg.have) && dg.have[i].hi <= lo {
		i++
	}
	if i < len(dg.have) && dg.have[i].lo <= lo && hi <= dg.have[i].hi {
		return false
	}
	dg.have = append(dg.have, fragSpan{})
	copy(dg.have[i+1:], dg.have[i:])
	dg.have[i] = fragSpan{lo, hi}
	// Merge with the neighbours it touches.
	if i+1 < len(dg.have) && dg.have[i+1].lo == hi {
		dg.have[i].hi = dg.have[i+1].hi
		dg.have = append(dg.have[:i+1], dg.have[i+2:]...)
	}
	if i > 0 && dg.have[i-1].hi == lo {
		dg.have[i-1].hi = dg.have[i].hi
		dg.have = append(dg.have[:i], dg.have[i+1:]...)
	}
	return true
}

// grow makes dg's buffer at least need bytes, evicting the oldest other
// datagrams while the bytes held would pass the limit.
func (f *fragments) grow(dg *datagram, need int) {
	size := max(need, min(2*len(dg.buf), maxIPv4Header+65535))
	for f.held+size-len(dg.buf) > maxFragHeld && f.evictOldest(dg) {
	}
	buf := make([]byte, size)
	copy(buf, dg.buf)
	f.held += size - len(dg.buf)
	dg.buf = buf
}

// evictOldest drops the datagram that started first, but keep; it reports
// whether there was one.
func (f *fragments) evictOldest(keep *datagram) bool {
	var oldest *datagram
	for v := range f.order {
		for _, dg := range f.order[v] {
			if !dg.gone && dg != keep {
				if oldest == nil || dg.start.Before(oldest.start) {
					oldest = dg
				}
				break
			}
		}
	}
	if oldest == nil {
		return false
	}
	f.drop(oldest)
	f.evicted++
	return true
}

// expire drops the datagrams whose timeout has passed at t.
func (f *fragments) expire(t time.Time) {
	for v, timeout := range [2]time.Duration{fragTimeout4, fragTimeout6} {
		q := f.order[v]
		for len(q) > 0 && (q[0].gone || t.Sub(q[0].start) > timeout) {
			if !q[0].gone {
				f.drop(q[0])
				f.incomplete++
			}
			q[0] = nil
			q = q[1:]
		}
		f.order[v] = q
	}
}

// finish drops every datagram still in progress, at the end of the
// capture.
func (f *fragments) finish() {
	for _, dg := range f.pending {
		dg.gone = true
		f.incomplete++
	}
	clear(f.pending)
	f.order = [2][]*datagram{}
	f.held = 0
}

// drop removes dg from the datagrams in progress.
func (f *fragments) drop(dg *datagram) {
	dg.gone = true
	delete(f.pending, dg.key)
	f.held -= len(dg.buf)
}

// assemble puts the header in front of the payload and returns the
// datagram.
func (dg *datagram) assemble() []byte {
	h := dg.hdr
	out := dg.buf[maxIPv4Header-len(h) : maxIPv4Header+dg.total]
	copy(out, h)
	unfragment(out[:len(h)], dg.v6, dg.next, dg.total)
	return out
}

// unfragment makes h, a fragment's IP header, the header of a whole
// datagram of size payload bytes: for IPv4 without MF and offset and with
// its checksum made again; for IPv6 (the fixed header) with next as its
// Next Header.
func unfragment(h []byte, v6 bool, next uint8, size int) {
	if v6 {
		binary.BigEndian.PutUint16(h[4:], uint16(size))
		h[6] = next
		return
	}
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+size))
	h[6] &= 0x40 // keep DF; clear MF and the offset
	h[7] = 0
	h[10], h[11] = 0, 0
	binary.BigEndian.PutUint16(h[10:], ^sum(0, h))
}

// alone is a first fragment as a packet of its own, with what was
// captured of it: what Zeek analyzes of a datagram the snap length cut
// (its headers are whole; its length is the fragment's).
func alone(fr *fragment) []byte {
	out := append(append(make([]byte, 0, len(fr.hdr)+len(fr.data)), fr.hdr...), fr.data...)
	unfragment(out[:len(fr.hdr)], fr.v6, fr.next, fr.size)
	return out
}
