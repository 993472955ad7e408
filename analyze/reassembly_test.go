package analyze

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// snapped is capture(ps) with every record cut to snap bytes, as tcpdump
// -s writes it: the IP lengths still say how long each packet was.
func snapped(ps []pkt, snap int) []byte {
	b := capture(ps)
	out := append([]byte(nil), b[:24]...)
	binary.LittleEndian.PutUint32(out[16:], uint32(snap))
	for b = b[24:]; len(b) >= 16; {
		n := int(binary.LittleEndian.Uint32(b[8:]))
		keep := min(n, snap)
		h := append([]byte(nil), b[:16]...)
		binary.LittleEndian.PutUint32(h[8:], uint32(keep))
		out = append(append(out, h...), b[16:16+keep]...)
		b = b[16+n:]
	}
	return out
}

// TestGapRules checks when acknowledged data that was not seen is a
// content gap, by Zeek's reassembler's rules.
func TestGapRules(t *testing.T) {
	// conn is a connection with ps after its handshake, ended by both
	// sides' FINs, the client's at sequence number finSeq.
	conn := func(snap int, finSeq uint32, ps ...pkt) []byte {
		ps = append(append([]pkt{}, handshake...), ps...)
		ps = append(ps,
			pkt{50 * time.Millisecond, cli, srv, wire.FIN | wire.ACK, finSeq, 501, 0, 0},
			pkt{51 * time.Millisecond, srv, cli, wire.FIN | wire.ACK, 501, finSeq + 1, 0, 0})
		if snap == 0 {
			return capture(ps)
		}
		return snapped(ps, snap)
	}
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"all seen", conn(0, 201,
			pkt{3 * time.Millisecond, cli, srv, wire.ACK, 101, 501, 100, 0},
			pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 201, 0, 0}),
			"ShADaFf"},
		// The payload the snap length cut never reaches the reassembler,
		// as in Zeek: acknowledged, it is a gap.
		{"payload cut by the snap length", conn(54, 201,
			pkt{3 * time.Millisecond, cli, srv, wire.ACK, 101, 501, 100, 0},
			pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 201, 0, 0}),
			"ShADaGFf"},
		{"headers whole, payload not", conn(40+99, 201,
			pkt{3 * time.Millisecond, cli, srv, wire.ACK, 101, 501, 100, 0},
			pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 201, 0, 0}),
			"ShADaGFf"},
		{"snap length above the packet", conn(40+100, 201,
			pkt{3 * time.Millisecond, cli, srv, wire.ACK, 101, 501, 100, 0},
			pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 201, 0, 0}),
			"ShADaFf"},
		// More than 16384 bytes beyond a hole before any of the side's
		// data is acknowledged: Zeek stops reassembling that side
		// (above_hole_data_without_any_acks), and no gap is counted.
		{"far above a hole, nothing acknowledged", conn(0, 1101+16385,
			pkt{3 * time.Millisecond, cli, srv, wire.ACK, 1101, 501, 16385, 0},
			pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 1101 + 16385, 0, 0}),
			"ShADaFf"},
		{"just below the limit", conn(0, 1101+16384-1000,
			pkt{3 * time.Millisecond, cli, srv, wire.ACK, 1101, 501, 16384 - 1000, 0},
			pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 1101 + 16384 - 1000, 0, 0}),
			"ShADaGFf"},
		{"far above a hole, some acknowledged", conn(0, 1201+16385,
			pkt{3 * time.Millisecond, cli, srv, wire.ACK, 101, 501, 100, 0},
			pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 201, 0, 0},
			pkt{5 * time.Millisecond, cli, srv, wire.ACK, 1201, 501, 16385, 0},
			pkt{6 * time.Millisecond, srv, cli, wire.ACK, 501, 1201 + 16385, 0, 0}),
			"ShADaGFf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conns := analyzeBytes(t, tc.file, Options{})
			if len(conns) != 1 || conns[0].History() != tc.want {
				var h []string
				for _, c := range conns {
					h = append(h, c.History())
				}
				t.Errorf("histories %q, want %s", h, tc.want)
			}
		})
	}
}
