package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// This file reads what a read(2) of /dev/bpf returns: a run of records,
// each a struct bpf_hdr, the captured bytes, and padding to the next
// BPF_WORDALIGN boundary. It has no build tag so that its tests and fuzz
// target run on Linux too, where no /dev/bpf exists.

// bpfLayout is the shape of struct bpf_hdr on one system and architecture:
// its timestamp is a struct timeval whose fields differ in size (macOS
// always uses a 32-bit timeval32; FreeBSD the native timeval, 64-bit
// seconds except on 386, 64-bit microseconds only on 64-bit systems).
type bpfLayout struct {
	// sec and usec are the sizes of tv_sec and tv_usec; ts is the size of
	// the timestamp with its padding, where bh_caplen starts.
	sec, usec, ts int
	// align is BPF_ALIGNMENT, to which each record is padded.
	align int
}

// hdrMin is the size of a bpf_hdr's fields after the timestamp: caplen,
// datalen and hdrlen.
const hdrMin = 4 + 4 + 2

var errBPFRecord = errors.New("malformed bpf record")

// bpfRecord is one record of a bpf buffer.
type bpfRecord struct {
	Time time.Time
	// Data is the captured bytes, a slice of the buffer; Len the packet's
	// length on the wire, more than len(Data) when the snapshot cut it.
	Data []byte
	Len  int
}

func (l bpfLayout) wordAlign(n int) int { return (n + l.align - 1) &^ (l.align - 1) }

func (l bpfLayout) int(b []byte, size int) int64 {
	if size == 8 {
		return int64(binary.NativeEndian.Uint64(b))
	}
	return int64(int32(binary.NativeEndian.Uint32(b)))
}

// records splits a buffer read from /dev/bpf into its records, in host byte
// order as the kernel wrote them. A record that does not fit in the buffer
// is an error: the kernel hands out whole records only.
func (l bpfLayout) records(buf []byte) ([]bpfRecord, error) {
	var out []bpfRecord
	for off := 0; off < len(buf); {
		h := buf[off:]
		if len(h) < l.ts+hdrMin {
			return out, fmt.Errorf("%w: %d bytes left at offset %d, less than a header", errBPFRecord, len(h), off)
		}
		sec, usec := l.int(h, l.sec), l.int(h[l.sec:], l.usec)
		caplen := int(binary.NativeEndian.Uint32(h[l.ts:]))
		datalen := int(binary.NativeEndian.Uint32(h[l.ts+4:]))
		hdrlen := int(binary.NativeEndian.Uint16(h[l.ts+8:]))
		if hdrlen < l.ts+hdrMin || caplen > len(h)-hdrlen || caplen > datalen {
			return out, fmt.Errorf("%w at offset %d: hdrlen %d caplen %d datalen %d in %d bytes", errBPFRecord, off, hdrlen, caplen, datalen, len(h))
		}
		out = append(out, bpfRecord{
			Time: time.Unix(sec, usec*1000),
			Data: h[hdrlen : hdrlen+caplen],
			Len:  datalen,
		})
		off += l.wordAlign(hdrlen + caplen)
	}
	return out, nil
}

// The address families a DLT_NULL header names: AF_INET is 2 everywhere,
// AF_INET6 differs between the BSDs (24 NetBSD/OpenBSD, 28 FreeBSD, 30
// macOS), and libpcap accepts each of them on every system, since a
// capture file may come from any.
const (
	nullInet   = 2
	nullInet6a = 24
	nullInet6b = 28
	nullInet6c = 30
)

// nullIP returns the IP packet of a DLT_NULL frame (loopback on macOS and
// FreeBSD): a 4-byte address family in host byte order, then the packet.
// ok is false for other families.
func nullIP(frame []byte) (ip []byte, ok bool) {
	if len(frame) < 4 {
		return nil, false
	}
	switch binary.NativeEndian.Uint32(frame) {
	case nullInet, nullInet6a, nullInet6b, nullInet6c:
		return frame[4:], true
	}
	return nil, false
}

// decodeFrame makes a Frame of one captured IP packet: a TCP segment, or an
// ICMP error that quotes one. ok is false for a packet to leave out (other
// ICMP, a fragment, IPv6 whose extension headers lead elsewhere); err is
// set for a TCP packet that does not decode.
func decodeFrame(at time.Time, ip []byte) (f Frame, ok bool, err error) {
	data := append([]byte(nil), ip...)
	f = Frame{Time: at, Data: data}
	p, err := wire.Decode(data)
	switch {
	case err == nil:
		p.Time = at
		f.TCP, f.Packet = true, p
	case errors.Is(err, wire.ErrNotTCP):
		ic, ierr := wire.DecodeICMP(data)
		if ierr != nil {
			return Frame{}, false, nil
		}
		f.ICMP = ic
	case errors.Is(err, wire.ErrFragment):
		return Frame{}, false, nil
	default:
		return Frame{}, false, err
	}
	return f, true, nil
}
