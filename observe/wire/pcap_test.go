package wire

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"time"
)

// records reads file with a Reader and returns every record it gives and
// its Stats, as text.
func records(t testing.TB, file []byte) string {
	r, err := NewReader(bytes.NewReader(file))
	if err != nil {
		return "NewReader: " + err.Error()
	}
	var b bytes.Buffer
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		fmt.Fprintf(&b, "%d %v %v %s %+v ttl %d %q\n", rec.N, rec.Time.UnixNano(), rec.Kind, rec.TCP, rec.ICMP, rec.TTL, rec.Comments)
	}
	fmt.Fprintf(&b, "%+v", r.Stats())
	return b.String()
}

func gzipped(t testing.TB, b []byte) []byte {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

// TestPcapRecordsAsPcapgo checks that records read in place are the ones
// pcapgo reads, with the same errors, on files in every byte order and
// resolution, cut short at every byte and with impossible lengths: a
// gzipped copy of a file is read by pcapgo.
func TestPcapRecordsAsPcapgo(t *testing.T) {
	var frames [][]byte
	var times []time.Time
	for i, s := range []seg{
		{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: SYN, opts: 20},
		{src: "198.18.0.2:80", dst: "198.18.0.1:1000", flags: SYN | ACK},
		{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: PSH | ACK, payload: "hello"},
	} {
		frames = append(frames, s.ipv4())
		times = append(times, time.Unix(1700000000+int64(i), int64(i)*123456789))
	}
	check := func(name string, file []byte) {
		t.Helper()
		got, want := records(t, file), records(t, gzipped(t, file))
		if got != want {
			t.Fatalf("%s: read in place:\n%s\npcapgo:\n%s", name, got, want)
		}
	}
	for _, bo := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, magic := range []uint32{magicMicro, magicNano} {
			file := pcapFile(bo, magic, linkRaw, frames, times)
			name := fmt.Sprintf("%v %x", bo, magic)
			for n := 24; n <= len(file); n++ { // shorter, the gzip header is what is read
				check(fmt.Sprintf("%s cut at %d", name, n), file[:n])
			}
			rec2 := 24 + 16 + len(frames[0])
			for _, bad := range []struct {
				off int
				v   uint32
			}{{rec2 + 8, maxSnap + 1}, {rec2 + 8, 1 << 31}, {rec2 + 12, 10}, {rec2 + 4, 4000000000}, {24 + 8, 0}} {
				b := bytes.Clone(file)
				if bo == binary.LittleEndian {
					binary.LittleEndian.PutUint32(b[bad.off:], bad.v)
				} else {
					binary.BigEndian.PutUint32(b[bad.off:], bad.v)
				}
				check(fmt.Sprintf("%s with %d at %d", name, bad.v, bad.off), b)
			}
		}
	}
}
