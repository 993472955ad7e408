package ladder

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

const ms = time.Millisecond

func pk(at time.Duration, from, to, flags string, seq, ack uint32, n int) Event {
	return Event{At: at, Lane: from, Packet: &Packet{To: to, Flags: flags, Seq: seq, Ack: ack, Len: n}}
}

// everything has one of each thing a diagram draws: a router, an ICMP
// error, a retransmission, a packet with no reply, an RST with its reason,
// a call that blocks across a break, one that differs from its
// expectation, SIGPIPE, TIME_WAIT, an orphan, and notes of each kind.
func everything() *Diagram {
	evs := []Event{
		{At: 0, Note: &Note{Kind: NoteStep, Text: "setup connected"}},
		pk(10*time.Microsecond, "client", "server", "S", 0, 0, 0),
		pk(20*time.Microsecond, "server", "client", "S.", 0, 1, 0),
		{At: 25 * time.Microsecond, Lane: "client", State: &State{State: "ESTABLISHED", From: "SYN_SENT"}},
		pk(30*time.Microsecond, "client", "server", ".", 1, 1, 0),
		{At: 1 * ms, Lane: "client", Call: &Call{Op: `write "hello"`, Result: "5", Took: 20 * time.Microsecond}},
		pk(1*ms+5*time.Microsecond, "client", "server", "P.", 1, 1, 5),
		{At: 2 * ms, Note: &Note{Kind: NoteFault, Text: "fault unreachable server"}},
		{At: 3 * ms, Lane: "client", Call: &Call{Op: "read 16", Result: "EHOSTUNREACH", Errno: "EHOSTUNREACH", Took: 400 * ms}},
		pk(3*ms+10*time.Microsecond, "client", "server", "P.", 6, 1, 3),
		pk(203*ms, "client", "server", "P.", 6, 1, 3),
		{At: 203*ms + 50*time.Microsecond, Lane: "router", Packet: &Packet{To: "client", ICMP: "host unreachable"}},
		{At: 203*ms + 60*time.Microsecond, Lane: "client", Note: &Note{Kind: NoteKernel, Text: "client is told", Errno: "EHOSTUNREACH"}},
		{At: 403 * ms, Note: &Note{Kind: NoteDiffers, Text: "≠ expect state client CLOSE — observed ESTABLISHED"}},
		{At: 404 * ms, Lane: "server", Call: &Call{Op: "close", Result: "ok"}},
		{At: 404*ms + 10*time.Microsecond, Lane: "server", State: &State{State: "FIN_WAIT2", Orphan: true}},
		pk(404*ms+20*time.Microsecond, "server", "client", "R.", 4, 9, 0),
		{At: 404*ms + 30*time.Microsecond, Lane: "server", State: &State{State: "TIME_WAIT", From: "FIN_WAIT2"}},
		{At: 405 * ms, Lane: "client", Call: &Call{Op: `write "x"`, Result: "EPIPE", Errno: "EPIPE", SIGPIPE: true, Expected: "ECONNRESET"}},
		{At: 406 * ms, Note: &Note{Kind: NoteCheck, Text: "✓ expect wire server>client R"}},
		pk(407*ms, "client", "server", "F.", 9, 5, 0),
	}
	evs[16].Packet.Reason = "TCP_ABORT_ON_CLOSE"
	MarkTCP(evs)
	return &Diagram{
		Title:  "everything on tcp4",
		Lanes:  []Lane{{Name: "client", Note: "198.18.0.1"}, {Name: "router"}, {Name: "server", Note: "198.18.1.1"}},
		Events: evs,
		Link:   func(errno string) string { return "#errno-" + errno },
	}
}

func TestGolden(t *testing.T) {
	var b bytes.Buffer
	if err := everything().WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "everything.svg", b.Bytes())
	got := elements(t, b.Bytes())
	if got["g.pk"] != 9 || got["g.call"] != 4 || got["g.st"] != 3 || got["g.note"] != 5 || got["g.break"] != 2 {
		t.Errorf("drawn: %v", got)
	}
	for _, c := range []string{"g.pk.icmp", "g.pk.retrans", "g.pk.lost", "g.pk.rst", "g.call.sigpipe", "g.call.differs", "g.st.tw", "g.st.orphan", "rect.active", "text.reason", "a"} {
		if got[c] == 0 {
			t.Errorf("nothing drawn as %s", c)
		}
	}
}

// elements counts what a strict XML parser finds in an SVG, by element
// name and by element name with each of its classes; it fails on
// anything not well-formed.
func elements(t testing.TB, svg []byte) map[string]int {
	t.Helper()
	n := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		if s, ok := tok.(xml.StartElement); ok {
			n[s.Name.Local]++
			for _, a := range s.Attr {
				if a.Name.Local == "class" {
					f := strings.Fields(a.Value)
					for i, c := range f {
						n[s.Name.Local+"."+c]++
						if i > 0 {
							n[s.Name.Local+"."+f[0]+"."+c]++
						}
					}
				}
			}
		}
	}
}

func TestMarkTCP(t *testing.T) {
	hs := []Event{pk(0, "c", "s", "S", 0, 0, 0), pk(1, "s", "c", "S.", 0, 1, 0), pk(2, "c", "s", ".", 1, 1, 0)}
	join := func(parts ...[]Event) []Event {
		var all []Event
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	tests := []struct {
		name          string
		evs           []Event
		retrans, lost []int
	}{
		{"handshake and acknowledged data", join(hs, []Event{pk(3, "c", "s", "P.", 1, 1, 5), pk(4, "s", "c", ".", 1, 6, 0)}), nil, nil},
		{"data sent again, never answered", join(hs, []Event{pk(3, "c", "s", "P.", 1, 1, 5), pk(4, "c", "s", "P.", 1, 1, 5)}), []int{4}, []int{3, 4}},
		{"partly new data is a retransmission", join(hs, []Event{pk(3, "c", "s", "P.", 1, 1, 5), pk(4, "c", "s", "P.", 3, 1, 5), pk(5, "s", "c", ".", 1, 8, 0)}), []int{4}, nil},
		{"data answered by an RST arrived", join(hs, []Event{pk(3, "c", "s", "P.", 1, 1, 5), pk(4, "s", "c", "R", 1, 0, 0)}), nil, nil},
		{"SYN sent again with no answer", []Event{pk(0, "c", "l", "S", 0, 0, 0), pk(1, "c", "l", "S", 0, 0, 0)}, []int{1}, []int{0, 1}},
		{"a new connection after an RST", join(hs, []Event{pk(3, "s", "c", "R.", 1, 1, 0)}, hs), nil, nil},
		{"a FIN takes sequence space", join(hs, []Event{pk(3, "c", "s", "F.", 1, 1, 0), pk(4, "c", "s", "F.", 1, 1, 0), pk(5, "s", "c", ".", 1, 2, 0)}), []int{4}, nil},
		{"ICMP is no segment", []Event{pk(0, "c", "s", "S", 0, 0, 0), {At: 1, Lane: "r", Packet: &Packet{To: "c", ICMP: "host unreachable"}}}, nil, []int{0}},
		{"sequence numbers wrap", []Event{pk(0, "c", "s", "P.", 0xfffffffe, 1, 4), pk(1, "c", "s", "P.", 2, 1, 4), pk(2, "c", "s", "P.", 0xffffffff, 1, 1), pk(3, "s", "c", ".", 1, 6, 0)}, []int{2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Fresh packets: the cases share the handshake's.
			evs := make([]Event, len(tt.evs))
			for i, e := range tt.evs {
				p := *e.Packet
				e.Packet = &p
				evs[i] = e
			}
			MarkTCP(evs)
			var retrans, lost []int
			for i, e := range evs {
				if e.Packet.Retransmission {
					retrans = append(retrans, i)
				}
				if e.Packet.Lost != "" {
					lost = append(lost, i)
				}
			}
			if !equal(retrans, tt.retrans) || !equal(lost, tt.lost) {
				t.Errorf("retransmissions %v, no reply %v; want %v, %v", retrans, lost, tt.retrans, tt.lost)
			}
		})
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{800, "800 ns"}, {1500, "1.50 µs"}, {57300 * time.Microsecond, "57.3 ms"}, {199 * ms, "199 ms"},
		{1500 * ms, "1.50 s"}, {125 * time.Second, "125 s"},
	} {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%d) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestBreaks(t *testing.T) {
	d := &Diagram{Events: []Event{
		{At: 0, Lane: "a", Call: &Call{Op: "read 1", Result: "ETIMEDOUT", Took: 300 * ms}},
		pk(1*ms, "a", "b", "P.", 1, 1, 1),
		pk(BreakAfter+ms-1, "a", "b", "P.", 1, 1, 1), // just short of a break
		pk(2*BreakAfter+ms+ms, "a", "b", "P.", 1, 1, 1),
	}}
	l := newLayout(d)
	var kinds []rowKind
	for _, r := range l.rows {
		kinds = append(kinds, r.kind)
	}
	want := []rowKind{rowEvent, rowEvent, rowEvent, rowBreak, rowEvent, rowBreak, rowReturn}
	if len(kinds) != len(want) {
		t.Fatalf("rows %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("rows %v, want %v", kinds, want)
		}
	}
	if got := l.breakText(&l.rows[3]); got != "⋯ 21.0 ms ⋯  a's read 1 blocked" {
		t.Errorf("break text %q", got)
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		`<a href="x">&'`:        "&lt;a href=&#34;x&#34;&gt;&amp;&#39;",
		"a\x00b\x1b\x7f":        "a\u2400b\u241b\u2421",
		"bad \xff utf-8":        "bad \ufffd utf-8",
		"\u0085 c1":             "\ufffd c1",
		"two\nlines\tand a tab": "two\nlines\tand a tab",
		"µs ⋯ ✓":                "µs ⋯ ✓",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzWriteSVG writes diagrams with any text in every field: the SVG is
// always well-formed, holds only the elements the package draws, and
// draws every event.
func FuzzWriteSVG(f *testing.F) {
	f.Add("client", "server", "read 16", "ECONNRESET", "R.", "TCP_ABORT_ON_CLOSE", "</svg><script>x</script>", int64(5e6))
	f.Add("", "", "", "", "", "", "\x00\xff", int64(-1))
	f.Fuzz(func(t *testing.T, a, b, op, res, flags, reason, note string, gap int64) {
		d := &Diagram{Title: note, Lanes: []Lane{{Name: a, Note: note}}, Link: func(e string) string { return "#" + e }, Events: []Event{
			{At: 0, Lane: a, Call: &Call{Op: op, Result: res, Errno: res, Expected: note, Took: time.Duration(gap)}},
			{At: time.Duration(gap), Lane: a, Packet: &Packet{To: b, Flags: flags, Reason: reason, ICMP: note}},
			{At: time.Duration(gap) * 2, Lane: b, State: &State{State: res, From: note, Orphan: gap%2 == 0}},
			{At: time.Duration(gap) * 3, Lane: b, Note: &Note{Kind: NoteKind(note), Text: note, Errno: res}},
		}}
		MarkTCP(d.Events)
		var buf bytes.Buffer
		if err := d.WriteSVG(&buf); err != nil {
			t.Fatal(err)
		}
		n := elements(t, buf.Bytes())
		allowed := map[string]bool{"svg": true, "title": true, "g": true, "rect": true, "text": true, "tspan": true, "line": true, "path": true, "a": true}
		for k := range n {
			if !strings.Contains(k, ".") && !allowed[k] {
				t.Errorf("element <%s> drawn", k)
			}
		}
		if n["g.pk"] != 1 || n["g.call"] != 1 || n["g.st"] != 1 || n["g.note"] != 1 {
			t.Errorf("drawn: %v", n)
		}
	})
}
