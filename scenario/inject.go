package scenario

import (
	"fmt"
	"strconv"
	"strings"
)

// InjectFields are the fields an inject may set, each written NAME=VALUE.
var InjectFields = []string{"seq", "ack", "len", "ts"}

// maxInjectLen is the most payload an injected segment carries: one that
// fits an Ethernet frame, so that it is never fragmented.
const maxInjectLen = 1400

// injectStatement reads "inject FROM>TO FLAGS [seq=N] [ack=N] [len=N] [ts=N]".
func (p *parser) injectStatement(toks []token, text string, g Guard, col int) {
	p.enterBody()
	kw := toks[0]
	a := &args{p: p, toks: toks[1:], prev: kw, stmt: "inject"}
	for _, t := range p.runsOn(g) {
		if !t.IsTCP() {
			p.errorf(kw.col, "inject makes a TCP segment, and %s carries none; expected a guard such as \"tcp:\" or \"on tcp\"", t)
			return
		}
	}
	t, ok := a.word("direction", "FROM>TO, the connection's two actors, e.g. client>server")
	if !ok {
		return
	}
	from, to, ok := p.direction(t, "inject", "FROM>TO", "client>server", "the two actors of a connection")
	if !ok {
		return
	}
	in := &Inject{From: from, To: to}
	refs := stepRefs{actor: p.pos(t.col), peer: p.pos(t.col + len(from) + 1)}
	f, ok := a.word("flags", `TCP flags from S, F, R, P and "." (ACK), e.g. R or S`)
	if !ok || !p.tcpFlags(f, injectFlags) {
		return
	}
	in.Flags = f.text
	seen := map[string]bool{}
	for a.more() {
		t, _ := a.next()
		name, value, found := strings.Cut(t.text, "=")
		if t.kind != tWord || !found || !contains(InjectFields, name) {
			p.errorf(t.col, "unexpected %s in inject, expected seq=N, ack=N, len=N or ts=N%s", t.describe(), didYouMean(name, InjectFields))
			return
		}
		if seen[name] {
			p.errorf(t.col, "%s given twice in inject, expected it at most once", name)
			return
		}
		seen[name] = true
		vcol := t.col + len(name) + 1
		switch name {
		case "seq", "ack", "ts":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < -(1<<31) || n > 1<<31 {
				what := "the connection's next sequence number"
				if name == "ts" {
					what = "the sender's last timestamp value"
				}
				p.errorf(vcol, "invalid %s offset %q, expected a whole number from -2147483648 to +2147483648 (added to %s)", name, value, what)
				return
			}
			switch name {
			case "seq":
				in.Seq = n
			case "ts":
				in.Timestamp, in.TS = true, n
			default:
				if !strings.Contains(in.Flags, ".") {
					p.errorf(t.col, "ack=%s without the ACK flag: a segment without \".\" carries no acknowledgment; expected \".\" in the flags, e.g. R.", value)
					return
				}
				in.Ack = n
			}
		case "len":
			if value == "" || strings.Trim(value, "0123456789") != "" {
				p.errorf(vcol, "invalid len %q, expected a whole number from 0 to %d", value, maxInjectLen)
				return
			}
			n, err := strconv.Atoi(value)
			if err != nil || n > maxInjectLen {
				p.errorf(vcol, "len %s is out of range, expected a whole number from 0 to %d", value, maxInjectLen)
				return
			}
			in.Len = n
		}
	}
	p.addStep(Step{Pos: p.pos(col), Text: text, Guard: g, Inject: in}, refs)
}

// The TCP flag letters an inject may set, and those an expect wire may
// look for: URG too ("U"), which urgent data (send oob) sets.
const (
	injectFlags = "SFRP."
	wireFlags   = "SFRPU."
)

// tcpFlags checks a word of TCP flag letters from letters.
func (p *parser) tcpFlags(f token, letters string) bool {
	for i := 0; i < len(f.text); i++ {
		c := f.text[i]
		if !strings.ContainsRune(letters, rune(c)) {
			hint := ""
			if u := strings.ToUpper(f.text); u != f.text && strings.Trim(u, letters) == "" {
				hint = fmt.Sprintf(" (did you mean %q?)", u)
			}
			p.errorf(f.col+i, "unknown TCP flag %q in %q, expected letters from %s and \".\" (ACK)%s", c, f.text, flagList(letters), hint)
			return false
		}
		if strings.IndexByte(f.text[:i], c) >= 0 {
			p.errorf(f.col+i, "TCP flag %q given twice in %q, expected each at most once", c, f.text)
			return false
		}
	}
	return true
}

// direction reads A>B, two different actors, from t: the sender and the
// receiver of a segment that stmt ("wire", "inject") is about. form and
// example are what the error messages show; needs says what the two must be.
func (p *parser) direction(t token, stmt, form, example, needs string) (from, to string, ok bool) {
	from, to, found := strings.Cut(t.text, ">")
	if !found || from == "" || to == "" {
		p.errorf(t.col, "expected %s such as %s, found %q", form, example, t.text)
		return "", "", false
	}
	if !p.actorName(token{kind: tWord, text: from, col: t.col}) ||
		!p.actorName(token{kind: tWord, text: to, col: t.col + len(from) + 1}) {
		return "", "", false
	}
	if from == to {
		p.errorf(t.col, "%s %s needs %s, expected %s", stmt, t.text, needs, form)
		return "", "", false
	}
	return from, to, true
}

// flagList names the letters of a flag set but ".", as messages list them:
// "S, F, R and P".
func flagList(letters string) string {
	l := strings.Split(strings.TrimSuffix(letters, "."), "")
	return strings.Join(l[:len(l)-1], ", ") + ", " + l[len(l)-1]
}
