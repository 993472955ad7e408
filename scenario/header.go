package scenario

import (
	"fmt"
	"strings"
)

func (p *parser) headerStatement(toks []token) {
	kw := toks[0]
	if p.body {
		p.errorf(kw.col, "%q must come before the first step (line %d), expected all header statements first", kw.text, p.bodyLine)
		return
	}
	if line, dup := p.header[kw.text]; dup && kw.text != "source" && kw.text != "note" {
		p.errorf(kw.col, "duplicate %q statement, the first is at line %d", kw.text, line)
		return
	}
	p.header[kw.text] = p.line
	a := &args{p: p, toks: toks[1:], prev: kw, stmt: kw.text}
	switch kw.text {
	case "scenario":
		t, ok := a.word("ID", "a scenario ID such as close-unread/read")
		if !ok {
			return
		}
		if msg := checkID(t.text); msg != "" {
			p.errorf(t.col, "invalid scenario ID %q: %s", t.text, msg)
			return
		}
		p.s.ID = t.text
		p.s.Pos = p.pos(kw.col)
	case "title":
		t, ok := a.text("title", "the title as quoted text")
		if !ok {
			return
		}
		p.s.Title = t
	case "source":
		doc, ok := a.text("document", `the document's name as quoted text, e.g. "000_325bdd3517f7f05a.txt"`)
		if !ok {
			return
		}
		src := Source{Document: doc}
		if a.more() {
			if src.Part, ok = a.text("part", `the part of the document as quoted text, e.g. "example 1"`); !ok {
				return
			}
		}
		p.s.Source = append(p.s.Source, src)
	case "slow":
		t, ok := a.text("reason", "why the scenario cannot be shortened below a second, as quoted text")
		if !ok {
			return
		}
		p.s.Slow = t
	case "note":
		t, ok := a.text("note", "the note as quoted text")
		if !ok {
			return
		}
		p.s.Notes = append(p.s.Notes, t)
	case "on":
		if !a.more() {
			p.errorf(kw.end, "missing transports after on, expected one or more of %s", strings.Join(transportWords, ", "))
			return
		}
		set := map[Transport]bool{}
		for a.more() {
			t, _ := a.next()
			if t.kind != tWord {
				p.errorf(t.col, "unexpected %s after on, expected transports separated by spaces", t.describe())
				return
			}
			ts, ok := expandTransport(t.text)
			if !ok {
				p.errorf(t.col, "unknown transport %q, expected one of %s%s", t.text, strings.Join(transportWords, ", "), didYouMean(t.text, transportWords))
				return
			}
			for _, x := range ts {
				set[x] = true
			}
		}
		for _, t := range Transports {
			if set[t] {
				p.s.On = append(p.s.On, t)
			}
		}
		p.onSet = true
		return
	case "setup":
		t, ok := a.word("setup", "one of "+oneOf(setups))
		if !ok {
			return
		}
		if !contains(setups, t.text) {
			p.errorf(t.col, "unknown setup %q, expected one of %s%s", t.text, oneOf(setups), didYouMean(t.text, setups))
			return
		}
		p.s.Setup = Setup(t.text)
		p.setupAt = p.pos(t.col)
	case "net":
		t, ok := a.word("network", "one of "+oneOf(nets))
		if !ok {
			return
		}
		if !contains(nets, t.text) {
			p.errorf(t.col, "unknown net %q, expected one of %s%s", t.text, oneOf(nets), didYouMean(t.text, nets))
			return
		}
		p.s.Net = Net(t.text)
		p.netAt = p.pos(t.col)
	case "limit":
		d, ok := a.duration("limit")
		if !ok {
			return
		}
		p.s.Limit = d
	}
	a.end()
}

// checkID returns what is wrong with a scenario ID, or "".
func checkID(id string) string {
	if id[0] < 'a' || id[0] > 'z' {
		return "it must start with a lower-case letter"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '/') {
			return fmt.Sprintf("%q is not allowed, expected lower-case letters, digits, '-', '.' and '/'", c)
		}
	}
	for _, part := range strings.Split(id, "/") {
		if part == "" {
			return "empty part between slashes, expected names such as close-unread/read"
		}
		if part == "." || part == ".." {
			return fmt.Sprintf("%q cannot be a part, expected names such as close-unread/read", part)
		}
	}
	return ""
}
