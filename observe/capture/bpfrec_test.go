package capture

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// The layouts of x/sys/unix's BpfHdr on each system /dev/bpf capture
// builds for: macOS's timeval32 on every architecture, FreeBSD's native
// timeval.
var layouts = map[string]bpfLayout{
	"darwin":      {sec: 4, usec: 4, ts: 8, align: 4},
	"freebsd/64":  {sec: 8, usec: 8, ts: 16, align: 8},
	"freebsd/386": {sec: 4, usec: 4, ts: 8, align: 4},
	"freebsd/arm": {sec: 8, usec: 4, ts: 16, align: 4},
}

// record builds one bpf record as the kernel of layout l writes it: the
// header with hdrlen rounded as BPF_WORDALIGN rounds it, the data, and the
// padding to the next record.
func (l bpfLayout) record(sec, usec int64, data []byte, datalen int) []byte {
	hdrlen := l.wordAlign(l.ts + hdrMin)
	b := make([]byte, l.wordAlign(hdrlen+len(data)))
	put := func(off, size int, v int64) {
		if size == 8 {
			binary.NativeEndian.PutUint64(b[off:], uint64(v))
		} else {
			binary.NativeEndian.PutUint32(b[off:], uint32(v))
		}
	}
	put(0, l.sec, sec)
	put(l.sec, l.usec, usec)
	binary.NativeEndian.PutUint32(b[l.ts:], uint32(len(data)))
	binary.NativeEndian.PutUint32(b[l.ts+4:], uint32(datalen))
	binary.NativeEndian.PutUint16(b[l.ts+8:], uint16(hdrlen))
	copy(b[hdrlen:], data)
	return b
}

func null(family uint32, ip []byte) []byte {
	b := binary.NativeEndian.AppendUint32(nil, family)
	return append(b, ip...)
}

// synV4 is a SYN from 127.0.0.1:40000 to 127.0.0.1:80, seq 1000.
var synV4 = []byte{
	0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
	0x9c, 0x40, 0, 80, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
}

func TestBPFRecords(t *testing.T) {
	for name, l := range layouts {
		t.Run(name, func(t *testing.T) {
			one := l.record(1700000000, 250000, null(nullInet, synV4), len(synV4)+4)
			odd := []byte{1, 2, 3} // pads to the alignment
			two := l.record(1700000001, 999999, odd, 3)
			buf := append(append(append([]byte(nil), one...), two...), one...)
			recs, err := l.records(buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 3 {
				t.Fatalf("%d records, want 3", len(recs))
			}
			if want := time.Unix(1700000000, 250000000); !recs[0].Time.Equal(want) {
				t.Errorf("time %v, want %v", recs[0].Time, want)
			}
			if want := time.Unix(1700000001, 999999000); !recs[1].Time.Equal(want) {
				t.Errorf("time %v, want %v", recs[1].Time, want)
			}
			if string(recs[1].Data) != string(odd) || recs[1].Len != 3 {
				t.Errorf("second record %v len %d, want %v len 3", recs[1].Data, recs[1].Len, odd)
			}
			ip, ok := nullIP(recs[2].Data)
			if !ok {
				t.Fatal("DLT_NULL AF_INET not recognised")
			}
			f, ok, err := decodeFrame(recs[2].Time, ip)
			if err != nil || !ok || !f.TCP {
				t.Fatalf("decode: ok %t tcp %t err %v", ok, f.TCP, err)
			}
			if f.Packet.Src.Port() != 40000 || f.Packet.Dst.Port() != 80 || f.Packet.Seq != 1000 || f.Packet.Flags.String() != "S" {
				t.Errorf("decoded %v", f.Packet)
			}
			if !f.Packet.Time.Equal(recs[2].Time) {
				t.Errorf("packet time %v, want the record's %v", f.Packet.Time, recs[2].Time)
			}
			// A record whose data or header is cut short is an error.
			if _, err := l.records(buf[:len(buf)-len(one)+l.wordAlign(l.ts+hdrMin)+5]); !errors.Is(err, errBPFRecord) {
				t.Errorf("record cut short: err %v, want errBPFRecord", err)
			}
			if got, err := l.records(buf[:len(one)+3]); !errors.Is(err, errBPFRecord) || len(got) != 1 {
				t.Errorf("header cut short: %d records, err %v; want 1 and errBPFRecord", len(got), err)
			}
		})
	}
}

func TestNullFamilies(t *testing.T) {
	for _, tc := range []struct {
		family uint32
		ok     bool
	}{
		{nullInet, true}, {24, true}, {28, true}, {30, true},
		{1, false}, {17, false},
		// AF_INET byte-swapped: what a capture file written on a machine
		// of the other byte order holds, never a live capture.
		{0x02000000, false},
	} {
		_, ok := nullIP(null(tc.family, synV4))
		if ok != tc.ok {
			t.Errorf("family %#x: ok %t, want %t", tc.family, ok, tc.ok)
		}
	}
	if _, ok := nullIP([]byte{2, 0}); ok {
		t.Error("a 2-byte frame passed as DLT_NULL")
	}
}

func FuzzBPFRecords(f *testing.F) {
	l := layouts["darwin"]
	f.Add(l.record(1, 2, null(nullInet, synV4), len(synV4)+4), false)
	f.Add(layouts["freebsd/64"].record(1, 2, null(28, synV4), len(synV4)+4), true)
	f.Fuzz(func(t *testing.T, buf []byte, wide bool) {
		l := layouts["darwin"]
		if wide {
			l = layouts["freebsd/64"]
		}
		recs, _ := l.records(buf)
		for _, r := range recs {
			if len(r.Data) > r.Len {
				t.Fatalf("record of %d bytes longer than its packet's %d", len(r.Data), r.Len)
			}
			if ip, ok := nullIP(r.Data); ok {
				decodeFrame(r.Time, ip)
			}
		}
	})
}
