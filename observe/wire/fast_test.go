package wire

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// agree decodes frame both ways, by the fast path and by gopacket's layers,
// and fails if the fast path takes a frame and decodes it otherwise.
func agree(t testing.TB, d *decoder, lt layers.LinkType, frame []byte, checksums bool) bool {
	var fast, slow Record
	r, ok := d.fast(lt, frame, &fast, checksums)
	if !ok {
		return false
	}
	want := d.decodeFrom(firstLayer(lt, frame), frame, &slow, checksums, 0)
	if r != want || !reflect.DeepEqual(fast, slow) {
		t.Fatalf("link %v, frame % x:\nfast path gives %v %+v\ngopacket gives  %v %+v", lt, frame, r, fast, want, slow)
	}
	return true
}

// TestFastAgrees checks that the fast path decodes every frame it takes as
// gopacket's layers do, over the real captures the other tests read and the
// Zeek parity traces.
func TestFastAgrees(t *testing.T) {
	var files []string
	for _, pat := range []string{
		filepath.Join(gopacketTests, "*.pcap*"), filepath.Join(dpktData, "*.pcap*"),
		"../../../shared/zeek-parity/traces/*",
	} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no captures found (Debian's golang-github-gopacket-gopacket-dev, python3-dpkt, or the Zeek parity traces)")
	}
	var d decoder
	d.init()
	taken, frames := 0, 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(f)
		if err != nil {
			f.Close()
			continue // not a capture this reader reads: the reader's tests say which
		}
		for {
			var data []byte
			lt := r.pcapLink
			if r.pcap != nil {
				data, _, err = r.pcap.next()
			} else if r.ngm != nil {
				data, _, lt, _, err = r.ngm.next()
			} else {
				var ci gopacket.CaptureInfo
				data, ci, _, err = r.next()
				lt = r.link(ci)
			}
			if err != nil {
				break
			}
			frames++
			for _, sums := range []bool{false, true} {
				if agree(t, &d, lt, data, sums) && sums {
					taken++
				}
			}
		}
		f.Close()
	}
	if taken == 0 {
		t.Fatalf("the fast path took none of %d frames in %d files", frames, len(files))
	}
	t.Logf("fast path took %d of %d frames in %d files, all decoded as gopacket's layers do", taken, frames, len(files))
}

// FuzzFastAgrees checks the fast path against gopacket's layers on any
// bytes, for each link type it knows.
func FuzzFastAgrees(f *testing.F) {
	ip4 := seg{src: "198.18.0.1:1", dst: "198.18.0.2:2", flags: SYN, opts: 20}.ipv4()
	ip6 := seg{src: "[2001:db8::1]:1", dst: "[2001:db8::2]:2", flags: ACK, payload: "xyz"}.ipv6()
	f.Add(uint8(0), append(append(make([]byte, 12), 8, 0), ip4...))
	f.Add(uint8(0), append(append(make([]byte, 12), 0x86, 0xdd), ip6...))
	f.Add(uint8(1), append(append(make([]byte, 14), 8, 0), ip4...))
	f.Add(uint8(2), append(append([]byte{0x86, 0xdd}, make([]byte, 18)...), ip6...))
	f.Add(uint8(3), ip4)
	f.Add(uint8(4), ip6)
	f.Add(uint8(5), ip6)
	links := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeRaw}
	var d decoder
	d.init()
	f.Fuzz(func(t *testing.T, link uint8, frame []byte) {
		lt := links[int(link)%len(links)]
		agree(t, &d, lt, frame, false)
		agree(t, &d, lt, frame, true)
	})
}
