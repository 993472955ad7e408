package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Kind says what a Record holds.
type Kind uint8

// The kinds of record a Reader returns.
const (
	KindTCP  Kind = iota + 1 // a TCP segment, in Record.TCP
	KindICMP                 // an ICMP or ICMPv6 error that quotes a TCP segment, in Record.ICMP
	// KindTCPCut is a TCP segment whose header's first 20 bytes were
	// captured but not the rest of it: the snap length, the IP length or
	// a data offset below 20 leaves no room for the header the data
	// offset gives. Record.TCP holds what those 20 bytes say (ports,
	// sequence numbers, flags, window), with Len 0. Zeek creates a
	// connection for such a segment and goes no further with it.
	KindTCPCut
)

// Record is one packet a Reader decoded: a TCP segment or an ICMP error
// about one, with what the IP header said about its sender.
type Record struct {
	Kind Kind
	// N is the record's number in the file, counting from 1, for messages.
	N    int
	Time time.Time
	// TCP is the segment (KindTCP, KindTCPCut). Its Data is the innermost IP packet and
	// is valid only until the next call to Next or Close, and only while
	// the Reader is in use: it may lie in the mapped file.
	TCP Packet
	// ICMP is the error (KindICMP).
	ICMP ICMP
	// TTL is the IPv4 TTL or IPv6 hop limit, and IPID the IPv4
	// identification (0 for IPv6): what tells a middlebox's packet from the
	// host's.
	TTL  uint8
	IPID uint16
	// BadSum is set when Reader.Checksums is on and the IPv4 header or the
	// TCP checksum is wrong; BadIPSum when it is the IPv4 header's.
	BadSum, BadIPSum bool
	// Comments are the pcapng packet comments (opt_comment), if any.
	Comments []string
}

// Stats counts what a Reader has read so far.
type Stats struct {
	Records  int // records in the file
	TCP      int // returned as KindTCP
	TCPCut   int // returned as KindTCPCut
	ICMP     int // returned as KindICMP
	Other    int // other traffic: ARP, UDP, ICMP that quotes no TCP, ...
	Fragment int // IP fragments held for reassembly (the one completing a datagram counts as what it holds)
	Damaged  int // records whose headers are malformed, skipped

	// Reassembled counts datagrams reassembled from fragments and decoded
	// as packets. Datagrams given up: FragIncomplete when not all their
	// fragments came (within the timeout, or before the end of the file),
	// FragEvicted to stay within the reassembly's limits, FragInvalid for
	// overlapping or inconsistent fragments. FragSnapped counts fragments
	// the snap length cut short, which cannot be reassembled.
	Reassembled, FragIncomplete, FragEvicted, FragInvalid, FragSnapped int

	// Broken is set when the file itself was damaged (a record header that
	// cannot be right, or a record cut short): reading stopped there.
	Broken error
}

// Reader reads a pcap or pcapng stream one record at a time, keeping only
// the current record in memory (and fragments awaiting the rest of their
// datagram), and decodes the TCP segments and ICMP errors
// in it. Link types: Ethernet (with 802.1Q and QinQ tags, MPLS, PPPoE,
// Cisco FabricPath),
// Linux cooked v1 and v2, raw IP, IPv4, IPv6, BSD loopback/null; tunnels
// GRE, GRE in UDP, VXLAN, Geneve, GTP-U, AYIYA, 802.1ah PBB, IP-in-IP and
// Aruba's 802.11 in GRE are decapsulated and the innermost segment is
// returned (each subframe of an 802.11 A-MSDU in a Record of its own, with
// the same N). IP fragments are reassembled, within bounds (fragment.go),
// and the datagram they make is returned with the record that completed
// it. A malformed record is skipped and counted; a damaged file ends the
// stream with Stats.Broken set and io.EOF from Next, never a panic.
type Reader struct {
	// Checksums, when set, makes the Reader verify IPv4 header and TCP
	// checksums and mark a record whose sum is wrong (Record.BadSum).
	Checksums bool

	// pcap reads the records of an uncompressed pcap file, whose link
	// type is pcapLink; next and link read the others.
	pcap     *pcapRecords
	pcapLink layers.LinkType
	// ngm reads the packets of a pcapng file mapped into memory.
	ngm  *ngRecords
	next func() ([]byte, gopacket.CaptureInfo, []string, error)
	link func(gopacket.CaptureInfo) layers.LinkType
	// icmpSet is set while rec.ICMP holds an error from an earlier record.
	icmpSet bool
	dec     decoder
	rec     Record
	stats   Stats
	ng      bool
	// reading is the number of the record being read, for the error of a
	// fault on the mapped file.
	reading int
	// in counts the bytes read from the input; mapped is set while the
	// records may come from a mapped file.
	in     *counter
	mapped bool
}

// maxSnap is the largest record Reader accepts: libpcap's largest snap
// length. Files often claim a smaller snap length than they hold, so the
// header's value is not trusted; a longer record means the file is damaged.
const maxSnap = 262144

// NewReader reads the file header of a pcap (either byte order, microsecond
// or nanosecond) or pcapng stream. When r is an *os.File holding a regular
// file, an uncompressed pcap or pcapng file is mapped into memory and read
// in place from the file's offset, instead of being copied out by read(2)
// (of a pcapng file, the packet blocks; see ngRecords); records written
// after the mapping was made are read from the file when the mapped ones
// are done. Close unmaps it.
func NewReader(r io.Reader) (*Reader, error) {
	if f, ok := r.(*os.File); ok {
		if rd := newMappedReader(f); rd != nil {
			return rd, nil
		}
	}
	in := &counter{r: r}
	br := bufio.NewReaderSize(in, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("read capture header: %w", noEOF(err))
	}
	rd := &Reader{in: in}
	rd.dec.init()
	if magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, fmt.Errorf("read pcapng header: %w", err)
		}
		rd.ng = true
		rd.next = func() ([]byte, gopacket.CaptureInfo, []string, error) {
			data, ci, opts, err := ng.ZeroCopyReadPacketDataWithOptions()
			return data, ci, opts.Comments, err
		}
		rd.link = func(ci gopacket.CaptureInfo) layers.LinkType {
			if len(ci.AncillaryData) > 0 {
				if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
					return lt
				}
			}
			return ng.LinkType()
		}
		return rd, nil
	}
	// pcapgo reads the file header; the records of an uncompressed file
	// are read in place (pcapRecords), those of a gzipped one by pcapgo.
	gzipped := magic[0] == 0x1f && magic[1] == 0x8b
	hdr, _ := br.Peek(24)
	var src io.Reader = br
	if !gzipped {
		src = bytes.NewReader(hdr)
	}
	pr, err := pcapgo.NewReader(src)
	if err != nil {
		return nil, fmt.Errorf("read pcap header: %w (expected a pcap or pcapng file)", err)
	}
	pr.SetSnaplen(maxSnap)
	lt := pr.LinkType()
	if !knownLink(lt) {
		return nil, fmt.Errorf("read pcap header: link type %d (%v) is not read (expected one of %s)", uint32(lt), lt, readLinkNames())
	}
	if gzipped {
		rd.next = func() ([]byte, gopacket.CaptureInfo, []string, error) {
			data, ci, err := pr.ZeroCopyReadPacketData()
			return data, ci, nil, err
		}
	} else {
		br.Discard(24)
		rd.pcap, rd.pcapLink = newPcapRecords(br, nil, in, hdr, pr.Resolution()), lt
	}
	rd.link = func(gopacket.CaptureInfo) layers.LinkType { return lt }
	return rd, nil
}

// newMappedReader maps f and returns a Reader of its records, or nil when
// f cannot be mapped or does not hold, from its offset on, an uncompressed
// pcap file whose header NewReader accepts: then NewReader reads f as any
// other stream, from the same offset, and gives the same errors.
func newMappedReader(f *os.File) *Reader {
	base, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil
	}
	mem := mapFile(f)
	if mem == nil {
		return nil
	}
	m := &mapping{mem: mem, file: f, base: base}
	if base < 0 || base+24 > int64(len(mem)) {
		m.unmap()
		return nil
	}
	hdr := mem[base : base+24 : base+24]
	if hdr[0] == 0x1f && hdr[1] == 0x8b {
		m.unmap()
		return nil
	}
	if binary.LittleEndian.Uint32(hdr) == ngSectionHeader {
		g := newNgRecords(m, int(base))
		if g == nil {
			m.unmap()
			return nil
		}
		rd := &Reader{in: &counter{}, ngm: g, ng: true, mapped: true}
		rd.dec.init()
		runtime.AddCleanup(rd, (*mapping).unmap, m)
		return rd
	}
	pr, err := pcapgo.NewReader(bytes.NewReader(hdr))
	if err != nil || !knownLink(pr.LinkType()) {
		m.unmap()
		return nil
	}
	rd := &Reader{in: &counter{}, pcapLink: pr.LinkType(), mapped: true}
	rd.dec.init()
	rd.pcap = newPcapRecords(nil, m, rd.in, hdr, pr.Resolution())
	lt := rd.pcapLink
	rd.link = func(gopacket.CaptureInfo) layers.LinkType { return lt }
	// A Reader dropped without Close still unmaps its file.
	runtime.AddCleanup(rd, (*mapping).unmap, m)
	return rd
}

// Next returns the next TCP segment or ICMP error in the file, skipping
// other records. At the end of the file, or where the file is damaged, it
// returns io.EOF; Stats then says which. The record is reused by the next
// call.
func (r *Reader) Next() (*Record, error) {
	if r.mapped {
		return r.nextMapped()
	}
	return r.nextRecord()
}

// nextMapped is Next while the file may be mapped: a file cut shorter
// while it is read makes reading the lost pages a fault, which ends the
// stream as a damaged file does instead of the program.
func (r *Reader) nextMapped() (rec *Record, err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if x := recover(); x != nil {
			r.lostPages(x)
			rec, err = nil, io.EOF
		}
	}()
	rec, err = r.nextRecord()
	if r.mapping() == nil {
		r.mapped = false // the rest is read from the file
	}
	return rec, err
}

// lostPages ends the stream as damaged when x, a value recovered from a
// panic, is the fault of reading pages of the mapped file that are gone,
// and panics again with x otherwise.
func (r *Reader) lostPages(x any) {
	f, fault := x.(interface{ Addr() uintptr })
	m := r.mapping()
	if !fault || m == nil || !m.holds(f.Addr()) {
		panic(x)
	}
	r.stats.Damaged++
	r.stats.Broken = fmt.Errorf("record %d: the file was cut shorter while it was read", r.reading)
	m.unmap()
	if r.pcap != nil {
		r.pcap.m = nil
	} else {
		r.ngm.m = nil
	}
	r.mapped = false
}

// mapping is the mapped file the records are read from, or nil.
func (r *Reader) mapping() *mapping {
	switch {
	case r.pcap != nil:
		return r.pcap.m
	case r.ngm != nil:
		return r.ngm.m
	}
	return nil
}

func (r *Reader) nextRecord() (*Record, error) {
	rec := &r.rec
	for {
		if len(r.dec.pending) > 0 {
			// More packets of the record before: same number, time
			// and comments.
			rec.Kind, rec.TTL, rec.IPID, rec.BadSum, rec.BadIPSum = 0, 0, 0, false, false
			if r.count(r.dec.decodePending(rec, r.Checksums)) {
				return rec, nil
			}
			continue
		}
		if r.stats.Broken != nil {
			return nil, io.EOF
		}
		r.reading = r.stats.Records + 1
		var data []byte
		var ts time.Time
		var comments []string
		var lt layers.LinkType
		var err error
		if r.pcap != nil {
			data, ts, err = r.pcap.next()
			lt = r.pcapLink
		} else if r.ngm != nil {
			data, ts, lt, comments, err = r.ngm.next()
		} else {
			var ci gopacket.CaptureInfo
			data, ci, comments, err = r.next()
			ts, lt = ci.Timestamp, r.link(ci)
		}
		if err == io.EOF {
			r.dec.frags.finish()
			return nil, io.EOF
		}
		r.stats.Records++
		if err != nil {
			r.stats.Damaged++
			r.stats.Broken = fmt.Errorf("record %d: %w", r.stats.Records, noEOF(err))
			r.dec.frags.finish()
			return nil, io.EOF
		}
		// The record is reset field by field: its TCP and ICMP parts,
		// which decoding sets whole, are cleared only when the other
		// kind is returned, for zeroing the whole Record was a tenth of
		// the time per packet.
		rec.Kind, rec.N, rec.Time, rec.Comments = 0, r.stats.Records, ts, comments
		rec.TTL, rec.IPID, rec.BadSum, rec.BadIPSum = 0, 0, false, false
		if r.count(r.dec.decode(lt, data, rec, r.Checksums)) {
			return rec, nil
		}
	}
}

// count counts a decoded packet in the Stats and reports whether r.rec
// holds a packet to return.
func (r *Reader) count(res result) bool {
	switch res {
	case resultTCP:
		r.stats.TCP++
		if r.icmpSet {
			r.rec.ICMP, r.icmpSet = ICMP{}, false
		}
		return true
	case resultTCPCut:
		r.stats.TCPCut++
		if r.icmpSet {
			r.rec.ICMP, r.icmpSet = ICMP{}, false
		}
		return true
	case resultICMP:
		r.stats.ICMP++
		r.rec.TCP, r.icmpSet = Packet{}, true
		return true
	case resultFragment:
		r.stats.Fragment++
	case resultDamaged:
		r.stats.Damaged++
	default:
		r.stats.Other++
	}
	return false
}

// Stats returns the counts so far.
func (r *Reader) Stats() Stats {
	st, f := r.stats, &r.dec.frags
	st.Reassembled, st.FragIncomplete, st.FragEvicted, st.FragInvalid, st.FragSnapped = f.reassembled, f.incomplete, f.evicted, f.invalid, f.snapped
	return st
}

// Offset is how many bytes of the input have been read, for showing
// progress.
func (r *Reader) Offset() int64 {
	if r.pcap != nil {
		return r.pcap.offset()
	}
	if r.ngm != nil {
		return r.ngm.offset()
	}
	return r.in.n
}

// Close unmaps the file, if NewReader mapped it; it leaves the file open.
// Later calls to Next read the rest of the file with read(2).
func (r *Reader) Close() error {
	r.mapped = false
	switch {
	case r.pcap != nil:
		return r.pcap.release()
	case r.ngm != nil && r.ngm.m != nil:
		if err := r.ngm.handOver(); err != errHandOver {
			return err
		}
	}
	return nil
}

// Pcapng reports whether the file is pcapng rather than pcap.
func (r *Reader) Pcapng() bool { return r.ng }

// ReadPcap reads a whole pcap or pcapng file and returns its TCP segments in
// file order, each with its own copy of Data. It is for small files (tests,
// the lab's own captures); Reader streams. A damaged record or file, or a
// segment whose TCP header was cut, is an error here.
func ReadPcap(r io.Reader) ([]Packet, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	var pkts []Packet
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if rec.Kind != KindTCP {
			continue
		}
		p := rec.TCP
		p.Time = rec.Time
		p.Data = append([]byte(nil), p.Data...)
		pkts = append(pkts, p)
	}
	rd.Close()
	st := rd.Stats()
	if st.Broken != nil {
		return nil, fmt.Errorf("read capture: %w", st.Broken)
	}
	if st.Damaged > 0 {
		return nil, fmt.Errorf("read capture: %d damaged records: %w", st.Damaged, ErrBadHeader)
	}
	if st.TCPCut > 0 {
		return nil, fmt.Errorf("read capture: %d TCP segments with their header cut: %w", st.TCPCut, ErrTruncated)
	}
	return pkts, nil
}

// noEOF turns a clean EOF inside a structure into the truncation it is.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
