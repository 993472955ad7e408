package scenario

import (
	"fmt"
	"os"
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

// ParseFile reads and parses the scenario in the file at path.
func ParseFile(path string) (*Scenario, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(path, src)
}

type parser struct {
	file string
	s    *Scenario
	errs ErrorList
	line int

	header    map[string]int // header keyword → line of its statement
	sawFirst  bool           // the first statement has been seen
	body      bool           // a body statement has been seen
	bodyLine  int
	onSet     bool
	setupCol  int
	setupLine int
	netCol    int
	netLine   int
	refs      []stepRefs // parallel to s.Steps
}

// stepRefs are the places where a step names actors, for the errors of
// the actor check.
type stepRefs struct {
	op, actor, target, as, peer Pos
	asGiven                     bool
}

func (p *parser) pos(col int) Pos { return Pos{File: p.file, Line: p.line, Col: col} }

func (p *parser) errorf(col int, format string, args ...any) {
	p.errs = append(p.errs, &Error{Pos: p.pos(col), Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) parse(src string) {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
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
	p.line = len(lines)
	if !p.body {
		p.endHeader()
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
	p.endHeader()
	p.body = true
	p.bodyLine = p.line
}

// endHeader checks what the header statements say together.
func (p *parser) endHeader() {
	if !p.onSet {
		return
	}
	line := p.line
	defer func() { p.line = line }()
	if p.setupLine != 0 {
		var bad []Transport
		for _, t := range p.s.On {
			if (t == Socketpair || t == Pipe) && p.s.Setup != SetupConnected {
				bad = append(bad, t)
			}
		}
		if len(bad) > 0 {
			p.line = p.setupLine
			p.errorf(p.setupCol, "setup %s cannot apply to %s, whose two endpoints exist from the start; expected setup connected, or %q without them",
				p.s.Setup, joinTransports(bad), "on "+guardWithout(p.s.On, bad))
		}
	}
	if p.netLine != 0 && p.s.Net != NetLoopback {
		// The hosts are network namespaces joined by links: only IP
		// endpoints can live on one and reach another.
		var bad []Transport
		for _, t := range p.s.On {
			if !t.IsTCP() {
				bad = append(bad, t)
			}
		}
		if len(bad) > 0 {
			p.line = p.netLine
			p.errorf(p.netCol, "net %s carries only tcp4 and tcp6, not %s; expected \"on tcp\" (or tcp4 or tcp6 alone), or no \"net\" for loopback",
				p.s.Net, joinTransports(bad))
		}
	}
}

func guardWithout(on, bad []Transport) string {
	var keep []Transport
	for _, t := range on {
		if !Guard(bad).Has(t) {
			keep = append(keep, t)
		}
	}
	return strings.ReplaceAll(guardFor(keep), ",", " ")
}

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
		p.setupCol, p.setupLine = t.col, p.line
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
		p.netCol, p.netLine = t.col, p.line
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

func (p *parser) sleepStatement(toks []token, text string, g Guard, col int) {
	p.enterBody()
	a := &args{p: p, toks: toks[1:], prev: toks[0], stmt: "sleep"}
	d, ok := a.duration("sleep")
	if !ok || !a.end() {
		return
	}
	p.addStep(Step{Pos: p.pos(col), Text: text, Guard: g, Sleep: d}, stepRefs{})
}

// needHosts is the advice for a statement that names a host in a
// scenario on loopback.
const needHosts = `add "net direct" or "net routed" to the header`

func (p *parser) faultStatement(toks []token, text string, g Guard, col int) {
	p.enterBody()
	kw := toks[0]
	a := &args{p: p, toks: toks[1:], prev: kw, stmt: "fault"}
	if p.s.Net == NetLoopback {
		p.errorf(kw.col, "faults need hosts: %s (this scenario runs on loopback, a single host)", needHosts)
		return
	}
	k, ok := a.word("fault", "one of "+oneOf(FaultKinds))
	if !ok {
		return
	}
	if !contains(FaultKinds, k.text) {
		p.errorf(k.col, "unknown fault %q, expected one of %s%s", k.text, oneOf(FaultKinds), didYouMean(k.text, FaultKinds))
		return
	}
	kind := FaultKind(k.text)
	if kind == FaultUnreachable && p.s.Net != NetRouted {
		p.errorf(k.col, "fault unreachable needs a router to answer for the host, and net %s has none; expected \"net routed\" in the header", p.s.Net)
		return
	}
	expected := []string{"client", "server"}
	if kind == FaultNoRoute || kind == FaultHeal {
		expected = p.s.Net.Hosts()
	}
	h, ok := p.host(a, expected)
	if !ok {
		return
	}
	if h.text == "router" {
		why := ""
		switch kind {
		case FaultDrop:
			why = "its links carry both hosts' traffic"
		case FaultReboot:
			why = "it has no sockets to forget"
		case FaultUnreachable:
			why = "it is the router that answers for the unreachable host"
		}
		if why != "" {
			p.errorf(h.col, "fault %s cannot apply to the router: %s; expected client or server", kind, why)
			return
		}
	}
	if !a.end() {
		return
	}
	p.addStep(Step{Pos: p.pos(col), Text: text, Guard: g, Fault: &Fault{Kind: kind, Host: h.text}}, stepRefs{})
}

// host reads one of the net's hosts; expected lists those the statement
// can use, which the caller checks.
func (p *parser) host(a *args, expected []string) (token, bool) {
	hosts := p.s.Net.Hosts()
	t, ok := a.word("host", oneOf(expected))
	if !ok {
		return t, false
	}
	switch {
	case t.text == "router" && p.s.Net == NetDirect:
		p.errorf(t.col, "net direct has no router, expected %s (net routed adds one)", oneOf(expected))
		return t, false
	case !contains(hosts, t.text):
		p.errorf(t.col, "unknown host %q, expected %s%s", t.text, oneOf(expected), didYouMean(t.text, hosts))
		return t, false
	}
	return t, true
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

func (p *parser) opStatement(toks []token, text string, g Guard, col int) {
	p.enterBody()
	actor := toks[0]
	if len(toks) < 2 || toks[1].kind != tWord || !contains(Operations, toks[1].text) {
		switch {
		case actor.kind == tWord && contains(Operations, actor.text):
			p.errorf(actor.col, "missing actor before %q, expected ACTOR %s, e.g. \"client %s\"", actor.text, actor.text, actor.text)
		case actor.kind == tWord && Suggest(actor.text, statementKeywords) != "" &&
			(len(toks) < 2 || Suggest(toks[1].text, Operations) == ""):
			p.errorf(actor.col, "unknown statement %q, expected a keyword (%s) or an actor and an operation%s",
				actor.text, strings.Join(statementKeywords, ", "), didYouMean(actor.text, statementKeywords))
		case actor.kind != tWord:
			p.errorf(actor.col, "expected an actor, found %s", actor.describe())
		case len(toks) < 2:
			p.errorf(actor.end, "missing operation after %q, expected one of %s", actor.text, oneOf(Operations))
		case toks[1].kind == tWord:
			p.errorf(toks[1].col, "unknown operation %q, expected one of %s%s", toks[1].text, oneOf(Operations), didYouMean(toks[1].text, Operations))
		default:
			p.errorf(toks[1].col, "expected an operation after %q, found %s; expected one of %s", actor.text, toks[1].describe(), oneOf(Operations))
		}
		return
	}
	if !p.actorName(actor) {
		return
	}
	opTok := toks[1]
	rest := toks[2:]
	var arrow *token
	var results []token
	for i, t := range rest {
		if t.kind == tArrow {
			arrow = &rest[i]
			results = rest[i+1:]
			rest = rest[:i]
			break
		}
	}
	op := &Op{Actor: actor.text, Kind: OpKind(opTok.text)}
	refs := stepRefs{op: p.pos(opTok.col), actor: p.pos(actor.col)}
	a := &args{p: p, toks: rest, prev: opTok, stmt: opTok.text}
	if !p.opArgs(op, a, &refs) || !a.end() || !p.fitsPipe(op, opTok, g) {
		return
	}
	if arrow != nil {
		var ok bool
		if op.Expect, ok = p.expectation(op, *arrow, results, p.runsOn(g)); !ok {
			return
		}
	}
	p.addStep(Step{Pos: p.pos(col), Text: text, Guard: g, Op: op}, refs)
}

// fitsPipe rejects read options that need a socket on a statement that
// runs on pipe, where they could not be carried out as written.
func (p *parser) fitsPipe(op *Op, opTok token, g Guard) bool {
	if op.Kind != OpRead || !Guard(p.runsOn(g)).Has(Pipe) || !p.onSet {
		return true
	}
	var why string
	switch {
	case op.Nonblock:
		why = "read nonblock needs recv(2) with MSG_DONTWAIT"
	case op.Timeout > 0:
		why = "read timeout needs the socket option SO_RCVTIMEO"
	default:
		return true
	}
	var others []Transport
	for _, t := range p.runsOn(g) {
		if t != Pipe {
			others = append(others, t)
		}
	}
	hint := "\"on\" without pipe"
	if len(others) > 0 {
		hint = fmt.Sprintf("a guard without pipe such as %q", guardFor(others)+":")
	}
	p.errorf(opTok.col, "%s, which a pipe does not have; expected %s (on a pipe, \"nonblock on\" before a plain read does not block)", why, hint)
	return false
}

// opArgs reads the arguments of op.
func (p *parser) opArgs(op *Op, a *args, refs *stepRefs) bool {
	switch op.Kind {
	case OpSocket:
		if !a.more() {
			break
		}
		t, _ := a.next()
		if t.kind != tWord || t.text != "at" {
			p.errorf(t.col, "unexpected %s after socket, expected \"at HOST\" or the end of the statement%s", t.describe(), didYouMean(t.text, []string{"at"}))
			return false
		}
		if p.s.Net == NetLoopback {
			p.errorf(t.col, "\"at HOST\" places a socket on a host, and this scenario runs on loopback, a single host; %s, or leave out \"at\"", needHosts)
			return false
		}
		h, ok := p.host(a, []string{"client", "server"})
		if !ok {
			return false
		}
		if h.text == "router" {
			p.errorf(h.col, "a socket cannot be placed on the router, which only forwards; expected client or server")
			return false
		}
		op.Host = h.text
	case OpListen:
		op.Backlog = DefaultBacklog
		if a.more() {
			n, ok := a.integer("backlog", 0, maxInt)
			if !ok {
				return false
			}
			op.Backlog = n
		}
	case OpConnect:
		t, ok := a.word("target", "the actor to connect to, e.g. listener")
		if !ok || !p.actorName(t) {
			return false
		}
		op.Target = t.text
		refs.target = p.pos(t.col)
	case OpAccept:
		op.As = "server"
		refs.as = refs.op
		if a.more() {
			t, _ := a.next()
			if t.kind != tWord || t.text != "as" {
				p.errorf(t.col, "unexpected %s after accept, expected \"as NAME\" or the end of the statement%s", t.describe(), didYouMean(t.text, []string{"as"}))
				return false
			}
			n, ok := a.word("name", "the name of the accepted socket, e.g. server2")
			if !ok || !p.actorName(n) {
				return false
			}
			op.As = n.text
			refs.as, refs.asGiven = p.pos(n.col), true
		}
	case OpWrite, OpSend:
		t, ok := a.next()
		if !ok {
			p.errorf(a.prev.end, "missing data after %s, expected quoted text or a number of bytes from 1 to %d", op.Kind, maxBytes)
			return false
		}
		switch t.kind {
		case tString:
			if t.text == "" {
				p.errorf(t.col, "empty data for %s, expected at least one byte", op.Kind)
				return false
			}
			op.Data = []byte(t.text)
		case tWord:
			a.i--
			n, ok := a.integer("byte count", 1, maxBytes)
			if !ok {
				return false
			}
			op.Data = []byte(strings.Repeat("x", n))
		default:
			p.errorf(t.col, "unexpected %s after %s, expected quoted text or a number of bytes", t.describe(), op.Kind)
			return false
		}
		if a.more() {
			t, _ := a.next()
			if t.kind != tWord || t.text != "nosignal" {
				p.errorf(t.col, "unexpected %s after the data, expected nosignal, \"->\" or the end of the statement%s", t.describe(), didYouMean(t.text, []string{"nosignal"}))
				return false
			}
			op.NoSignal = true
		}
	case OpRead:
		n, ok := a.integer("size", 1, maxBytes)
		if !ok {
			return false
		}
		op.Size = n
		seen := map[string]bool{}
		for a.more() {
			t, _ := a.next()
			if t.kind != tWord || !contains(readOptions, t.text) {
				p.errorf(t.col, "unexpected %s in read, expected %s%s", t.describe(), oneOf(readOptions), didYouMean(t.text, readOptions))
				return false
			}
			if seen[t.text] {
				p.errorf(t.col, "%s given twice in read, expected it at most once", t.text)
				return false
			}
			seen[t.text] = true
			switch t.text {
			case "nonblock":
				op.Nonblock = true
			case "timeout":
				if op.Timeout, ok = a.blockDuration("timeout"); !ok {
					return false
				}
			case "interrupt":
				if op.Interrupt, ok = a.blockDuration("interrupt"); !ok {
					return false
				}
			}
		}
		if op.Nonblock && (op.Timeout > 0 || op.Interrupt > 0) {
			p.errorf(a.first().col, "a nonblock read never waits, expected no timeout or interrupt with nonblock")
			return false
		}
		if op.Timeout > 0 && op.Interrupt >= op.Timeout {
			p.errorf(a.first().col, "interrupt %v comes after the read times out (timeout %v), expected an interrupt shorter than the timeout", op.Interrupt, op.Timeout)
			return false
		}
	case OpShutdown:
		t, ok := a.word("direction", "one of "+oneOf(ShutdownHows))
		if !ok {
			return false
		}
		if !contains(ShutdownHows, t.text) {
			p.errorf(t.col, "unknown shutdown direction %q, expected one of %s%s", t.text, oneOf(ShutdownHows), didYouMean(t.text, ShutdownHows))
			return false
		}
		op.How = t.text
	case OpLinger:
		n, ok := a.lingerValue("linger")
		if !ok {
			return false
		}
		op.Linger = n
	case OpNonblock:
		t, ok := a.word("on or off", "on or off")
		if !ok {
			return false
		}
		if t.text != "on" && t.text != "off" {
			p.errorf(t.col, "unexpected %q after nonblock, expected on or off%s", t.text, didYouMean(t.text, []string{"on", "off"}))
			return false
		}
		op.On = t.text == "on"
	case OpSetsockopt:
		t, ok := a.word("option", "an option name such as SO_LINGER")
		if !ok {
			return false
		}
		if contains(ReadOnlyOptions, t.text) {
			p.errorf(t.col, "%s cannot be set, expected one of %s (read it with getsockopt %s)", t.text, strings.Join(Options, ", "), t.text)
			return false
		}
		if !contains(Options, t.text) {
			p.errorf(t.col, "unknown option %q, expected one of %s%s", t.text, strings.Join(Options, ", "), didYouMean(t.text, Options, ReadOnlyOptions))
			return false
		}
		op.Option = t.text
		if t.text == "SO_LINGER" {
			n, ok := a.lingerValue("SO_LINGER")
			if !ok {
				return false
			}
			op.Linger = n
		} else {
			n, ok := a.integer("value", 0, maxInt)
			if !ok {
				return false
			}
			op.Value = n
		}
	case OpGetsockopt:
		t, ok := a.word("option", "an option name such as SO_ERROR")
		if !ok {
			return false
		}
		if !contains(Options, t.text) && !contains(ReadOnlyOptions, t.text) {
			all := append(append([]string(nil), Options...), ReadOnlyOptions...)
			p.errorf(t.col, "unknown option %q, expected one of %s%s", t.text, strings.Join(all, ", "), didYouMean(t.text, all))
			return false
		}
		op.Option = t.text
	case OpPoll:
		t, ok := a.word("events", "events separated by commas from "+oneOf(PollRequests))
		if !ok {
			return false
		}
		col := t.col
		seen := map[string]bool{}
		for _, e := range strings.Split(t.text, ",") {
			switch {
			case e == "":
				p.errorf(col, "empty event in %q, expected events separated by single commas", t.text)
				return false
			case !contains(PollRequests, e):
				hint := didYouMean(e, PollRequests)
				if short := strings.TrimPrefix(strings.ToLower(e), "poll"); contains(PollRequests, short) {
					hint = fmt.Sprintf(" (did you mean %q?)", short)
				}
				p.errorf(col, "unknown poll event %q, expected %s%s", e, oneOf(PollRequests), hint)
				return false
			case seen[e]:
				p.errorf(col, "poll event %q given twice, expected each at most once", e)
				return false
			}
			seen[e] = true
			col += len(e) + 1
		}
		for _, e := range PollRequests {
			if seen[e] {
				op.Events = append(op.Events, e)
			}
		}
		if a.more() {
			t, _ := a.next()
			if t.kind != tWord || t.text != "timeout" {
				p.errorf(t.col, "unexpected %s after the events, expected timeout, \"->\" or the end of the statement%s", t.describe(), didYouMean(t.text, []string{"timeout"}))
				return false
			}
			if op.Timeout, ok = a.blockDuration("timeout"); !ok {
				return false
			}
		}
	}
	return true
}

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
		from, to, found := strings.Cut(t.text, ">")
		if !found || from == "" || to == "" {
			p.errorf(t.col, "expected SENDER>RECEIVER such as server>client, found %q", t.text)
			return
		}
		if !p.actorName(token{kind: tWord, text: from, col: t.col}) ||
			!p.actorName(token{kind: tWord, text: to, col: t.col + len(from) + 1}) {
			return
		}
		if from == to {
			p.errorf(t.col, "wire %s needs two different actors, expected SENDER>RECEIVER", t.text)
			return
		}
		e.Actor, e.Peer = from, to
		refs.actor, refs.peer = p.pos(t.col), p.pos(t.col+len(from)+1)
		f, ok := a.word("flags", `TCP flags from S, F, R, P and "." (ACK), e.g. R or F.`)
		if !ok {
			return
		}
		for i := 0; i < len(f.text); i++ {
			c := f.text[i]
			if !strings.ContainsRune("SFRP.", rune(c)) {
				hint := ""
				if u := strings.ToUpper(f.text); u != f.text && strings.Trim(u, "SFRP.") == "" {
					hint = fmt.Sprintf(" (did you mean %q?)", u)
				}
				p.errorf(f.col+i, "unknown TCP flag %q in %q, expected letters from S, F, R, P and \".\" (ACK)%s", c, f.text, hint)
				return
			}
			if strings.IndexByte(f.text[:i], c) >= 0 {
				p.errorf(f.col+i, "TCP flag %q given twice in %q, expected each at most once", c, f.text)
				return
			}
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
	case ExpectRecvQ, ExpectSendQ:
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
	var notTCP []Transport
	for _, t := range p.runsOn(g) {
		if !t.IsTCP() {
			notTCP = append(notTCP, t)
		}
	}
	if p.onSet && len(notTCP) > 0 {
		var tcp []Transport
		for _, t := range p.s.On {
			if t.IsTCP() {
				tcp = append(tcp, t)
			}
		}
		if len(tcp) == 0 {
			p.errorf(k.col, "expect %s checks TCP only, and \"on\" names no TCP transport", e.Kind)
		} else {
			p.errorf(k.col, "expect %s checks TCP only, but this statement also runs on %s; expected a guard: \"expect %s: %s ...\"", e.Kind, joinTransports(notTCP), guardFor(tcp), e.Kind)
		}
		return
	}
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
