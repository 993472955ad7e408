package report

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teardown-net/teardown/analyze"
	"github.com/teardown-net/teardown/observe/wire"
)

// analyzeCapture reads a capture as teardown analyze --html does, keeping
// up to keep packets of each connection.
func analyzeCapture(t testing.TB, r io.Reader, keep int) ([]*analyze.Conn, wire.Stats) {
	t.Helper()
	wr, err := wire.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	var conns []*analyze.Conn
	tr := analyze.NewTracker(analyze.Options{KeepPackets: keep}, func(c *analyze.Conn) { conns = append(conns, c.Clone()) })
	for {
		rec, err := wr.Next()
		if err == io.EOF {
			break
		}
		tr.Add(rec)
	}
	tr.Close()
	return conns, wr.Stats()
}

// labCapture is what the lab captured of five catalog runs, written by
//
//	teardown lab run close-unread/read net/peer-rebooted net/host-unreachable-established \
//	  net/peer-vanished peer-closed/write-epipe --on tcp4 --pcap DIR
//	mergecap -w lab-capture.pcapng DIR/*.pcapng
//
// on Linux 6.18.
const labCapture = "testdata/lab-capture.pcapng"

func TestCaptureGolden(t *testing.T) {
	f, err := os.Open(labCapture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	conns, st := analyzeCapture(t, f, 100)
	var b bytes.Buffer
	if err := CaptureHTML(&b, conns, CaptureOptions{Capture: "lab-capture.pcapng", Chose: "all connections", Conns: len(conns), Chosen: len(conns), Stats: st, Explain: base(t)}); err != nil {
		t.Fatal(err)
	}
	golden(t, "capture.html.golden", b.Bytes())
	p := parseStrict(t, b.Bytes())
	if p.names["section"] != len(conns)+1 { // and the explanations
		t.Errorf("%d sections, want one per connection (%d) and one of explanations", p.names["section"], len(conns))
	}
	for href := range p.hrefs {
		if !p.ids[strings.TrimPrefix(href, "#")] {
			t.Errorf("link %s leads nowhere in the page", href)
		}
	}
	// Each connection's diagram draws each of its packets, TCP and ICMP:
	// the packets of the file, counted here by their addresses.
	f.Seek(0, io.SeekStart)
	wr, err := wire.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for {
		rec, err := wr.Next()
		if err == io.EOF {
			break
		}
		a, b := rec.TCP.Src, rec.TCP.Dst
		if rec.Kind == wire.KindICMP {
			a, b = rec.ICMP.Src, rec.ICMP.Dst
		}
		per[pair(a, b)]++
	}
	drawn := strings.Split(b.String(), "<section class=\"run conn\"")[1:]
	for i, c := range conns {
		if n := strings.Count(drawn[i], "<g class=\"pk "); n != per[pair(c.Orig(), c.Resp())] {
			t.Errorf("%v → %v: %d packets drawn, the file has %d", c.Orig(), c.Resp(), n, per[pair(c.Orig(), c.Resp())])
		}
		if !strings.Contains(drawn[i], e(c.Verdict().Cause.Text)) {
			t.Errorf("%v → %v: the verdict %q is not shown", c.Orig(), c.Resp(), c.Verdict().Cause.Text)
		}
	}
}

// pair names a connection by its two ends, in either direction.
func pair(a, b netip.AddrPort) string {
	if a.String() > b.String() {
		a, b = b, a
	}
	return a.String() + " " + b.String()
}

// seg is a TCP segment of a hand-made capture.
type seg struct {
	at       time.Duration
	src, dst string
	flags    wire.Flags
	seq, ack uint32
	data     []byte
	comment  string
}

// pcapng writes segs as a pcapng file, as the lab writes its own.
func pcapng(t testing.TB, segs []seg) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := wire.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range segs {
		src, dst := netip.MustParseAddrPort(s.src), netip.MustParseAddrPort(s.dst)
		ip := make([]byte, 40, 40+len(s.data))
		ip = append(ip, s.data...)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
		ip[8], ip[9] = 64, 6
		sa, da := src.Addr().As4(), dst.Addr().As4()
		copy(ip[12:], sa[:])
		copy(ip[16:], da[:])
		binary.BigEndian.PutUint16(ip[20:], src.Port())
		binary.BigEndian.PutUint16(ip[22:], dst.Port())
		binary.BigEndian.PutUint32(ip[24:], s.seq)
		binary.BigEndian.PutUint32(ip[28:], s.ack)
		ip[32] = 5 << 4
		ip[33] = byte(s.flags)
		binary.BigEndian.PutUint16(ip[34:], 512)
		if err := w.Write(t0.Add(s.at), ip, s.comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	cliAddr = "198.18.0.1:40000"
	srvAddr = "198.18.0.2:8080"
)

// resetConn is a connection the server resets after the client's data;
// text goes into its comments and its payload.
func resetConn(cli, text string, at time.Duration) []seg {
	ms := time.Millisecond
	return []seg{
		{at, cli, srvAddr, wire.SYN, 100, 0, nil, text},
		{at + ms, srvAddr, cli, wire.SYN | wire.ACK, 900, 101, nil, ""},
		{at + 2*ms, cli, srvAddr, wire.ACK, 101, 901, nil, ""},
		{at + 3*ms, cli, srvAddr, wire.PSH | wire.ACK, 101, 901, []byte(text), text},
		{at + 4*ms, srvAddr, cli, wire.RST | wire.ACK, 901, 101 + uint32(len(text)), nil, ""},
	}
}

// TestCaptureEscapes writes a page whose capture name, comments and
// payload try to inject markup: it stays well-formed, holds no element
// from them, and shows them as text.
func TestCaptureEscapes(t *testing.T) {
	evil := `</text></svg><script>alert(1)</script><img src=x onerror=alert(2)>]]>`
	conns, st := analyzeCapture(t, bytes.NewReader(pcapng(t, resetConn(cliAddr, evil, 0))), 100)
	var b bytes.Buffer
	if err := CaptureHTML(&b, conns, CaptureOptions{Capture: `<b onmouseover=alert(3)>.pcap`, Chose: `abnormal connections matching <i>`, Conns: 1, Chosen: 1, Stats: st, Explain: base(t)}); err != nil {
		t.Fatal(err)
	}
	p := parseStrict(t, b.Bytes())
	for _, bad := range []string{"script", "img", "b", "i"} {
		if p.names[bad] > 0 {
			t.Errorf("the page has %d <%s> elements", p.names[bad], bad)
		}
	}
	for a := range p.attrs {
		if strings.HasPrefix(a, "on") || a == "src" {
			t.Errorf("the page has an attribute %s", a)
		}
	}
	for _, want := range []string{evil, `<b onmouseover=alert(3)>.pcap`, "matching <i>"} {
		if !strings.Contains(p.text, want) {
			t.Errorf("the text %q is not shown as text", want)
		}
	}
}

// TestCaptureBounds checks that a capture of many connections, one of
// them long, makes a page of the size its bounds allow, which says what it
// left out.
func TestCaptureBounds(t *testing.T) {
	var segs []seg
	for i := range 50 {
		segs = append(segs, resetConn(fmt.Sprintf("198.18.0.1:%d", 30000+i), "x", time.Duration(i)*10*time.Millisecond)...)
	}
	long := resetConn(cliAddr, "x", time.Second)
	rst := long[4]
	long = long[:4]
	for i := range 5000 {
		long = append(long, seg{time.Second + time.Duration(5+i)*time.Microsecond, cliAddr, srvAddr, wire.PSH | wire.ACK, 102 + uint32(i), 901, []byte("y"), ""})
	}
	rst.at, rst.ack = 2*time.Second, 102+5000
	segs = append(segs, append(long, rst)...)
	const keep, draw = 40, 10
	conns, st := analyzeCapture(t, bytes.NewReader(pcapng(t, segs)), keep)
	if len(conns) != 51 {
		t.Fatalf("%d connections, want 51", len(conns))
	}
	// The long one and the first nine.
	shown := append([]*analyze.Conn{conns[len(conns)-1]}, conns[:draw-1]...)
	var b bytes.Buffer
	if err := CaptureHTML(&b, shown, CaptureOptions{Capture: "many.pcapng", Chose: "abnormal connections", Conns: 51, Chosen: 51, Stats: st}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(page, "<section class=\"run conn\""); n != draw {
		t.Errorf("%d connections drawn, want %d", n, draw)
	}
	if !strings.Contains(page, "10 drawn, 41 more chosen and not drawn") {
		t.Errorf("the page does not say how many connections it left out")
	}
	first := strings.Split(page, "<section class=\"run conn\"")[1]
	if n := strings.Count(first, "<g class=\"pk "); n != keep {
		t.Errorf("the long connection: %d packets drawn, want %d", n, keep)
	}
	if !strings.Contains(first, "⋯ 4965 packets left out ⋯") || !strings.Contains(first, "40 of its 5005 packets drawn") {
		t.Errorf("the long connection's diagram does not say what it left out")
	}
	if len(page) > 400<<10 {
		t.Errorf("the page is %d bytes", len(page))
	}
	parseStrict(t, b.Bytes())
}

// FuzzCaptureHTML draws whatever a capture holds: the page stays
// well-formed and holds no element from the capture's text.
func FuzzCaptureHTML(f *testing.F) {
	f.Add(pcapng(f, resetConn(cliAddr, "<script>", 0)))
	if b, err := os.ReadFile(labCapture); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		wr, err := wire.NewReader(bytes.NewReader(file))
		if err != nil {
			return
		}
		var conns []*analyze.Conn
		tr := analyze.NewTracker(analyze.Options{KeepPackets: 16}, func(c *analyze.Conn) {
			if len(conns) < 8 {
				conns = append(conns, c.Clone())
			}
		})
		for n := 0; n < 2000; n++ {
			rec, err := wr.Next()
			if err == io.EOF {
				break
			}
			tr.Add(rec)
		}
		tr.Close()
		var b bytes.Buffer
		if err := CaptureHTML(&b, conns, CaptureOptions{Capture: "fuzz", Conns: len(conns), Chosen: len(conns), Stats: wr.Stats()}); err != nil {
			t.Fatal(err)
		}
		p := parseStrict(t, b.Bytes())
		for _, bad := range []string{"script", "img", "iframe"} {
			if p.names[bad] > 0 {
				t.Errorf("the page has %d <%s> elements", p.names[bad], bad)
			}
		}
	})
}

// BenchmarkCaptureHTML writes the largest page analyze --html makes by
// default: 100 connections of 100 packets drawn each. docs/analyze.md shows
// how to run it and what it measured.
func BenchmarkCaptureHTML(b *testing.B) {
	var segs []seg
	for i := range 100 {
		c := resetConn(fmt.Sprintf("198.18.0.1:%d", 30000+i), "x", time.Duration(i)*time.Second)
		rst := c[4]
		c = c[:4]
		for j := range 200 {
			c = append(c, seg{c[3].at + time.Duration(j+1)*time.Microsecond, c[3].src, srvAddr, wire.PSH | wire.ACK, 102 + uint32(j), 901, []byte("y"), ""})
		}
		rst.at, rst.ack = c[len(c)-1].at+time.Millisecond, 302
		segs = append(segs, append(c, rst)...)
	}
	conns, st := analyzeCapture(b, bytes.NewReader(pcapng(b, segs)), 100)
	o := CaptureOptions{Capture: "bench.pcapng", Chose: "abnormal connections", Conns: len(conns), Chosen: len(conns), Stats: st, Explain: base(b)}
	var size countBytes
	if err := CaptureHTML(&size, conns, o); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := CaptureHTML(io.Discard, conns, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(conns)), "conns")
	b.ReportMetric(float64(size)/1e6, "MB/page")
}

// countBytes counts what is written to it.
type countBytes int64

func (c *countBytes) Write(p []byte) (int, error) { *c += countBytes(len(p)); return len(p), nil }

// TestStates checks the states drawn from the packets alone for the ways
// a connection closes.
func TestStates(t *testing.T) {
	ms := time.Millisecond
	hs := []seg{
		{0, cliAddr, srvAddr, wire.SYN, 100, 0, nil, ""},
		{ms, srvAddr, cliAddr, wire.SYN | wire.ACK, 900, 101, nil, ""},
		{2 * ms, cliAddr, srvAddr, wire.ACK, 101, 901, nil, ""},
	}
	open := []string{"originator SYN_SENT", "responder SYN_RECV", "originator ESTABLISHED", "responder ESTABLISHED"}
	for _, tc := range []struct {
		name string
		segs []seg
		want []string
	}{
		{"orderly", append(slices.Clone(hs),
			seg{3 * ms, cliAddr, srvAddr, wire.FIN | wire.ACK, 101, 901, nil, ""},
			seg{4 * ms, srvAddr, cliAddr, wire.ACK, 901, 102, nil, ""},
			seg{5 * ms, srvAddr, cliAddr, wire.FIN | wire.ACK, 901, 102, nil, ""},
			seg{6 * ms, cliAddr, srvAddr, wire.ACK, 102, 902, nil, ""}),
			append(slices.Clone(open), "originator FIN_WAIT1", "responder CLOSE_WAIT", "originator FIN_WAIT2", "responder LAST_ACK", "originator TIME_WAIT", "responder CLOSE")},
		{"simultaneous", append(slices.Clone(hs),
			seg{3 * ms, cliAddr, srvAddr, wire.FIN | wire.ACK, 101, 901, nil, ""},
			seg{3 * ms, srvAddr, cliAddr, wire.FIN | wire.ACK, 901, 101, nil, ""},
			seg{4 * ms, cliAddr, srvAddr, wire.ACK, 102, 902, nil, ""},
			seg{4 * ms, srvAddr, cliAddr, wire.ACK, 902, 102, nil, ""}),
			append(slices.Clone(open), "originator FIN_WAIT1", "responder CLOSE_WAIT", "responder LAST_ACK", "originator CLOSING", "responder CLOSE", "originator TIME_WAIT")},
		{"reset", resetConn(cliAddr, "x", 0), append(slices.Clone(open), "responder CLOSE", "originator CLOSE")},
		{"mid-stream", []seg{
			{0, cliAddr, srvAddr, wire.PSH | wire.ACK, 101, 901, []byte("x"), ""},
			{ms, srvAddr, cliAddr, wire.FIN | wire.ACK, 901, 102, nil, ""},
			{2 * ms, cliAddr, srvAddr, wire.RST, 102, 0, nil, ""}},
			[]string{"originator CLOSE"}},
	} {
		conns, _ := analyzeCapture(t, bytes.NewReader(pcapng(t, tc.segs)), 100)
		if len(conns) != 1 {
			t.Fatalf("%s: %d connections", tc.name, len(conns))
		}
		var got []string
		for _, ev := range ConnDiagram(conns[0], nil).Events {
			if ev.State != nil {
				got = append(got, ev.Lane+" "+ev.State.State)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: states\n  %v\nwant\n  %v", tc.name, got, tc.want)
		}
	}
}
