package proxy

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// TestExtremeAttributes sends bytes through toxics whose attributes are at
// the ends of their range. Values that used to panic the server (jitter or
// size_variation ≥ 2^62) must not; time values beyond what a Duration holds
// must mean "for ever", not "at once".
func TestExtremeAttributes(t *testing.T) {
	_, cl := startServer(t)
	up := startUpstream(t, echo)
	const max = int64(9223372036854775807)
	quiet := 300 * time.Millisecond // nothing may happen within it
	for _, tc := range []struct {
		name   string
		typ    string
		stream string
		attrs  toxiproxy.Attributes
		// echoed: the bytes come back; otherwise nothing comes back,
		// neither bytes nor EOF nor RST, within quiet.
		echoed bool
		// fin: the client half-closes after writing.
		fin bool
		// random: the delay is random around zero, so either is right.
		random bool
	}{
		{"latency beyond a Duration", "latency", "downstream", toxiproxy.Attributes{"latency": int64(9300000000000)}, false, false, false},
		{"jitter 2^62", "latency", "downstream", toxiproxy.Attributes{"latency": 0, "jitter": int64(1) << 62}, false, false, true},
		{"slicer size_variation 2^62", "slicer", "downstream", toxiproxy.Attributes{"average_size": 1, "size_variation": int64(1) << 62}, true, false, false},
		{"slicer average_size max", "slicer", "downstream", toxiproxy.Attributes{"average_size": max, "size_variation": max}, true, false, false},
		{"bandwidth rate max", "bandwidth", "downstream", toxiproxy.Attributes{"rate": max}, true, false, false},
		{"timeout max", "timeout", "upstream", toxiproxy.Attributes{"timeout": max}, false, false, false},
		{"reset_peer max", "reset_peer", "upstream", toxiproxy.Attributes{"timeout": max}, false, false, false},
		{"slow_close max", "slow_close", "upstream", toxiproxy.Attributes{"delay": max}, true, true, false},
		{"reset delay max", "reset", "upstream", toxiproxy.Attributes{"delay": max}, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := createProxy(t, cl, "extreme", up)
			defer p.Delete()
			if _, err := p.AddToxic("", tc.typ, tc.stream, 1, tc.attrs); err != nil {
				t.Fatalf("AddToxic %s %v: %v", tc.typ, tc.attrs, err)
			}
			c := dial(t, p.Listen)
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			if tc.fin {
				c.CloseWrite()
			}
			if tc.echoed {
				buf := make([]byte, 4)
				if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
					t.Fatalf("read back %q, %v; want ping", buf, err)
				}
			}
			c.SetReadDeadline(time.Now().Add(quiet))
			n, err := c.Read(make([]byte, 16))
			if !tc.random && !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("within %v: read %d bytes, %v; want nothing (the toxic strikes at once?)", quiet, n, err)
			}
			// The server is alive and answers.
			if _, err := cl.Proxies(); err != nil {
				t.Fatalf("API after traffic: %v", err)
			}
		})
	}
}
