package scenario

import (
	"fmt"
	"strings"
)

func (p *parser) expectStatement(toks []token, text string) {
	p.enterBody()
	kw := toks[0]
	a := &args{p: p, toks: toks[1:], prev: kw, stmt: "expect"}
	var g Guard
	if a.more() && a.toks[0].kind == tLabel {
		t, _ := a.next()
		var ok bool
		if g, ok = p.transportList(t.text, t.col, "guard", p.s.On, `"on"`); !ok {
			return
		}
	}
	e := &Expect{}
	var noTok token
	if a.more() && a.toks[a.i].kind == tWord && a.toks[a.i].text == "no" {
		noTok, _ = a.next()
		e.Not = true
	}
	k, ok := a.word("what to check", "one of "+oneOf(expectKinds))
	if !ok {
		return
	}
	if !contains(expectKinds, k.text) {
		p.errorf(k.col, "unknown expectation %q, expected one of %s%s", k.text, oneOf(expectKinds), didYouMean(k.text, expectKinds))
		return
	}
	e.Kind = ExpectKind(k.text)
	if e.Not && e.Kind != ExpectWire {
		p.errorf(noTok.col, "\"no\" applies only to wire, expected \"expect %s\" without it", e.Kind)
		return
	}
	var refs stepRefs
	actor := func() bool {
		t, ok := a.word("actor", "an actor such as client")
		if !ok || !p.actorName(t) {
			return false
		}
		e.Actor = t.text
		refs.actor = p.pos(t.col)
		return true
	}
	switch e.Kind {
	case ExpectWire:
		t, ok := a.word("direction", "SENDER>RECEIVER, e.g. server>client")
		if !ok {
			return
		}
		from, to, ok := p.direction(t, "wire", "SENDER>RECEIVER", "server>client", "two different actors")
		if !ok {
			return
		}
		e.Actor, e.Peer = from, to
		refs.actor, refs.peer = p.pos(t.col), p.pos(t.col+len(from)+1)
		f, ok := a.word("flags", `TCP flags from S, F, R, P, U and "." (ACK), e.g. R or F.`)
		if !ok {
			return
		}
		if !p.tcpFlags(f, wireFlags) {
			return
		}
		e.Flags = f.text
	case ExpectReason:
		if !actor() {
			return
		}
		t, ok := a.word("reason", "a reset reason such as TCP_ABORT_ON_CLOSE")
		if !ok {
			return
		}
		if !isUpperName(t.text) {
			p.errorf(t.col, "invalid reason %q, expected an upper-case name such as TCP_ABORT_ON_CLOSE%s", t.text, upperHint(t.text))
			return
		}
		e.Name = t.text
	case ExpectState:
		if !actor() {
			return
		}
		t, ok := a.word("state", "a TCP state such as FIN_WAIT2")
		if !ok {
			return
		}
		if !contains(States, t.text) {
			p.errorf(t.col, "unknown TCP state %q, expected one of %s%s", t.text, strings.Join(States, ", "), didYouMean(t.text, States))
			return
		}
		e.Name = t.text
	case ExpectTook:
		t, ok := a.word("comparison", "one of "+oneOf(TookComparisons))
		if !ok {
			return
		}
		if !contains(TookComparisons, t.text) {
			p.errorf(t.col, "unknown comparison %q after took, expected one of %s, e.g. \"expect took >= 1s\"", t.text, oneOf(TookComparisons))
			return
		}
		d, ok := a.duration("took")
		if !ok {
			return
		}
		e.Cmp, e.D = t.text, d
	case ExpectRecvQ, ExpectSendQ, ExpectUnread:
		if !actor() {
			return
		}
		n, ok := a.integer("byte count", 0, maxInt)
		if !ok {
			return
		}
		e.N = n
	}
	if !a.end() {
		return
	}
	refs.kind = p.pos(k.col)
	p.addStep(Step{Pos: p.pos(kw.col), Text: text, Guard: g, Expect: e}, refs)
}

func isUpperName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func upperHint(s string) string {
	if u := strings.ToUpper(s); u != s && isUpperName(u) {
		return fmt.Sprintf(" (did you mean %q?)", u)
	}
	return ""
}
