package analyze

import (
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// TestKept checks that a connection keeps its first and its last packets,
// in order, and counts those left out between.
func TestKept(t *testing.T) {
	ps := append([]pkt{}, handshake...)
	for i := range 1000 {
		ps = append(ps, pkt{time.Duration(3+i) * time.Millisecond, cli, srv, wire.ACK | wire.PSH, 101 + uint32(10*i), 501, 10, 0})
	}
	ps = append(ps, pkt{2 * time.Second, srv, cli, wire.RST | wire.ACK, 501, 10101, 0, 0})
	for _, tc := range []struct {
		keep, segs, cut, omitted int
	}{
		{0, 0, 0, 0},
		{1, 1, 1, 1003},
		{10, 10, 5, 994},
		{11, 11, 6, 993},
		{2000, 1004, 1004, 0},
	} {
		conns := analyzeBytes(t, capture(ps), Options{KeepPackets: tc.keep})
		if len(conns) != 1 {
			t.Fatalf("%d connections, want 1", len(conns))
		}
		k := conns[0].Kept()
		if len(k.Segments) != tc.segs || k.Cut != tc.cut || k.Omitted != tc.omitted {
			t.Errorf("keep %d: %d segments, cut at %d, %d left out; want %d, %d, %d", tc.keep, len(k.Segments), k.Cut, k.Omitted, tc.segs, tc.cut, tc.omitted)
			continue
		}
		// The kept ones are the first and the last packets, in file order.
		total := len(ps)
		for i, s := range k.Segments {
			want := i + 1
			if i >= k.Cut {
				want = total - (len(k.Segments) - i) + 1
			}
			if s.N != want {
				t.Errorf("keep %d: segment %d is record %d, want %d", tc.keep, i, s.N, want)
			}
			if p := ps[s.N-1]; s.Seq != p.seq || s.Flags != p.flags || s.Len != p.data || s.FromOrig != (p.src == cli) {
				t.Errorf("keep %d: segment %d is %+v, the capture's packet %+v", tc.keep, i, s, p)
			}
		}
	}
}
