package report

import (
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/analyze"
	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/observe/wire"
	"github.com/teardown-net/teardown/scenario"
)

// captureRuns are catalog runs whose captures show an RST, retransmissions
// with ICMP errors from a router, and retransmissions that nobody answers.
var captureRuns = []string{"close-unread/read", "net/host-unreachable-established", "net/peer-vanished", "peer-closed/write-epipe"}

// TestCaptureBrowser runs catalog scenarios for real with a capture,
// analyzes the captures, writes their page and has a real browser build
// it: every packet of each connection, as the capture file holds it, is
// drawn once and in order, with the connection's verdict above it, no text
// turned into markup, and the screenshot is a picture.
func TestCaptureBrowser(t *testing.T) {
	bin := findChromium(t)
	scs, err := catalog.Select(captureRuns)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l, err := lab.New(lab.Options{PcapDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	recs := l.Run(context.Background(), lab.Plan(scs, []scenario.Transport{scenario.TCP4}))
	l.Close()
	type drawn struct {
		c    *analyze.Conn
		file string
	}
	var conns []drawn
	for _, r := range recs {
		if r.Error != "" || r.Pcap == "" {
			t.Fatalf("%s: lab error %q, pcap %q", r.Scenario, r.Error, r.Pcap)
		}
		f, err := os.Open(r.Pcap)
		if err != nil {
			t.Fatal(err)
		}
		cs, _ := analyzeCapture(t, f, 1000)
		f.Close()
		for _, c := range cs {
			conns = append(conns, drawn{c, r.Pcap})
		}
	}
	if len(conns) < len(captureRuns) {
		t.Fatalf("%d connections in %d captures", len(conns), len(captureRuns))
	}
	list := make([]*analyze.Conn, len(conns))
	for i, d := range conns {
		list[i] = d.c
	}
	page := filepath.Join(dir, "capture.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := CaptureHTML(f, list, CaptureOptions{Capture: "lab", Chose: "all connections", Conns: len(list), Chosen: len(list), Explain: base(t)}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	out := chromium(t, bin, page, "--dump-dom")
	d := parseDOM(t, out)
	if len(d.runs) != len(conns) {
		t.Fatalf("the browser built %d connection sections, want %d", len(d.runs), len(conns))
	}
	for _, bad := range []string{"script", "img", "iframe"} {
		if d.names[bad] > 0 {
			t.Errorf("the browser built %d <%s> elements from the text", d.names[bad], bad)
		}
	}
	sections := strings.Split(string(out), `<section class="run conn"`)[1:]
	icmp := 0
	for i, dc := range conns {
		c := dc.c
		t.Run(fmt.Sprintf("%v-%v", c.Orig(), c.Resp()), func(t *testing.T) {
			want := filePackets(t, dc.file, c)
			if len(want) < 3 {
				t.Fatalf("the capture holds %d packets of the connection", len(want))
			}
			for _, w := range want {
				if strings.Contains(w, " ICMP ") {
					icmp++
				}
			}
			same(t, "packets", drawnPackets(d.runs[i]), want)
			text := html.UnescapeString(sections[i])
			if !strings.Contains(text, c.Verdict().Cause.Text) {
				t.Errorf("the verdict %q is not shown above the diagram", c.Verdict().Cause.Text)
			}
			if before, _, ok := strings.Cut(text, "<svg"); !ok || !strings.Contains(before, c.Verdict().Cause.Text) {
				t.Errorf("the verdict is not above the diagram")
			}
			for _, m := range byKind(d.runs[i], "st") {
				if m.attr["data-by"] != "packets" {
					t.Errorf("state %v: not known from the packets", m.attr)
				}
			}
		})
	}
	if icmp == 0 {
		t.Errorf("no ICMP error in the captures: net/host-unreachable-established makes some")
	}
	shot := filepath.Join(dir, "capture.png")
	chromium(t, bin, page, "--window-size=1280,2400", "--screenshot="+shot)
	checkPicture(t, shot)
}

// drawnPackets are the packets of one section as the browser built them.
func drawnPackets(ms []mark) []string {
	var out []string
	for _, m := range byKind(ms, "pk") {
		a := m.attr
		if a["data-icmp"] != "" {
			out = append(out, fmt.Sprintf("%s>%s ICMP %s seq %s", a["data-from"], a["data-to"], a["data-icmp"], a["data-seq"]))
			continue
		}
		out = append(out, fmt.Sprintf("%s>%s %s seq %s ack %s len %s", a["data-from"], a["data-to"], a["data-flags"], a["data-seq"], a["data-ack"], a["data-len"]))
	}
	return out
}

// filePackets reads the capture file on its own and lists the packets of
// c, in file order, as the diagram names them: seq and ack relative to
// each side's first sequence number.
func filePackets(t *testing.T, path string, c *analyze.Conn) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := wire.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	first := map[string]uint32{}
	var out []string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		switch rec.Kind {
		case wire.KindTCP:
			p := rec.TCP
			from, to := "originator", "responder"
			switch {
			case p.Src == c.Orig() && p.Dst == c.Resp():
			case p.Src == c.Resp() && p.Dst == c.Orig():
				from, to = to, from
			default:
				continue
			}
			if _, ok := first[from]; !ok {
				first[from] = p.Seq
			}
			ack := uint32(0)
			if p.Flags&wire.ACK != 0 {
				ack = p.Ack - first[to]
			}
			out = append(out, fmt.Sprintf("%s>%s %s seq %d ack %d len %d", from, to, p.Flags, p.Seq-first[from], ack, p.Len))
		case wire.KindICMP:
			ic := rec.ICMP
			if ic.Src != c.Orig() || ic.Dst != c.Resp() {
				continue // the lab's errors are about the originator's segments
			}
			out = append(out, fmt.Sprintf("%s>originator ICMP %s seq %d", ic.From, ic.Name(), ic.Seq-first["originator"]))
		}
	}
}
