package scenario

import (
	"fmt"
	"strings"
	"time"
)

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
	if n := len(rest); n >= 1 && rest[n-1].kind == tWord && rest[n-1].text == "async" {
		if !asyncable[op.Kind] {
			p.errorf(rest[n-1].col, "%s cannot be async, expected async only after %s", op.Kind, oneOf(AsyncOperations))
			return
		}
		op.Async = true
		rest = rest[:n-1]
	}
	if n := len(rest); interruptible[op.Kind] && n >= 2 && rest[n-2].kind == tWord && rest[n-2].text == "interrupt" {
		ia := &args{p: p, toks: rest[n-1:], prev: rest[n-2], stmt: opTok.text}
		d, ok := ia.blockDuration("interrupt")
		if !ok {
			return
		}
		op.Interrupt = d
		rest = rest[:n-2]
	}
	a := &args{p: p, toks: rest, prev: opTok, stmt: opTok.text}
	if !p.opArgs(op, a, &refs) || !a.end() {
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

// interruptible are the operations that take "interrupt D" after their
// arguments (read takes it among its options).
var interruptible = map[OpKind]bool{OpWrite: true, OpSend: true, OpAccept: true, OpConnect: true, OpPoll: true, OpEpoll: true}

// asyncable are the operations that may be async: calls on a descriptor
// the run already has. What accept makes (an actor) and what connect
// learns (addresses) the runner takes when the call has returned.
var asyncable = map[OpKind]bool{OpRead: true, OpWrite: true, OpSend: true, OpPoll: true, OpAccept: true, OpConnect: true}

// opArgs reads the arguments of op with the reader of its operation;
// operations without arguments (bind, close) have none.
func (p *parser) opArgs(op *Op, a *args, refs *stepRefs) bool {
	read, ok := argReaders[op.Kind]
	if !ok {
		return true
	}
	return read(p, op, a, refs)
}

// argReaders read the arguments of each operation that has some.
var argReaders = map[OpKind]func(p *parser, op *Op, a *args, refs *stepRefs) bool{
	OpSocket:     (*parser).socketArgs,
	OpListen:     (*parser).listenArgs,
	OpConnect:    (*parser).connectArgs,
	OpAccept:     (*parser).acceptArgs,
	OpWrite:      (*parser).writeArgs,
	OpSend:       (*parser).writeArgs,
	OpRead:       (*parser).readArgs,
	OpShutdown:   (*parser).shutdownArgs,
	OpLinger:     (*parser).lingerArgs,
	OpNonblock:   (*parser).nonblockArgs,
	OpSetsockopt: (*parser).setsockoptArgs,
	OpGetsockopt: (*parser).getsockoptArgs,
	OpPoll:       (*parser).pollArgs,
	OpEpoll:      (*parser).epollArgs,
	OpDup:        (*parser).dupArgs,
	OpBind:       (*parser).bindArgs,
}

// socketArgs reads "socket [tcp4|tcp6] [at HOST]".
func (p *parser) socketArgs(op *Op, a *args, refs *stepRefs) bool {
	if !a.more() {
		return true
	}
	t, _ := a.next()
	if t.kind == tWord && (t.text == string(TCP4) || t.text == string(TCP6)) {
		op.Family = Transport(t.text)
		refs.family = p.pos(t.col)
		if !a.more() {
			return true
		}
		t, _ = a.next()
	}
	if t.kind != tWord || t.text != "at" {
		want, words := `"at HOST"`, []string{"at"}
		if op.Family == "" {
			want, words = `a family (tcp4 or tcp6), "at HOST"`, []string{"at", "tcp4", "tcp6"}
		}
		p.errorf(t.col, "unexpected %s after socket, expected %s or the end of the statement%s", t.describe(), want, didYouMean(t.text, words))
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
	return true
}

// listenArgs reads "listen [BACKLOG]".
func (p *parser) listenArgs(op *Op, a *args, refs *stepRefs) bool {
	op.Backlog = DefaultBacklog
	if a.more() {
		n, ok := a.integer("backlog", 0, maxInt)
		if !ok {
			return false
		}
		op.Backlog = n
	}
	return true
}

// connectArgs reads "connect TARGET [fastopen DATA]".
func (p *parser) connectArgs(op *Op, a *args, refs *stepRefs) bool {
	t, ok := a.word("target", "the actor to connect to, e.g. listener")
	if !ok || !p.actorName(t) {
		return false
	}
	op.Target = t.text
	refs.target = p.pos(t.col)
	if !a.more() {
		return true
	}
	f, _ := a.next()
	if f.kind != tWord || f.text != "fastopen" {
		p.errorf(f.col, "unexpected %s after the target, expected \"fastopen DATA\", \"->\" or the end of the statement%s", f.describe(), didYouMean(f.text, []string{"fastopen"}))
		return false
	}
	op.FastOpen = true
	return p.data(op, a)
}

// acceptArgs reads "accept [as NAME]".
func (p *parser) acceptArgs(op *Op, a *args, refs *stepRefs) bool {
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
	return true
}

// writeArgs reads "write|send DATA [nosignal]".
func (p *parser) writeArgs(op *Op, a *args, refs *stepRefs) bool {
	if !p.data(op, a) {
		return false
	}
	for a.more() {
		t, _ := a.next()
		switch {
		case t.kind == tWord && t.text == "nosignal" && !op.NoSignal:
			op.NoSignal = true
		case t.kind == tWord && t.text == "oob" && !op.OOB:
			if op.Kind != OpSend {
				p.errorf(t.col, "oob is a flag of send(2) (MSG_OOB), and write(2) has no flags; expected send DATA oob")
				return false
			}
			op.OOB = true
		case t.kind == tWord && (t.text == "nosignal" || t.text == "oob"):
			p.errorf(t.col, "%s given twice, expected each option at most once", t.text)
			return false
		default:
			opts := []string{"nosignal"}
			if op.Kind == OpSend {
				opts = append(opts, "oob")
			}
			p.errorf(t.col, "unexpected %s after the data, expected %s, \"->\" or the end of the statement%s", t.describe(), strings.Join(opts, ", "), didYouMean(t.text, opts))
			return false
		}
	}
	return true
}

// data reads the bytes a write, a send or a fastopen connect sends:
// quoted text, or a count of filler bytes. A write or a send may send
// none (write(2) with a count of 0, which the peer suites ask of the
// kernel); data in a SYN is at least one byte.
func (p *parser) data(op *Op, a *args) bool {
	least := 0
	if op.FastOpen {
		least = 1
	}
	t, ok := a.next()
	if !ok {
		p.errorf(a.prev.end, "missing data after %s, expected quoted text or a number of bytes from %d to %d", op.Kind, least, maxBytes)
		return false
	}
	switch t.kind {
	case tString:
		if t.text == "" {
			p.errorf(t.col, "empty data for %s, expected at least one byte (or a count of 0 for a write of none)", op.Kind)
			return false
		}
		op.Data = []byte(t.text)
	case tWord:
		a.i--
		n, ok := a.integer("byte count", least, maxBytes)
		if !ok {
			return false
		}
		op.Data = []byte(strings.Repeat("x", n))
	default:
		p.errorf(t.col, "unexpected %s after %s, expected quoted text or a number of bytes", t.describe(), op.Kind)
		return false
	}
	return true
}

// readArgs reads "read SIZE [nonblock] [timeout D] [interrupt D] [peek] [waitall] [oob] [trunc]".
func (p *parser) readArgs(op *Op, a *args, refs *stepRefs) bool {
	n, ok := a.integer("size", 0, maxBytes)
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
		default:
			op.Flags = append(op.Flags, t.text)
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
	return true
}

// shutdownArgs reads "shutdown rd|wr|rdwr".
func (p *parser) shutdownArgs(op *Op, a *args, refs *stepRefs) bool {
	t, ok := a.word("direction", "one of "+oneOf(ShutdownHows))
	if !ok {
		return false
	}
	if !contains(ShutdownHows, t.text) {
		p.errorf(t.col, "unknown shutdown direction %q, expected one of %s%s", t.text, oneOf(ShutdownHows), didYouMean(t.text, ShutdownHows))
		return false
	}
	op.How = t.text
	return true
}

// lingerArgs reads "linger SECONDS|off".
func (p *parser) lingerArgs(op *Op, a *args, refs *stepRefs) bool {
	n, ok := a.lingerValue("linger")
	if !ok {
		return false
	}
	op.Linger = n
	return true
}

// nonblockArgs reads "nonblock on|off".
func (p *parser) nonblockArgs(op *Op, a *args, refs *stepRefs) bool {
	t, ok := a.word("on or off", "on or off")
	if !ok {
		return false
	}
	if t.text != "on" && t.text != "off" {
		p.errorf(t.col, "unexpected %q after nonblock, expected on or off%s", t.text, didYouMean(t.text, []string{"on", "off"}))
		return false
	}
	op.On = t.text == "on"
	return true
}

// setsockoptArgs reads "setsockopt OPTION VALUE".
func (p *parser) setsockoptArgs(op *Op, a *args, refs *stepRefs) bool {
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
	return true
}

// getsockoptArgs reads "getsockopt OPTION".
func (p *parser) getsockoptArgs(op *Op, a *args, refs *stepRefs) bool {
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
	return true
}

// pollArgs reads "poll EVENTS|none [timeout D|0]".
func (p *parser) pollArgs(op *Op, a *args, refs *stepRefs) bool {
	if !p.requests(op, a, true) {
		return false
	}
	if a.more() {
		t, _ := a.next()
		if t.kind != tWord || t.text != "timeout" {
			p.errorf(t.col, "unexpected %s after the events, expected timeout, \"->\" or the end of the statement%s", t.describe(), didYouMean(t.text, []string{"timeout"}))
			return false
		}
		return p.waitTimeout(op, a)
	}
	return true
}

// epollArgs reads "epoll EVENTS [edge] [timeout D|0]".
func (p *parser) epollArgs(op *Op, a *args, refs *stepRefs) bool {
	if !p.requests(op, a, false) {
		return false
	}
	options := []string{"edge", "timeout"}
	seen := map[string]bool{}
	for a.more() {
		t, _ := a.next()
		if t.kind != tWord || !contains(options, t.text) {
			p.errorf(t.col, "unexpected %s after the events, expected %s, \"->\" or the end of the statement%s", t.describe(), oneOf(options), didYouMean(t.text, options))
			return false
		}
		if seen[t.text] {
			p.errorf(t.col, "%s given twice in epoll, expected it at most once", t.text)
			return false
		}
		seen[t.text] = true
		switch t.text {
		case "edge":
			op.Edge = true
		case "timeout":
			if !p.waitTimeout(op, a) {
				return false
			}
		}
	}
	return true
}

// requests reads the events poll or epoll asks for: names from
// PollRequests separated by commas, or "none" where none is allowed.
func (p *parser) requests(op *Op, a *args, noneAllowed bool) bool {
	t, ok := a.word("events", "events separated by commas from "+oneOf(PollRequests))
	if !ok {
		return false
	}
	col := t.col
	seen := map[string]bool{}
	events := strings.Split(t.text, ",")
	if t.text == "none" {
		if !noneAllowed {
			p.errorf(col, "%s none would register nothing, expected events separated by commas from %s", op.Kind, oneOf(PollRequests))
			return false
		}
		// No events asked for: poll still reports POLLHUP, POLLERR and
		// POLLNVAL, which it always may.
		events = nil
	}
	for _, e := range events {
		switch {
		case e == "":
			p.errorf(col, "empty event in %q, expected events separated by single commas", t.text)
			return false
		case !contains(PollRequests, e):
			hint := didYouMean(e, PollRequests)
			short := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(e), "e"), "poll")
			if contains(PollRequests, short) {
				hint = fmt.Sprintf(" (did you mean %q?)", short)
			}
			p.errorf(col, "unknown %s event %q, expected %s%s", op.Kind, e, oneOf(PollRequests), hint)
			return false
		case seen[e]:
			p.errorf(col, "%s event %q given twice, expected each at most once", op.Kind, e)
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
	return true
}

// waitTimeout reads the duration after "timeout" of poll and epoll, or 0
// (with a unit or without): look and return at once.
func (p *parser) waitTimeout(op *Op, a *args) bool {
	if a.more() && a.toks[a.i].kind == tWord && isZeroDuration(a.toks[a.i].text) {
		a.next()
		op.Now = true
		return true
	}
	var ok bool
	op.Timeout, ok = a.blockDuration("timeout")
	return ok
}

// isZeroDuration reports whether s is a duration of zero, such as 0, 0ms
// or 0s.
func isZeroDuration(s string) bool {
	d, err := time.ParseDuration(s)
	return err == nil && d == 0
}

// dupArgs reads "dup as NAME".
func (p *parser) dupArgs(op *Op, a *args, refs *stepRefs) bool {
	t, ok := a.word("as", "\"as NAME\", the name of the new descriptor")
	if !ok {
		return false
	}
	if t.text != "as" {
		p.errorf(t.col, "unexpected %s after dup, expected \"as NAME\"%s", t.describe(), didYouMean(t.text, []string{"as"}))
		return false
	}
	n, ok := a.word("name", "the name of the new descriptor, e.g. client2")
	if !ok || !p.actorName(n) {
		return false
	}
	op.As = n.text
	refs.as, refs.asGiven = p.pos(n.col), true
	return true
}

// bindArgs reads "bind [ACTOR|"ADDRESS"]": without either the lab
// chooses the address; with ACTOR, the address ACTOR is bound to; with a
// quoted ADDRESS, that address (so that EADDRINUSE can be had against any
// bound socket).
func (p *parser) bindArgs(op *Op, a *args, refs *stepRefs) bool {
	if !a.more() {
		return true
	}
	t, _ := a.next()
	if t.kind == tString {
		if _, err := ParseBindAddress(t.text); err != nil {
			p.errorf(t.col, "%v", err)
			return false
		}
		op.Address = t.text
		return true
	}
	if !p.actorName(t) {
		return false
	}
	op.Target = t.text
	refs.target = p.pos(t.col)
	return true
}
