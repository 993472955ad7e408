package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// recordsFrom is records, reading the file from disk: mapped where the
// platform maps files, with Each when each is set, else with Next.
func recordsFrom(t *testing.T, file []byte, each bool) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "f.pcap")
	if err := os.WriteFile(name, file, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		return "NewReader: " + err.Error()
	}
	defer r.Close()
	var b bytes.Buffer
	show := func(rec *Record) bool {
		fmt.Fprintf(&b, "%d %v %v %s %+v ttl %d %q\n", rec.N, rec.Time.UnixNano(), rec.Kind, rec.TCP, rec.ICMP, rec.TTL, rec.Comments)
		return true
	}
	if each {
		r.Each(show)
	} else {
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			show(rec)
		}
	}
	if r.Offset() > int64(len(file)) {
		t.Errorf("Offset %d past the end of a %d-byte file", r.Offset(), len(file))
	}
	fmt.Fprintf(&b, "%+v", r.Stats())
	return b.String()
}

// sameFromFile checks that file read from disk with Next and with Each
// gives what reading it as a stream gives.
func sameFromFile(t *testing.T, name string, file []byte) {
	t.Helper()
	want := records(t, file)
	for _, each := range []bool{false, true} {
		if got := recordsFrom(t, file, each); got != want {
			t.Fatalf("%s (Each %v): from a file:\n%s\nread:\n%s", name, each, got, want)
		}
	}
}

// TestMappedAsRead checks that a file read from its mapping, with Next and
// with Each, gives the records and errors that reading it as a stream
// gives, cut at every byte and with impossible lengths, with records Each
// leaves to the general path among those it decodes itself, and other
// formats (which are not mapped) too.
func TestMappedAsRead(t *testing.T) {
	frames := [][]byte{
		seg{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: SYN}.ipv4(),
		seg{src: "198.18.0.2:80", dst: "198.18.0.1:1000", flags: SYN | ACK}.ipv4(),
		seg{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: PSH | ACK, payload: "hello"}.ipv4(),
	}
	times := []time.Time{time.Unix(1700000000, 1000), time.Unix(1700000001, 2000), time.Unix(1700000002, 3000)}
	file := pcapFile(binary.BigEndian, magicMicro, linkRaw, frames, times)
	for n := 0; n <= len(file); n++ {
		sameFromFile(t, fmt.Sprintf("cut at %d", n), file[:n])
	}
	// A-MSDUs (two packets of one record, which keep its number and
	// time), fragments and ICMP errors among plain segments, in both
	// byte orders (Each decodes only little-endian records itself).
	var many [][]byte
	var manyTimes []time.Time
	quoted := seg{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: ACK, seq: 5}.ipv4()
	icmp := []byte{0x45, 0, 0, 56, 0, 0, 0, 0, 63, 1, 0, 0, 198, 18, 0, 254, 198, 18, 0, 1, 3, 1, 0, 0, 0, 0, 0, 0}
	icmp = append(icmp, quoted[:28]...)
	eth := func(ip []byte) []byte { return append([]byte{12: 0x08, 13: 0x00}, ip...) }
	eth6 := func(ip []byte) []byte { return append([]byte{12: 0x86, 13: 0xdd}, ip...) }
	for i := range 40 {
		many = append(many, eth(seg{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: ACK, seq: uint32(i)}.ipv4()))
		many = append(many, eth6(seg{src: "[2001:db8::1]:1000", dst: "[2001:db8::2]:80", flags: PSH | ACK, payload: "hi"}.ipv6()))
		many = append(many, arubaFrames()...)
		many = append(many, eth(icmp))
		for _, f := range split4(seg{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: PSH | ACK, payload: strings.Repeat("x", 100)}.ipv4(), 64, uint16(i)) {
			many = append(many, eth(f))
		}
	}
	for i := range many {
		manyTimes = append(manyTimes, time.Unix(1700000000+int64(i), int64(i)*1000))
	}
	sameFromFile(t, "mixed, little-endian", pcapFile(binary.LittleEndian, magicMicro, linkEthernet, many, manyTimes))
	sameFromFile(t, "mixed, big-endian", pcapFile(binary.BigEndian, magicNano, linkEthernet, many, manyTimes))
	bad := bytes.Clone(file)
	binary.BigEndian.PutUint32(bad[24+16+len(frames[0])+8:], maxSnap+1)
	ng := ngFile(t, 8)
	for name, b := range map[string][]byte{"bad length": bad, "gzip": gzipped(t, file), "gzipped pcapng": gzipped(t, ng)} {
		sameFromFile(t, name, b)
	}
	for n := 0; n <= len(ng); n++ {
		sameFromFile(t, fmt.Sprintf("pcapng cut at %d", n), ng[:n])
	}
	// More interfaces than are read in place: pcapgo reads the rest.
	var ifs bytes.Buffer
	w, err := pcapgo.NewNgWriter(&ifs, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for range maxNgIfaces + 6 {
		if _, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw}); err != nil {
			t.Fatal(err)
		}
	}
	raw := seg{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: SYN}.ipv4()
	for i := range 3 {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i)), CaptureLength: len(raw), Length: len(raw), InterfaceIndex: maxNgIfaces + i}
		if err := w.WritePacket(ci, raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	sameFromFile(t, "pcapng of many interfaces", ifs.Bytes())
	for _, res := range []byte{9, 6, 3, 0x94, 0x80} {
		sameFromFile(t, fmt.Sprintf("pcapng, two interfaces, if_tsresol %#x", res), ngMixed(t, res))
	}
}

// TestMappedGrows checks that records written to a file after it was
// mapped are read too, also when the mapping ends inside a record.
func TestMappedGrows(t *testing.T) {
	file := manyPackets(t, 50)
	want := records(t, file)
	for _, cut := range []int{24, 24 + 7, len(file) / 2, len(file) - 1} {
		name := filepath.Join(t.TempDir(), "f.pcap")
		if err := os.WriteFile(name, file[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(file[cut:])
		w.Close()
		var b bytes.Buffer
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			fmt.Fprintf(&b, "%d %v %v %s %+v ttl %d %q\n", rec.N, rec.Time.UnixNano(), rec.Kind, rec.TCP, rec.ICMP, rec.TTL, rec.Comments)
		}
		fmt.Fprintf(&b, "%+v", r.Stats())
		if got := b.String(); got != want {
			t.Errorf("file of %d bytes grown to %d: got\n%s\nwant\n%s", cut, len(file), got, want)
		}
		if r.Offset() != int64(len(file)) {
			t.Errorf("file of %d bytes grown to %d: Offset %d at the end", cut, len(file), r.Offset())
		}
		r.Close()
		f.Close()
	}
}

// TestMappedShrinks checks that a file cut shorter while it is read, with
// Next or with Each, ends the stream as a damaged file, not the program.
func TestMappedShrinks(t *testing.T) {
	for _, ng := range []bool{false, true} {
		file := manyPackets(t, 2000)
		if ng {
			file = ngFile(t, 2000)
		}
		for _, each := range []bool{false, true} {
			t.Run(fmt.Sprintf("pcapng=%v/Each=%v", ng, each), func(t *testing.T) { shrinks(t, file, each) })
		}
	}
}

func shrinks(t *testing.T, file []byte, each bool) {
	r, name := fileReader(t, file)
	if !r.mapped {
		t.Skip("files are not mapped here")
	}
	page := os.Getpagesize()
	n := 0
	cut := func() {
		if n++; n == 1 {
			if err := os.Truncate(name, int64(page)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if each {
		r.Each(func(*Record) bool { cut(); return true })
	} else {
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			}
			cut()
		}
	}
	st := r.Stats()
	t.Logf("%d records, %v", n, st.Broken)
	if want := fmt.Sprintf("record %d: ", n+1); st.Broken != nil && !strings.HasPrefix(st.Broken.Error(), want) {
		t.Errorf("after %d records: %v, want it to name the record being read (%q)", n, st.Broken, want)
	}
	if st.Broken == nil || n*len(file)/2000 > 2*page {
		t.Errorf("after the file was cut to %d bytes: %d records, stats %+v; want the records of the first page and Broken set", page, n, st)
	}
}

// TestEachStops checks that Each stops when its function says so, and that
// a panic in the function that is no fault on the mapped file goes on up.
func TestEachStops(t *testing.T) {
	file := manyPackets(t, 100)
	name := filepath.Join(t.TempDir(), "f.pcap")
	if err := os.WriteFile(name, file, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, stream := range []bool{false, true} {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		var in io.Reader = f
		if stream {
			in = bytes.NewReader(file)
		}
		r, err := NewReader(in)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		r.Each(func(*Record) bool { n++; return n < 10 })
		if n != 10 {
			t.Errorf("stream %v: Each went on to %d records after the function said stop at 10", stream, n)
		}
		rec, err := r.Next()
		if err != nil || rec.N != 11 {
			t.Errorf("stream %v: Next after Each stopped: %v, %v; want record 11", stream, rec, err)
		}
		func() {
			defer func() {
				if x := recover(); x != "boom" {
					t.Errorf("stream %v: recovered %v, want the function's own panic", stream, x)
				}
			}()
			r.Each(func(*Record) bool { panic("boom") })
		}()
		var nilRec *Record
		func() {
			defer func() {
				if x := recover(); x == nil {
					t.Errorf("stream %v: a nil dereference in the function was taken for a damaged file", stream)
				}
			}()
			r.Each(func(*Record) bool { return nilRec.N > 0 })
		}()
		if st := r.Stats(); st.Broken != nil {
			t.Errorf("stream %v: the function's panics marked the file damaged: %v", stream, st.Broken)
		}
		r.Close()
		f.Close()
	}
}

// fileReader writes file to disk and returns a Reader of it, mapped where
// the platform maps files, and the file's name; both are closed when the
// test ends.
func fileReader(t *testing.T, file []byte) (*Reader, string) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "f.pcap")
	if err := os.WriteFile(name, file, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, name
}

// TestMappedClosedMidway checks that the records after Close, read from the
// file with read(2), are those the mapping would have given, with bytes
// that do not lie in the mapping.
func TestMappedClosedMidway(t *testing.T) {
	file := manyPackets(t, 50)
	want := records(t, file)
	r, _ := fileReader(t, file)
	var b bytes.Buffer
	for n := 0; ; n++ {
		if n == 3 {
			r.Close()
		}
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		fmt.Fprintf(&b, "%d %v %v %s %+v ttl %d %q\n", rec.N, rec.Time.UnixNano(), rec.Kind, rec.TCP, rec.ICMP, rec.TTL, rec.Comments)
		if n >= 3 {
			// Its bytes are read after the mapping is gone: they
			// must be the record's own, not a fault.
			if p, err := Decode(rec.TCP.Data); err != nil || p.Seq != rec.TCP.Seq {
				t.Errorf("record %d after Close: %v, %v", rec.N, p, err)
			}
		}
	}
	fmt.Fprintf(&b, "%+v", r.Stats())
	if got := b.String(); got != want {
		t.Errorf("closed after 3 records: got\n%s\nwant\n%s", got, want)
	}
}

// ngFile is a pcapng file of n packets written by pcapgo, every third with
// comments.
func ngFile(tb testing.TB, n int) []byte {
	pkts := testPackets(tb)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		p := pkts[i%len(pkts)]
		f := append(make([]byte, 12, 14+len(p.Data)), 0x08, 0x00)
		if p.Data[0]>>4 == 6 {
			f[12], f[13] = 0x86, 0xdd
		}
		f = append(f, p.Data...)
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(f), Length: len(f)}
		var opts pcapgo.NgPacketOptions
		if i%3 == 0 {
			opts.Comments = []string{"step " + strconv.Itoa(i), "x"}
		}
		if err := w.WritePacketWithOptions(ci, f, opts); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// ngMixed is a pcapng file of two interfaces, Ethernet and raw IP, the
// first with a time stamp offset and the resolution res (if_tsresol: 10^-res,
// or 2^-(res&0x7f) with the high bit set), packets of both interleaved and
// interface statistics between them.
func ngMixed(tb testing.TB, res byte) []byte {
	pkts := testPackets(tb)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, TimestampOffset: 1000}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw}); err != nil {
		tb.Fatal(err)
	}
	for i, p := range pkts {
		f, iface := p.Data, i%2
		if iface == 0 {
			f = append(append(make([]byte, 12, 14+len(p.Data)), 0x08, 0x00), p.Data...)
			if p.Data[0]>>4 == 6 {
				f[12], f[13] = 0x86, 0xdd
			}
		}
		ci := gopacket.CaptureInfo{Timestamp: p.Time.Add(time.Duration(i) * 1234567), CaptureLength: len(f), Length: len(f), InterfaceIndex: iface}
		if err := w.WritePacket(ci, f); err != nil {
			tb.Fatal(err)
		}
		if i == 2 {
			if err := w.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{LastUpdate: p.Time, PacketsReceived: 3}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	b := buf.Bytes()
	// The writer's resolution is 10^-9; the first interface's option
	// (code 9, one byte) takes res.
	if i := bytes.Index(b, []byte{9, 0, 1, 0, 9}); i >= 0 {
		b[i+4] = res
	}
	return b
}

// FuzzMappedEach checks, on any file, that reading it from disk with Each
// (mapped, with its short path) gives what reading it as a stream gives.
func FuzzMappedEach(f *testing.F) {
	f.Add(manyPackets(f, 20))
	f.Add(ngFile(f, 6))
	f.Add(ngMixed(f, 0x94))
	t0 := time.Unix(1, 2)
	f.Add(pcapFile(binary.LittleEndian, magicMicro, linkEthernet, arubaFrames(), []time.Time{t0, t0, t0}))
	f.Add(pcapFile(binary.LittleEndian, magicNano, linkRaw, [][]byte{seg{src: "[2001:db8::1]:1", dst: "[2001:db8::2]:2", flags: SYN}.ipv6()}, []time.Time{t0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := recordsFrom(t, b, true), records(t, b); got != want {
			t.Fatalf("from a file with Each:\n%s\nread:\n%s", got, want)
		}
	})
}

// TestMappedPcapng checks that every pcapng file at hand, read from its
// mapping with Next and with Each, gives what pcapgo's reader gives read
// as a stream: gopacket's test files (both byte orders, every block type,
// several sections and interfaces, options), the Zeek parity traces in
// pcapng, and a lab capture whose packets carry comments; and each cut
// short at a few places.
func TestMappedPcapng(t *testing.T) {
	var files []string
	for _, pat := range []string{
		filepath.Join(gopacketTests, "*", "*.pcapng"),
		filepath.Join(gopacketTests, "*.pcapng"),
		"../../report/testdata/*.pcapng",
		"../../../shared/zeek-parity/traces/*.pcapng",
	} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no pcapng files found (Debian's golang-github-gopacket-gopacket-dev, or the Zeek parity traces)")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sameFromFile(t, name, b)
		for _, cut := range []int{len(b) / 3, len(b) / 2, len(b) - 1} {
			sameFromFile(t, fmt.Sprintf("%s cut at %d", name, cut), b[:cut])
		}
	}
	t.Logf("%d files", len(files))
}
