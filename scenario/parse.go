package scenario

import (
	"fmt"
	"strings"
	"time"
)

// DefaultLimit is how long a step may block when the scenario sets no
// limit.
const DefaultLimit = 2 * time.Second

// DefaultBacklog is the backlog of "listen" without an argument.
const DefaultBacklog = 16

// Parse parses and validates one scenario. file names the source in
// positions and messages. When src is not a valid scenario, the error is an
// ErrorList.
func Parse(file string, src []byte) (*Scenario, error) {
	if err := checkLines(file, src); err != nil {
		return nil, err
	}
	p := &parser{
		file:   file,
		header: map[string]int{},
		s: &Scenario{
			File:  file,
			Setup: SetupConnected,
			Net:   NetLoopback,
			Limit: DefaultLimit,
		},
	}
	p.parse(string(src))
	if len(p.errs) > 0 {
		return nil, p.errs.sortAndTrim()
	}
	return p.s, nil
}

// ParseFile reads (with ReadSource) and parses the scenario in the file at
// path.
func ParseFile(path string) (*Scenario, error) {
	src, err := ReadSource(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

type parser struct {
	file string
	s    *Scenario
	errs ErrorList
	line int

	header   map[string]int // header keyword → line of its statement
	sawFirst bool           // the first statement has been seen
	body     bool           // a body statement has been seen
	bodyLine int
	onSet    bool
	// setupAt and netAt are where the header's setup and net are written,
	// for the checks of what they say with "on" (Line 0: not written).
	setupAt, netAt Pos
	refs           []stepRefs // parallel to s.Steps
}

// stepRefs are the places where a step names actors, for the errors of
// the actor check.
type stepRefs struct {
	op, actor, target, as, peer Pos
	// family is the family word of "socket tcp4".
	family Pos
	// kind is the word after "expect".
	kind    Pos
	asGiven bool
}

func (p *parser) pos(col int) Pos { return Pos{File: p.file, Line: p.line, Col: col} }

func (p *parser) errorf(col int, format string, args ...any) {
	p.errorAt(p.pos(col), format, args...)
}

func (p *parser) errorAt(pos Pos, format string, args ...any) {
	p.errs = append(p.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) parse(src string) {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		if len(p.errs) >= maxErrors {
			// Only the first errors are reported; the rest of the file
			// would cost time and memory for nothing.
			break
		}
		p.line = i + 1
		toks, text, col, msg := lexLine(l)
		if msg != "" {
			p.errorf(col, "%s", msg)
			continue
		}
		if len(toks) == 0 {
			continue
		}
		p.statement(toks, text)
	}
	if p.onSet {
		p.checkHeader()
		p.checkPipeReads()
		p.checkAsync()
		p.checkTCPOnly()
		p.checkUnlink()
	}
	p.line = 1
	col := 1
	if !p.sawFirst && len(p.errs) == 0 {
		p.errorf(col, `no statements, expected "scenario ID", "title TEXT", "on TRANSPORTS" and at least one step`)
		return
	}
	if line, ok := p.header["scenario"]; ok {
		p.line = line
	}
	if _, ok := p.header["title"]; !ok {
		p.errorf(col, `missing "title" statement, expected title "TEXT" in the header`)
	}
	if _, ok := p.header["on"]; !ok {
		p.errorf(col, `missing "on" statement, expected the transports to run on in the header, e.g. "on tcp unix"`)
	}
	if len(p.s.Steps) == 0 && len(p.errs) == 0 {
		p.errorf(col, "no steps after the header, expected at least one operation")
	}
	if len(p.errs) == 0 {
		p.checkActors()
	}
}

func (p *parser) statement(toks []token, text string) {
	first := toks[0]
	if !p.sawFirst {
		p.sawFirst = true
		if first.kind != tWord || first.text != "scenario" {
			p.errorf(first.col, `expected "scenario ID" as the first statement, found %s`, first.describe())
		}
	}
	switch {
	case first.kind == tLabel:
		p.guarded(toks, text)
	case first.kind == tWord && contains(headerKeywords, first.text):
		p.headerStatement(toks)
	case first.kind == tWord && first.text == "expect":
		p.expectStatement(toks, text)
	case first.kind == tWord && first.text == "sleep":
		p.sleepStatement(toks, text, nil, first.col)
	case first.kind == tWord && first.text == "fault":
		p.faultStatement(toks, text, nil, first.col)
	case first.kind == tWord && first.text == "sysctl":
		p.sysctlStatement(toks, text, nil, first.col)
	case first.kind == tWord && first.text == "inject":
		p.injectStatement(toks, text, nil, first.col)
	case first.kind == tWord:
		p.opStatement(toks, text, nil, first.col)
	default:
		p.errorf(first.col, "unexpected %s at the start of a statement, expected a keyword such as title or expect, or an actor", first.describe())
	}
}

// guarded handles "GUARD: ACTOR OPERATION ...", "GUARD: sleep D" and
// "GUARD: fault KIND HOST".
func (p *parser) guarded(toks []token, text string) {
	label := toks[0]
	if len(toks) == 1 {
		p.errorf(label.end, "missing statement after guard %s, expected an actor and an operation, sleep or fault", label.describe())
		return
	}
	next := toks[1]
	if next.kind == tWord && next.text == "expect" {
		p.errorf(label.col, `a guard goes after "expect", expected "expect %s: ..."`, label.text)
		return
	}
	if next.kind == tWord && contains(headerKeywords, next.text) {
		p.errorf(label.col, "%q cannot have a guard: header statements apply to every transport", next.text)
		return
	}
	p.enterBody()
	g, ok := p.transportList(label.text, label.col, "guard", p.s.On, `"on"`)
	if !ok {
		return
	}
	if next.kind == tWord && next.text == "sleep" {
		p.sleepStatement(toks[1:], text, g, label.col)
		return
	}
	if next.kind == tWord && next.text == "fault" {
		p.faultStatement(toks[1:], text, g, label.col)
		return
	}
	if next.kind == tWord && next.text == "sysctl" {
		p.sysctlStatement(toks[1:], text, g, label.col)
		return
	}
	if next.kind == tWord && next.text == "inject" {
		p.injectStatement(toks[1:], text, g, label.col)
		return
	}
	p.opStatement(toks[1:], text, g, label.col)
}

// transportList reads "tcp4,unix" or a group, as written at col. Each name
// must share a transport with within (when set), which withinName
// describes. The result is in the order of Transports and inside within.
func (p *parser) transportList(text string, col int, what string, within []Transport, withinName string) (Guard, bool) {
	set := map[Transport]bool{}
	for _, name := range strings.Split(text, ",") {
		if name == "" {
			p.errorf(col, "empty transport name in %s %q, expected names separated by single commas", what, text)
			return nil, false
		}
		ts, ok := expandTransport(name)
		if !ok {
			p.errorf(col, "unknown transport %q in %s, expected one of %s%s", name, what, strings.Join(transportWords, ", "), didYouMean(name, transportWords))
			return nil, false
		}
		if p.onSet && within != nil {
			var in []Transport
			for _, t := range ts {
				if Guard(within).Has(t) {
					in = append(in, t)
				}
			}
			if len(in) == 0 {
				if len(ts) == 1 {
					p.errorf(col, "%s names %s, which is not in %s (%s): it would never apply", what, name, withinName, joinTransports(within))
				} else {
					p.errorf(col, "%s names %s (%s), none of which is in %s (%s): it would never apply", what, name, joinTransports(ts), withinName, joinTransports(within))
				}
				return nil, false
			}
			ts = in
		}
		for _, t := range ts {
			set[t] = true
		}
		col += len(name) + 1
	}
	var g Guard
	for _, t := range Transports {
		if set[t] {
			g = append(g, t)
		}
	}
	return g, true
}

func expandTransport(name string) ([]Transport, bool) {
	if g, ok := Groups[name]; ok {
		return g, true
	}
	for _, t := range Transports {
		if string(t) == name {
			return []Transport{t}, true
		}
	}
	return nil, false
}

func joinTransports(ts []Transport) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// guardFor writes ts as a guard, using group names where a whole group is
// there: "tcp,unix".
func guardFor(ts []Transport) string {
	has := map[Transport]bool{}
	for _, t := range ts {
		has[t] = true
	}
	var out []string
	for _, name := range []string{"tcp", "local"} {
		all := true
		for _, t := range Groups[name] {
			all = all && has[t]
		}
		if all {
			out = append(out, name)
			for _, t := range Groups[name] {
				delete(has, t)
			}
		}
	}
	for _, t := range Transports {
		if has[t] {
			out = append(out, string(t))
		}
	}
	return strings.Join(out, ",")
}

// enterBody notes the first body statement: the header is complete.
func (p *parser) enterBody() {
	if p.body {
		return
	}
	p.body = true
	p.bodyLine = p.line
}

func (p *parser) addStep(st Step, r stepRefs) {
	p.s.Steps = append(p.s.Steps, st)
	p.refs = append(p.refs, r)
}

// runsOn is where a statement with guard g runs.
func (p *parser) runsOn(g Guard) []Transport {
	if len(g) > 0 {
		return g
	}
	return p.s.On
}

// actorName checks that t can name an actor.
func (p *parser) actorName(t token) bool {
	if t.kind != tWord {
		p.errorf(t.col, "expected an actor name, found %s", t.describe())
		return false
	}
	if contains(statementKeywords, t.text) || contains(Operations, t.text) {
		p.errorf(t.col, "%q is a keyword and cannot name an actor, expected a name such as client or peer2", t.text)
		return false
	}
	ok := t.text[0] >= 'a' && t.text[0] <= 'z'
	for i := 1; i < len(t.text) && ok; i++ {
		c := t.text[i]
		ok = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
	}
	if !ok {
		p.errorf(t.col, "invalid actor name %q, expected lower-case letters, digits and '_', starting with a letter", t.text)
	}
	return ok
}
