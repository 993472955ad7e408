package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ngRecords reads the packets of a mapped pcapng file in place. pcapgo's
// NgReader copies every block through a buffer of its own, after read(2)
// has copied the file once: on a large file a pcapng packet cost nearly
// twice a pcap one. This reads the common packet, an Enhanced Packet Block,
// from the mapping, and leaves everything else to pcapgo so that what it
// gives is always what pcapgo gives:
//
//   - a section header, an interface description, and the blocks pcapgo
//     reads for their contents (name resolution, interface statistics,
//     decryption secrets) are first read by pcapgo, on a copy of the
//     section's header and interfaces followed by the block, which must
//     leave it without an error: the interfaces it describes are taken
//     from it;
//   - other blocks pcapgo skips, and so does this;
//   - at anything else (a packet block whose options pcapgo would read
//     past, a simple or obsolete packet block, a block pcapgo finds wrong, the end of the mapping)
//     the rest of the file is read by pcapgo, from that block, after the
//     same copy of the section's header and interfaces, which gives it
//     the state it would have had there.
type ngRecords struct {
	window
	file *counter // counts what pcapgo reads from the file, once it reads
	big  bool     // the section is big-endian
	// shb and idbs are the blocks of the current section's header and
	// interfaces, in the mapping; ifaces are the interfaces they describe.
	shb    []byte
	idbs   [][]byte
	ifaces []ngIface
	// slow reads the rest of the file once this has handed it over.
	slow *pcapgo.NgReader
}

// ngIface is what a packet needs of its interface.
type ngIface struct {
	link                       layers.LinkType
	secondMask, scaleUp, scale uint64
	offset                     uint64
}

// pcapng block types read here.
const (
	ngSectionHeader  = 0x0A0D0D0A
	ngInterface      = 1
	ngPacketObsolete = 2
	ngSimplePacket   = 3
	ngNameResolution = 4
	ngStatistics     = 5
	ngEnhancedPacket = 6
	ngSecrets        = 10
	ngByteOrder      = 0x1A2B3C4D
)

// maxNgIfaces bounds the interfaces of a section read here: each block
// pcapgo checks first is replayed after all of them, and pcapgo reads a
// section with more itself.
const maxNgIfaces = 64

// errHandOver says that pcapgo reads the rest of the file; errNotTaken
// that it must read the file from its start.
var (
	errHandOver = errors.New("handed over to pcapgo")
	errNotTaken = errors.New("not read in place")
)

// newNgRecords reads the section header at off in m, or returns nil when
// pcapgo does not take it: the file is then read by pcapgo from the start.
func newNgRecords(m *mapping, off int) *ngRecords {
	g := &ngRecords{window: window{m: m, off: off}}
	if binary.LittleEndian.Uint32(m.mem[off:]) != ngSectionHeader || g.block() != nil {
		return nil
	}
	return g
}

func (g *ngRecords) u32(b []byte) uint32 {
	if g.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// next returns the next packet's data, valid until the next call, time,
// link type and comments.
func (g *ngRecords) next() ([]byte, time.Time, layers.LinkType, []string, error) {
	for g.slow == nil {
		g.giveBack()
		if data, ts, lt, comments, end, ok := g.packet(); ok {
			g.advance(end)
			return data, ts, lt, comments, nil
		}
		if err := g.block(); err != nil {
			if err == errHandOver {
				break
			}
			return nil, time.Time{}, 0, nil, err
		}
	}
	data, ci, opts, err := g.slow.ZeroCopyReadPacketDataWithOptions()
	if err != nil {
		return nil, time.Time{}, 0, nil, err
	}
	lt := layers.LinkType(0)
	if len(ci.AncillaryData) > 0 {
		lt, _ = ci.AncillaryData[0].(layers.LinkType)
	}
	return data, ci.Timestamp, lt, opts.Comments, nil
}

// packet reads the block at off when it is an Enhanced Packet Block read
// in place: whole, of a known interface, with options pcapgo reads to
// their end. It returns the packet's data, time, link type and comments,
// and where the next block starts; ok is false for any other block.
func (g *ngRecords) packet() (data []byte, ts time.Time, lt layers.LinkType, comments []string, end int, ok bool) {
	mem, off := g.m.mem, g.off
	if len(mem)-off < 32 || g.u32(mem[off:]) != ngEnhancedPacket {
		return nil, time.Time{}, 0, nil, 0, false
	}
	n := int(g.u32(mem[off+4:]))
	id := g.u32(mem[off+8:])
	caplen := int(g.u32(mem[off+20:]))
	// The header, the padded data, the options and the trailing length
	// must fit the block's length.
	if n > len(mem)-off || id >= uint32(len(g.ifaces)) || caplen > n || 32+(caplen+3)&^3 > n {
		return nil, time.Time{}, 0, nil, 0, false
	}
	if comments, ok = g.comments(mem[off+28+(caplen+3)&^3 : off+n-4]); !ok {
		return nil, time.Time{}, 0, nil, 0, false
	}
	i := &g.ifaces[id]
	t := uint64(g.u32(mem[off+12:]))<<32 | uint64(g.u32(mem[off+16:]))
	return mem[off+28 : off+28+caplen : off+28+caplen], i.time(t), i.link, comments, off + n, true
}

// comments reads a packet's options o as pcapgo does, and returns its
// comments; ok is false where pcapgo would read past them or fail, which
// is left to it. pcapgo stops at an end-of-options option or where only
// the block's trailing length is left.
func (g *ngRecords) comments(o []byte) (comments []string, ok bool) {
	for len(o) > 0 {
		if len(o) < 4 {
			return nil, false
		}
		code, n := g.u16(o), int(g.u16(o[2:]))
		o = o[4:]
		if code == 0 {
			return comments, n == 0
		}
		pad := (n + 3) &^ 3
		if pad > len(o) {
			return nil, false
		}
		if code == 1 {
			comments = append(comments, string(o[:n]))
		}
		o = o[pad:]
	}
	return comments, true
}

func (g *ngRecords) u16(b []byte) uint16 {
	if g.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

// block reads the block at off that is not a packet read in place, or
// hands the file over to pcapgo there (errHandOver).
func (g *ngRecords) block() error {
	mem, off := g.m.mem, g.off
	if len(mem)-off < 12 {
		return g.handOver()
	}
	typ := binary.LittleEndian.Uint32(mem[off:]) // the same either way for a section header
	big := g.big
	if typ == ngSectionHeader {
		switch uint32(ngByteOrder) {
		case binary.BigEndian.Uint32(mem[off+8:]):
			big = true
		case binary.LittleEndian.Uint32(mem[off+8:]):
			big = false
		default:
			return g.handOver()
		}
	} else {
		typ = g.u32(mem[off:])
	}
	length := binary.LittleEndian.Uint32(mem[off+4:])
	if big {
		length = binary.BigEndian.Uint32(mem[off+4:])
	}
	n := int(length)
	if length < 12 || length%4 != 0 || n > len(mem)-off {
		return g.handOver()
	}
	b := mem[off : off+n : off+n]
	switch typ {
	case ngSectionHeader:
		if _, err := replay(b); err != io.EOF {
			return g.handOver()
		}
		g.big, g.shb, g.idbs, g.ifaces = big, b, g.idbs[:0], g.ifaces[:0]
	case ngInterface:
		if len(g.idbs) >= maxNgIfaces {
			return g.handOver()
		}
		ng, err := replay(g.section(b)...)
		if err != io.EOF || ng.NInterfaces() != len(g.ifaces)+1 {
			return g.handOver()
		}
		i, err := ng.Interface(len(g.ifaces))
		if err != nil {
			return g.handOver()
		}
		g.idbs, g.ifaces = append(g.idbs, b), append(g.ifaces, ifaceOf(i))
	case ngNameResolution, ngStatistics, ngSecrets:
		if _, err := replay(g.section(b)...); err != io.EOF {
			return g.handOver()
		}
	case ngEnhancedPacket, ngSimplePacket, ngPacketObsolete:
		return g.handOver()
	}
	g.advance(off + n)
	return nil
}

// section is the current section's header and interfaces, then b (none
// when nil).
func (g *ngRecords) section(b []byte) [][]byte {
	return append(append([][]byte{g.shb}, g.idbs...), b)
}

// replay has pcapgo read blocks, the first a section header, to their end:
// it returns io.EOF when pcapgo found nothing wrong.
func replay(blocks ...[]byte) (*pcapgo.NgReader, error) {
	ng, err := pcapgo.NewNgReader(bytes.NewReader(bytes.Join(blocks, nil)), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return nil, err
	}
	_, _, _, err = ng.ZeroCopyReadPacketDataWithOptions()
	return ng, err
}

// handOver leaves the rest of the file, from off, to pcapgo, after a copy
// of the current section's header and interfaces; the mapping is spent.
func (g *ngRecords) handOver() error {
	if g.shb == nil {
		return errNotTaken // the file's first section header
	}
	head := bytes.Join(g.section(nil), nil) // copied: the mapping goes
	f := g.m.file
	if _, err := f.Seek(int64(g.off), io.SeekStart); err != nil {
		return fmt.Errorf("read past the mapped file: %w", err)
	}
	g.file = &counter{r: f, n: int64(g.off)}
	ng, err := pcapgo.NewNgReader(io.MultiReader(bytes.NewReader(head), g.file), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return err
	}
	g.slow, g.shb, g.idbs = ng, nil, nil
	g.m.unmap()
	g.m = nil
	return errHandOver
}

// offset is how far into the file the packets have been read.
func (g *ngRecords) offset() int64 {
	if g.slow == nil {
		return int64(g.off)
	}
	return g.file.n
}

// ifaceOf is what a packet needs of pcapgo's interface: its link type and
// how its times are read, as pcapgo reads them.
func ifaceOf(i pcapgo.NgInterface) ngIface {
	res := i.TimestampResolution
	if res == 0 {
		res = 6
	}
	mask := uint64(1)
	if res.Binary() {
		mask = 1 << res.Exponent()
	} else {
		for range res.Exponent() {
			mask *= 10
		}
	}
	f := ngIface{link: i.LinkType, secondMask: mask, scaleUp: 1, scale: 1, offset: i.TimestampOffset}
	if mask < 1e9 {
		f.scaleUp = 1e9 / mask
	} else {
		f.scale = mask / 1e9
	}
	return f
}

// time is a packet's time stamp, as pcapgo converts it.
func (i *ngIface) time(ts uint64) time.Time {
	return time.Unix(int64(ts/i.secondMask+i.offset), int64(ts%i.secondMask*i.scaleUp/i.scale)).UTC()
}
