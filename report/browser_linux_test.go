package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// chromiumFlags keep a headless browser to itself: no network of its own,
// no profile but a fresh one.
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"}

func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium: .ci/run installs Debian's chromium for this test")
	}
	t.Skip("no chromium (apt-get install chromium)")
	return ""
}

// chromium runs the browser on page with args and returns what it wrote.
func chromium(t *testing.T, bin, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args = append(append(slices.Clone(chromiumFlags), "--user-data-dir="+t.TempDir()), args...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// browserRuns are catalog runs that show each kind of mark: an RST with
// the kernel's reason, one that never reached the wire, retransmissions and
// segments with no reply, a blocked call, SIGPIPE, an orphan, TIME_WAIT, a
// run with no packets at all.
var browserRuns = []string{"close-unread/read", "net/peer-rebooted", "net/peer-vanished", "net/host-unreachable", "close-vs-shutdown/close", "peer-closed/write-epipe", "shutdown/wr"}

// TestBrowser runs catalog scenarios for real, writes their HTML, and has
// a real browser build it: every packet, call and state change of each
// record is drawn once and in order, each RST with the kernel's reason, no
// text turned into markup, and the screenshot is a picture.
func TestBrowser(t *testing.T) {
	bin := findChromium(t)
	scs, err := catalog.Select(browserRuns)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.New(lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	recs := l.Run(context.Background(), lab.Plan(scs, []scenario.Transport{scenario.TCP4, scenario.Unix}))
	recs = append(recs, hostile())

	dir := t.TempDir()
	page := filepath.Join(dir, "lab.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, recs, HTMLOptions{Kernel: recs[0].Env.Kernel, Explain: base(t)}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	dom := chromium(t, bin, page, "--dump-dom")
	sections := parseDOM(t, dom)
	if len(sections.runs) != len(recs) {
		t.Fatalf("the browser built %d run sections, want %d", len(sections.runs), len(recs))
	}
	for _, bad := range []string{"script", "img", "iframe", "b", "i"} {
		if sections.names[bad] > 0 {
			t.Errorf("the browser built %d <%s> elements from the text", sections.names[bad], bad)
		}
	}
	drawn := 0
	for i, r := range recs {
		t.Run(r.Scenario+"/"+string(r.Transport), func(t *testing.T) {
			if r.Verdict == lab.Skipped {
				t.Skipf("skipped: %s", r.Skip)
			}
			if r.Error != "" && i < len(recs)-1 { // the last is hostile()
				t.Fatalf("lab error: %s", r.Error)
			}
			checkRun(t, r, sections.runs[i])
			drawn++
		})
	}
	if drawn < 3 {
		t.Errorf("only %d runs drawn and checked", drawn)
	}
	// The router's ICMP error of net/host-unreachable is among the packets
	// checked above: the run must have recorded it for that to mean much.
	icmp := false
	for _, r := range recs {
		for _, st := range r.Steps {
			for _, p := range st.Packets {
				icmp = icmp || p.ICMP != "" && p.From == "router"
			}
		}
	}
	if !icmp && os.Geteuid() == 0 {
		t.Error("no run recorded an ICMP error from the router (net/host-unreachable)")
	}

	shot := filepath.Join(dir, "lab.png")
	chromium(t, bin, page, "--window-size=1280,2400", "--screenshot="+shot)
	checkPicture(t, shot)
}

// mark is one <g> of a diagram, as the browser built it.
type mark struct {
	class string
	attr  map[string]string
	text  string
}

type dom struct {
	names map[string]int
	// runs holds the marks of each run's section, in document order.
	runs [][]mark
}

// parseDOM reads what chromium's --dump-dom wrote (HTML, as the browser
// serialises its DOM) and collects the marks of each run's section.
func parseDOM(t *testing.T, b []byte) dom {
	t.Helper()
	d := dom{names: map[string]int{}}
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict, dec.AutoClose, dec.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	var open []*mark // marks being read, innermost last
	depth := 0
	markDepth := []int{}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return d
		}
		if err != nil {
			t.Fatalf("the DOM: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			d.names[tok.Name.Local]++
			attr := map[string]string{}
			for _, a := range tok.Attr {
				attr[a.Name.Local] = a.Value
			}
			cls := strings.Fields(attr["class"])
			switch {
			case tok.Name.Local == "section" && slices.Contains(cls, "run"):
				d.runs = append(d.runs, nil)
			case tok.Name.Local == "g" && len(cls) > 0 && len(d.runs) > 0 && slices.Contains([]string{"pk", "call", "st", "note"}, cls[0]):
				d.runs[len(d.runs)-1] = append(d.runs[len(d.runs)-1], mark{class: attr["class"], attr: attr})
				open = append(open, &d.runs[len(d.runs)-1][len(d.runs[len(d.runs)-1])-1])
				markDepth = append(markDepth, depth)
			}
		case xml.EndElement:
			if len(markDepth) > 0 && markDepth[len(markDepth)-1] == depth {
				open, markDepth = open[:len(open)-1], markDepth[:len(markDepth)-1]
			}
			depth--
		case xml.CharData:
			if len(open) > 0 {
				open[len(open)-1].text += string(tok)
			}
		}
	}
}

func byKind(ms []mark, kind string) []mark {
	var out []mark
	for _, m := range ms {
		if strings.Fields(m.class)[0] == kind {
			out = append(out, m)
		}
	}
	return out
}

// checkRun compares what the browser drew for one run with the record,
// read here on its own, not through Diagram.
func checkRun(t *testing.T, r *lab.Record, ms []mark) {
	// Packets: all of them, by time.
	var pkts []lab.Packet
	var states, resets []lab.Event
	orphans := 0
	var calls []lab.Step
	was := map[string]bool{}
	for _, st := range r.Steps {
		if st.Skip {
			continue
		}
		if st.Kind == "op" {
			calls = append(calls, st)
		}
		pkts = append(pkts, st.Packets...)
		for _, ev := range st.Events {
			switch ev.Name {
			case "inet_sock_set_state":
				states = append(states, ev)
			case "tcp_send_reset":
				resets = append(resets, ev)
			}
		}
		for _, s := range st.Sockets {
			if s.Orphan && !was[s.Actor] {
				orphans++
			}
			was[s.Actor] = s.Orphan
		}
	}
	slices.SortStableFunc(pkts, func(a, b lab.Packet) int { return a.Time.Compare(b.Time) })
	slices.SortStableFunc(states, func(a, b lab.Event) int { return a.Time.Compare(b.Time) })

	var want, got []string
	for _, p := range pkts {
		want = append(want, fmt.Sprintf("%s>%s %s seq %d ack %d len %d icmp %q", p.From, p.To, p.Flags, p.Seq, p.Ack, p.Len, p.ICMP))
	}
	for _, m := range byKind(ms, "pk") {
		a := m.attr
		got = append(got, fmt.Sprintf("%s>%s %s seq %s ack %s len %s icmp %q", a["data-from"], a["data-to"], a["data-flags"], a["data-seq"], a["data-ack"], a["data-len"], a["data-icmp"]))
	}
	same(t, "packets", got, want)

	want, got = nil, nil
	for _, st := range calls {
		res, sig := "no result", false
		if st.Result != nil {
			r := *st.Result
			sig, r.SIGPIPE = r.SIGPIPE, false
			res = r.String()
		}
		want = append(want, fmt.Sprintf("%s %s sigpipe=%t", st.Actor, res, sig))
	}
	for _, m := range byKind(ms, "call") {
		got = append(got, fmt.Sprintf("%s %s sigpipe=%s", m.attr["data-actor"], m.attr["data-result"], m.attr["data-sigpipe"]))
		if !strings.Contains(m.text, "→ "+m.attr["data-result"]) {
			t.Errorf("call %q does not show its result %s", m.text, m.attr["data-result"])
		}
	}
	same(t, "calls", got, want)

	// State changes: each the kernel reported, by time; then, after each
	// step, the socket dump's state of each actor whose state it shows
	// other than the last drawn, or that has become an orphan.
	var wantTraced, wantDumped, gotTraced, gotDumped []string
	for _, ev := range states {
		wantTraced = append(wantTraced, ev.Actor+" "+ev.To)
	}
	shown, orphaned := map[string]string{}, map[string]bool{}
	for _, st := range r.Steps {
		for _, ev := range st.Events {
			if ev.Name == "inet_sock_set_state" {
				shown[ev.Actor] = ev.To
			}
		}
		for _, s := range st.Sockets {
			orphan := s.Orphan && !orphaned[s.Actor]
			orphaned[s.Actor] = s.Orphan
			if orphan || shown[s.Actor] != s.State {
				wantDumped = append(wantDumped, fmt.Sprintf("%s %s orphan=%t", s.Actor, s.State, orphan))
			}
			shown[s.Actor] = s.State
		}
	}
	nOrphan := 0
	for _, m := range byKind(ms, "st") {
		a := m.attr
		if a["data-orphan"] == "true" {
			nOrphan++
		}
		switch a["data-by"] {
		case "trace":
			gotTraced = append(gotTraced, a["data-actor"]+" "+a["data-state"])
		case "dump":
			gotDumped = append(gotDumped, fmt.Sprintf("%s %s orphan=%s", a["data-actor"], a["data-state"], a["data-orphan"]))
		default:
			t.Errorf("state %v: not known from the trace nor from a dump", a)
		}
	}
	same(t, "state changes the kernel reported", gotTraced, wantTraced)
	same(t, "states the socket dumps show", gotDumped, wantDumped)
	if nOrphan != orphans {
		t.Errorf("%d orphans drawn, the socket dumps show %d", nOrphan, orphans)
	}
	// TIME_WAIT, which the trace does not report, is drawn wherever a
	// dump shows it.
	for _, st := range r.Steps {
		for _, s := range st.Sockets {
			if s.State == "TIME_WAIT" && !slices.ContainsFunc(byKind(ms, "st"), func(m mark) bool {
				return m.attr["data-actor"] == s.Actor && m.attr["data-state"] == "TIME_WAIT"
			}) {
				t.Errorf("%s is in TIME_WAIT in the socket dump, and not drawn so", s.Actor)
			}
		}
	}

	// Each RST the kernel sent carries its reason: beside the RST on the
	// wire, or in a note when none reached the wire.
	for _, ev := range resets {
		found := false
		for _, m := range ms {
			if strings.Contains(m.class, "rst") && m.attr["data-from"] == ev.Actor && strings.Contains(m.text, "reason "+ev.Reason) ||
				strings.HasPrefix(m.class, "note") && strings.Contains(m.text, "reason "+ev.Reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("the RST %s sent (reason %s) is not drawn with its reason", ev.Actor, ev.Reason)
		}
	}
}

func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s drawn:\n  %s\nin the record:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// checkPicture decodes the screenshot: a picture of diagrams has many
// colours and a good part of it is not the background.
func checkPicture(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot: %v", err)
	}
	colours := map[[4]uint32]int{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r >> 8, g >> 8, b >> 8, a >> 8}]++
		}
	}
	bg, bgN := [4]uint32{}, 0
	for c, n := range colours {
		if n > bgN {
			bg, bgN = c, n
		}
	}
	total := bounds.Dx() * bounds.Dy()
	ink := float64(total-bgN) / float64(total)
	t.Logf("screenshot %v: %d colours, %.1f%% not the background %v", bounds.Size(), len(colours), 100*ink, bg)
	if len(colours) < 32 || ink < 0.02 {
		t.Errorf("the screenshot looks blank: %d colours, %.2f%% not the background", len(colours), 100*ink)
	}
}
