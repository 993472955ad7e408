package wire

import (
	"encoding/binary"
	"runtime/debug"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Each calls fn with each record Next would return, in the same order and
// with the same lifetime, until fn returns false or the stream ends
// (Stats then says whether the file was damaged). It is Next in a loop,
// made faster for a mapped file: its common records are decoded by a short
// path, and the guard against a file cut shorter while it is read is set
// up once instead of once a record, which cost a tenth of reading one. A
// fault while fn reads a record's bytes from a file cut shorter ends the
// stream in the same way, cutting short what fn was doing.
func (r *Reader) Each(fn func(*Record) bool) {
	if r.mapped && !r.eachMapped(fn) {
		return
	}
	for {
		rec, err := r.Next()
		if err != nil || !fn(rec) {
			return
		}
	}
}

// eachMapped is Each while the file is mapped; it reports whether the
// records are to go on, read from the file, once the mapping is done.
func (r *Reader) eachMapped(fn func(*Record) bool) (more bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if x := recover(); x != nil {
			r.lostPages(x)
			more = false
		}
	}()
	for r.mapped {
		rec := &r.rec
		if !r.fastRecord() {
			var err error
			if rec, err = r.nextRecord(); err != nil {
				return false
			}
			if r.mapping() == nil {
				r.mapped = false // the rest is read from the file
			}
		}
		if !fn(rec) {
			return false
		}
	}
	return true
}

// fastRecord decodes the next record of the mapped file into r.rec when it
// is the common one: a whole record of a little-endian pcap file, or a
// pcapng packet block read in place (ngRecords.packet), holding a frame
// that decode's fast path takes (a TCP segment in plain IPv4 or IPv6). It
// reports false, having read nothing, for any other, which nextRecord then
// reads: what it gives is what nextRecord would.
func (r *Reader) fastRecord() bool {
	if len(r.dec.pending) > 0 {
		return false
	}
	r.reading = r.stats.Records + 1
	var w *window
	var frame []byte
	var lt layers.LinkType
	var ts time.Time
	var comments []string
	var end int
	switch p, g := r.pcap, r.ngm; {
	case p != nil:
		if p.big || p.off-p.dropped >= dropEvery {
			return false
		}
		mem, off := p.m.mem, p.off
		if len(mem)-off < 16 {
			return false
		}
		h := mem[off : off+16 : off+16]
		caplen := binary.LittleEndian.Uint32(h[8:])
		if caplen > maxSnap || caplen > binary.LittleEndian.Uint32(h[12:]) || len(mem)-off-16 < int(caplen) {
			return false
		}
		end = off + 16 + int(caplen)
		w, frame, lt = &p.window, mem[off+16:end:end], r.pcapLink
		// As in header, the product is a uint32.
		ts = time.Unix(int64(binary.LittleEndian.Uint32(h[0:])), int64(binary.LittleEndian.Uint32(h[4:])*p.nsec)).UTC()
	case g != nil && g.slow == nil:
		if g.off-g.dropped >= dropEvery {
			return false
		}
		var ok bool
		if frame, ts, lt, comments, end, ok = g.packet(); !ok {
			return false
		}
		w = &g.window
	default:
		return false
	}
	// The next record's headers are asked for before this one is
	// decoded: the decoding is time their wait overlaps.
	w.prefetch(end)
	rec := &r.rec
	// What the fast path does not set for every packet (IPv6 has no IP
	// ID).
	rec.IPID, rec.BadSum, rec.BadIPSum = 0, false, false
	if res, ok := r.dec.fast(lt, frame, rec, r.Checksums); !ok || res != resultTCP {
		return false
	}
	w.off = end
	r.stats.Records++
	r.stats.TCP++
	rec.N, rec.Time, rec.Comments = r.stats.Records, ts, comments
	if r.icmpSet {
		rec.ICMP, r.icmpSet = ICMP{}, false
	}
	return true
}
