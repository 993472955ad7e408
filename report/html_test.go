package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/explain"
	"github.com/teardown-net/teardown/lab"
)

// recorded are real runs, written by
//
//	teardown lab run close-unread/read net/peer-rebooted net/peer-vanished \
//	  net/host-unreachable close-vs-shutdown/close peer-closed/write-epipe --on tcp4 --json
//	teardown lab run close-unread/read peer-closed/write-epipe --on unix,pipe --json
//
// on Linux 6.18 and merged into one document.
func recorded(t testing.TB) []*lab.Record {
	t.Helper()
	b, err := os.ReadFile("testdata/runs.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc Document
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Runs
}

func base(t testing.TB) *explain.Base {
	t.Helper()
	b, err := explain.Load()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLadderGolden(t *testing.T) {
	for _, r := range recorded(t) {
		name := "ladder-" + strings.ReplaceAll(r.Scenario, "/", "_") + "." + string(r.Transport) + ".svg"
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Diagram(r, func(errno string) string { return "#errno-" + errno }).WriteSVG(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, name, b.Bytes())
		})
	}
}

func TestHTMLGolden(t *testing.T) {
	var b bytes.Buffer
	recs := append(recorded(t), records()...)
	if err := HTML(&b, recs, HTMLOptions{Kernel: "6.18.44", Limits: []string{"an example limit"}, Explain: base(t)}); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html.golden", b.Bytes())
	elems := parseStrict(t, b.Bytes())
	// Every errno linked is explained in the file, and every anchor
	// linked to exists.
	for href := range elems.hrefs {
		if !elems.ids[strings.TrimPrefix(href, "#")] {
			t.Errorf("link %s has no target in the page", href)
		}
	}
	for _, want := range []string{"errno-ECONNRESET", "errno-ETIMEDOUT", "errno-EPIPE", "errno-EHOSTUNREACH", "run-close-unread-read-tcp4"} {
		if !elems.ids[want] {
			t.Errorf("no element with id %s", want)
		}
	}
	if !strings.Contains(elems.text, "reason TCP_ABORT_ON_CLOSE") || !strings.Contains(elems.text, "reason NO_SOCKET") {
		t.Error("the RSTs' reasons are not drawn")
	}
}

// parsed is what a strict XML parser finds in a page.
type parsed struct {
	names map[string]int
	attrs map[string]bool
	ids   map[string]bool
	hrefs map[string]bool
	text  string
}

// parseStrict parses a page as XML, which the page is written to be: an
// element that escaped the escaping shows up as an element, and text that
// breaks the markup fails the parse.
func parseStrict(t *testing.T, page []byte) parsed {
	t.Helper()
	p := parsed{names: map[string]int{}, attrs: map[string]bool{}, ids: map[string]bool{}, hrefs: map[string]bool{}}
	dec := xml.NewDecoder(bytes.NewReader(page))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the page is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			p.names[tok.Name.Local]++
			for _, a := range tok.Attr {
				p.attrs[a.Name.Local] = true
				switch a.Name.Local {
				case "id":
					p.ids[a.Value] = true
				case "href":
					p.hrefs[a.Value] = true
				}
			}
		case xml.CharData:
			text.Write(tok)
		}
	}
	p.text = text.String()
	return p
}

// hostile is a record whose every text a user or a peer controls tries to
// inject markup.
func hostile() *lab.Record {
	r := records()[0]
	r.Scenario = `x"><script>alert(1)</script>`
	r.Title = `<img src=x onerror=alert(2)> & </svg><script>alert(3)</script>`
	r.Error = `]]><iframe src="javascript:alert(4)">`
	r.Limits = []string{"<b onmouseover=alert(5)>"}
	r.Steps[1].Data = "</text></svg><script>alert(6)</script>\x00\x1b[31m\xff"
	r.Steps[1].Text = `client write "</title><script>alert(7)</script>" -> 5`
	r.Steps[2].Events[0].Reason = `"/><script>alert(8)</script>`
	r.Steps[1].Actor = `cl<i>ent`
	return r
}

func TestHTMLEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, []*lab.Record{hostile()}, HTMLOptions{Kernel: "<k>", Limits: []string{"<s>"}, Explain: base(t)}); err != nil {
		t.Fatal(err)
	}
	p := parseStrict(t, b.Bytes())
	for _, bad := range []string{"script", "img", "iframe", "b", "i"} {
		if p.names[bad] > 0 {
			t.Errorf("the page has %d <%s> elements", p.names[bad], bad)
		}
	}
	for a := range p.attrs {
		if strings.HasPrefix(a, "on") || a == "src" {
			t.Errorf("the page has an attribute %s", a)
		}
	}
	for _, want := range []string{`<script>alert(1)</script>`, `<img src=x onerror=alert(2)> & </svg>`, `]]><iframe src="javascript:alert(4)">`, "reason \"/><script>alert(8)</script>", "cl<i>ent"} {
		if !strings.Contains(p.text, want) {
			t.Errorf("the text %q is not shown as text", want)
		}
	}
}

// FuzzHTML writes a page whose every user- or peer-controlled text is
// fuzzed: the page stays well-formed and holds no element from the text.
func FuzzHTML(f *testing.F) {
	f.Add(`x"><script>`, "<img src=x>", "</svg>", `"/>`, "cl<i>ent", "\x00\xff")
	kb := base(f)
	f.Fuzz(func(t *testing.T, id, title, data, reason, actor, errno string) {
		r := records()[0]
		r.Scenario, r.Title, r.Error = id, title, errno
		r.Steps[1].Data, r.Steps[1].Actor, r.Steps[1].Text = data, actor, data
		r.Steps[2].Events[0].Reason = reason
		r.Steps[4].Result.Kind, r.Steps[4].Result.Errno = "errno", errno
		var b bytes.Buffer
		if err := HTML(&b, []*lab.Record{r}, HTMLOptions{Kernel: title, Limits: []string{data}, Explain: kb}); err != nil {
			t.Fatal(err)
		}
		p := parseStrict(t, b.Bytes())
		for _, bad := range []string{"script", "img", "iframe", "b", "i"} {
			if p.names[bad] > 0 {
				t.Errorf("the page has a <%s> element", bad)
			}
		}
	})
}
