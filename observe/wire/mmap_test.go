package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// recordsFrom is records, reading the file from disk: mapped where the
// platform maps files.
func recordsFrom(t *testing.T, file []byte) string {
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
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		fmt.Fprintf(&b, "%d %v %v %s ttl %d\n", rec.N, rec.Time.UnixNano(), rec.Kind, rec.TCP, rec.TTL)
	}
	if r.Offset() > int64(len(file)) {
		t.Errorf("Offset %d past the end of a %d-byte file", r.Offset(), len(file))
	}
	fmt.Fprintf(&b, "%+v", r.Stats())
	return b.String()
}

// TestMappedAsRead checks that a file read from its mapping gives the
// records and errors that reading it as a stream gives, cut at every byte
// and with impossible lengths, and other formats (which are not mapped)
// too.
func TestMappedAsRead(t *testing.T) {
	frames := [][]byte{
		seg{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: SYN}.ipv4(),
		seg{src: "198.18.0.2:80", dst: "198.18.0.1:1000", flags: SYN | ACK}.ipv4(),
		seg{src: "198.18.0.1:1000", dst: "198.18.0.2:80", flags: PSH | ACK, payload: "hello"}.ipv4(),
	}
	times := []time.Time{time.Unix(1700000000, 1000), time.Unix(1700000001, 2000), time.Unix(1700000002, 3000)}
	file := pcapFile(binary.BigEndian, magicMicro, linkRaw, frames, times)
	for n := 0; n <= len(file); n++ {
		if got, want := recordsFrom(t, file[:n]), records(t, file[:n]); got != want {
			t.Fatalf("cut at %d: mapped:\n%s\nread:\n%s", n, got, want)
		}
	}
	bad := bytes.Clone(file)
	binary.BigEndian.PutUint32(bad[24+16+len(frames[0])+8:], maxSnap+1)
	for name, b := range map[string][]byte{"bad length": bad, "gzip": gzipped(t, file), "pcapng": manyPackets(t, 3)} {
		if got, want := recordsFrom(t, b), records(t, b); got != want {
			t.Errorf("%s: from a file:\n%s\nread:\n%s", name, got, want)
		}
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
			fmt.Fprintf(&b, "%d %v %v %s ttl %d\n", rec.N, rec.Time.UnixNano(), rec.Kind, rec.TCP, rec.TTL)
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

// TestMappedShrinks checks that a file cut shorter while it is read ends
// the stream as a damaged file, not the program.
func TestMappedShrinks(t *testing.T) {
	file := manyPackets(t, 2000)
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
		t.Fatal(err)
	}
	defer r.Close()
	if !r.mapped {
		t.Skip("files are not mapped here")
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	page := os.Getpagesize()
	if err := os.Truncate(name, int64(page)); err != nil {
		t.Fatal(err)
	}
	n := 1
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		}
		n++
	}
	st := r.Stats()
	t.Logf("%d records, %v", n, st.Broken)
	if st.Broken == nil || n*len(file)/2000 > 2*page {
		t.Errorf("after the file was cut to %d bytes: %d records, stats %+v; want the records of the first page and Broken set", page, n, st)
	}
}
