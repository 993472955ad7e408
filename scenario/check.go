package scenario

import (
	"fmt"
	"strings"
)

// The passes below check what statements say together, over the finished
// scenario: the parser reads each statement alone.

// checkHeader checks the header's setup and net against "on".
func (p *parser) checkHeader() {
	if p.setupAt.Line != 0 {
		var bad []Transport
		for _, t := range p.s.On {
			if (t == Socketpair || t == Pipe) && p.s.Setup != SetupConnected {
				bad = append(bad, t)
			}
		}
		if len(bad) > 0 {
			p.errorAt(p.setupAt, "setup %s cannot apply to %s, whose two endpoints exist from the start; expected setup connected, or %q without them",
				p.s.Setup, joinTransports(bad), "on "+guardWithout(p.s.On, bad))
		}
	}
	if p.netAt.Line != 0 && p.s.Net != NetLoopback {
		// The hosts are network namespaces joined by links: only IP
		// endpoints can live on one and reach another.
		var bad []Transport
		for _, t := range p.s.On {
			if !t.IsTCP() {
				bad = append(bad, t)
			}
		}
		if len(bad) > 0 {
			p.errorAt(p.netAt, "net %s carries only tcp4 and tcp6, not %s; expected \"on tcp\" (or tcp4 or tcp6 alone), or no \"net\" for loopback",
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

// checkAsync rejects async calls on pipe, whose blocking reads and writes
// the lab emulates with poll on one thread: a pipe closed by another
// thread would end the emulation where the kernel's call goes on.
func (p *parser) checkAsync() {
	for i, st := range p.s.Steps {
		if st.Op == nil || !st.Op.Async || !Guard(p.runsOn(st.Guard)).Has(Pipe) {
			continue
		}
		hint := "\"on\" without pipe"
		if others := without(p.runsOn(st.Guard), Pipe); len(others) > 0 {
			hint = fmt.Sprintf("a guard without pipe such as %q", guardFor(others)+":")
		}
		p.errorAt(p.refs[i].op, "%s async runs on a thread of its own, which the lab does not do for a pipe; expected %s", st.Op.Kind, hint)
	}
}

func without(ts []Transport, xs ...Transport) []Transport {
	var out []Transport
	for _, t := range ts {
		if !Guard(xs).Has(t) {
			out = append(out, t)
		}
	}
	return out
}

// checkPipeReads rejects read options that need a socket on a statement
// that runs on pipe, where they could not be carried out as written.
func (p *parser) checkPipeReads() {
	for i, st := range p.s.Steps {
		op := st.Op
		if op == nil || op.Kind != OpRead || !Guard(p.runsOn(st.Guard)).Has(Pipe) {
			continue
		}
		var why string
		switch {
		case op.Nonblock:
			why = "read nonblock needs recv(2) with MSG_DONTWAIT"
		case op.Timeout > 0:
			why = "read timeout needs the socket option SO_RCVTIMEO"
		case len(op.Flags) > 0:
			why = "read " + op.Flags[0] + " needs recv(2) and its flags"
		default:
			continue
		}
		var others []Transport
		for _, t := range p.runsOn(st.Guard) {
			if t != Pipe {
				others = append(others, t)
			}
		}
		hint := "\"on\" without pipe"
		if len(others) > 0 {
			hint = fmt.Sprintf("a guard without pipe such as %q", guardFor(others)+":")
		}
		p.errorAt(p.refs[i].op, "%s, which a pipe does not have; expected %s (on a pipe, \"nonblock on\" before a plain read does not block)", why, hint)
	}
}

// checkUnlink rejects unlink on a statement that runs where endpoints
// have no path: only unix and unixpacket sockets are bound to one.
func (p *parser) checkUnlink() {
	for i, st := range p.s.Steps {
		if st.Op == nil || st.Op.Kind != OpUnlink {
			continue
		}
		var bad, good []Transport
		for _, t := range p.runsOn(st.Guard) {
			if t == Unix || t == UnixPacket {
				good = append(good, t)
			} else {
				bad = append(bad, t)
			}
		}
		switch {
		case len(bad) == 0:
		case len(good) == 0:
			p.errorAt(p.refs[i].op, "unlink removes a unix socket's path, and %s has none; expected it on unix or unixpacket", joinTransports(bad))
		default:
			p.errorAt(p.refs[i].op, "unlink removes a unix socket's path, and %s has none; expected a guard such as %q", joinTransports(bad), guardFor(good)+":")
		}
	}
}

// checkTCPOnly rejects expect statements that check what only TCP has on
// a statement that runs on other transports too.
func (p *parser) checkTCPOnly() {
	var tcp []Transport
	for _, t := range p.s.On {
		if t.IsTCP() {
			tcp = append(tcp, t)
		}
	}
	for i, st := range p.s.Steps {
		if op := st.Op; op != nil && op.FastOpen {
			if notTCP := without(p.runsOn(st.Guard), TCP4, TCP6); len(notTCP) > 0 {
				p.errorAt(p.refs[i].op, "connect fastopen is TCP Fast Open, and %s has no such thing; expected a guard such as \"tcp:\"", joinTransports(notTCP))
			}
			continue
		}
		if op := st.Op; op != nil && op.Family != "" {
			if notTCP := without(p.runsOn(st.Guard), TCP4, TCP6); len(notTCP) > 0 {
				p.errorAt(p.refs[i].family, "socket %s makes a TCP socket of that IP family, and %s has no IP family; expected a guard such as \"tcp:\"", op.Family, joinTransports(notTCP))
			}
			continue
		}
		e := st.Expect
		if e == nil || e.Kind == ExpectUnread || e.Kind == ExpectTook {
			continue
		}
		var notTCP []Transport
		for _, t := range p.runsOn(st.Guard) {
			if !t.IsTCP() {
				notTCP = append(notTCP, t)
			}
		}
		switch {
		case len(notTCP) == 0:
		case len(tcp) == 0:
			p.errorAt(p.refs[i].kind, "expect %s checks TCP only, and \"on\" names no TCP transport", e.Kind)
		default:
			p.errorAt(p.refs[i].kind, "expect %s checks TCP only, but this statement also runs on %s; expected a guard: \"expect %s: %s ...\"", e.Kind, joinTransports(notTCP), guardFor(tcp), e.Kind)
		}
	}
}

// initialActors are the actors the setup creates on t, in the order
// messages list them.
func initialActors(s Setup, t Transport) []string {
	switch s {
	case SetupConnected:
		if t == Socketpair || t == Pipe {
			return []string{"client", "server"}
		}
		return []string{"client", "server", "listener"}
	case SetupListening:
		return []string{"client", "listener"}
	}
	return nil
}

// problem kinds found by checkActors.
const (
	unknownActor = iota
	actorExists
	socketHere
	expectFirst
)

// problem is one mistake found on some transports, reported once.
type problem struct {
	kind       int
	pos        Pos
	name       string
	step       int
	ts         []Transport
	candidates []string
	madeAt     int // line that created the existing actor; 0 = setup
}

// checkActors walks the steps once per transport and reports uses of
// actors that do not exist there, names created twice, and expect
// statements with no operation before them.
func (p *parser) checkActors() {
	type key struct {
		pos  Pos
		kind int
	}
	found := map[key]*problem{}
	var order []*problem
	report := func(kind int, pos Pos, name string, step int, t Transport, actors map[string]int, list []string) {
		k := key{pos, kind}
		pr := found[k]
		if pr == nil {
			pr = &problem{kind: kind, pos: pos, name: name, step: step, madeAt: actors[name]}
			found[k] = pr
			order = append(order, pr)
		}
		pr.ts = append(pr.ts, t)
		for _, a := range list {
			if !contains(pr.candidates, a) {
				pr.candidates = append(pr.candidates, a)
			}
		}
	}
	for _, t := range p.s.On {
		made := map[string]int{} // actor → line that made it, 0 for the setup
		// closed are the actors whose descriptor a close has closed: a
		// new socket may take the name (the runner renames the old one).
		closed := map[string]bool{}
		list := initialActors(p.s.Setup, t)
		for _, a := range list {
			made[a] = 0
		}
		sawOp := false
		use := func(name string, pos Pos, step int) {
			if _, ok := made[name]; !ok {
				report(unknownActor, pos, name, step, t, made, list)
			}
		}
		create := func(name string, pos Pos, step int) {
			if _, ok := made[name]; ok && !closed[name] {
				report(actorExists, pos, name, step, t, made, nil)
				return
			} else if !ok {
				list = append(list, name)
			}
			made[name] = p.s.Steps[step].Pos.Line
			delete(closed, name)
		}
		for i, st := range p.s.Steps {
			if !st.Guard.Has(t) {
				continue
			}
			r := p.refs[i]
			switch {
			case st.Op != nil:
				sawOp = true
				switch op := st.Op; op.Kind {
				case OpSocket:
					if t == Socketpair || t == Pipe {
						report(socketHere, r.op, op.Actor, i, t, made, nil)
						continue
					}
					create(op.Actor, r.actor, i)
				case OpAccept, OpDup:
					use(op.Actor, r.actor, i)
					create(op.As, r.as, i)
				case OpConnect:
					use(op.Actor, r.actor, i)
					use(op.Target, r.target, i)
				case OpBind:
					use(op.Actor, r.actor, i)
					if op.Target != "" {
						use(op.Target, r.target, i)
					}
				case OpClose:
					use(op.Actor, r.actor, i)
					closed[op.Actor] = true
				default:
					use(op.Actor, r.actor, i)
				}
			case st.Inject != nil:
				sawOp = true
				use(st.Inject.From, r.actor, i)
				use(st.Inject.To, r.peer, i)
			case st.Fault != nil || st.Sleep > 0:
				// What the network or the kernel's timers did during a
				// fault or a sleep can be checked too.
				sawOp = true
			case st.Expect != nil:
				if !sawOp {
					report(expectFirst, st.Pos, "", i, t, made, nil)
				}
				if st.Expect.Actor != "" {
					use(st.Expect.Actor, r.actor, i)
				}
				if st.Expect.Peer != "" {
					use(st.Expect.Peer, r.peer, i)
				}
			}
		}
	}
	for _, pr := range order {
		p.errs = append(p.errs, &Error{Pos: pr.pos, Msg: p.problemMessage(pr)})
	}
}

func (p *parser) problemMessage(pr *problem) string {
	st := p.s.Steps[pr.step]
	runs := p.runsOn(st.Guard)
	var ok []Transport // where the statement runs without this problem
	for _, t := range runs {
		if !Guard(pr.ts).Has(t) {
			ok = append(ok, t)
		}
	}
	where := ""
	if len(ok) > 0 {
		where = " on " + joinTransports(pr.ts)
	}
	guardHint := ""
	if len(ok) > 0 {
		guardHint = fmt.Sprintf("; or guard the statement with %q", guardFor(ok)+":")
	}
	switch pr.kind {
	case unknownActor:
		if line := p.createdLater(pr.name, pr.step); line > 0 {
			return fmt.Sprintf("actor %q is used%s before it exists, expected it after line %d, which creates it%s", pr.name, where, line, guardHint)
		}
		why := ""
		if pr.name == "listener" && p.s.Setup == SetupConnected && !Guard(pr.ts).Has(TCP4) && !Guard(pr.ts).Has(TCP6) && !Guard(pr.ts).Has(Unix) && !Guard(pr.ts).Has(UnixPacket) {
			why = " (socketpair and pipe have no listener)"
		}
		if len(pr.candidates) == 0 {
			return fmt.Sprintf("unknown actor %q%s%s: nothing exists yet with setup %s, expected \"%s socket\" first%s", pr.name, where, why, p.s.Setup, pr.name, guardHint)
		}
		return fmt.Sprintf("unknown actor %q%s%s, expected one of %s%s%s", pr.name, where, why, strings.Join(pr.candidates, ", "), didYouMean(pr.name, pr.candidates), guardHint)
	case actorExists:
		made := "made by setup " + string(p.s.Setup)
		if pr.madeAt > 0 {
			made = fmt.Sprintf("created at line %d", pr.madeAt)
		}
		op := st.Op
		switch {
		case op.Kind == OpAccept && !p.refs[pr.step].asGiven:
			return fmt.Sprintf("accept would create %q, which already exists%s (%s), expected \"accept as NAME\" with a new name", pr.name, where, made)
		case op.Kind == OpAccept || op.Kind == OpDup:
			return fmt.Sprintf("actor %q already exists%s (%s), expected a new name after \"as\"", pr.name, where, made)
		}
		return fmt.Sprintf("actor %q already exists%s (%s), expected a new name for socket, or a close of %s before", pr.name, where, made, pr.name)
	case socketHere:
		if len(ok) == 0 {
			return fmt.Sprintf("socket cannot run on %s, whose endpoints the setup makes; expected \"on\" without them", joinTransports(pr.ts))
		}
		return fmt.Sprintf("socket cannot run on %s, whose endpoints the setup makes; expected a guard such as %q", joinTransports(pr.ts), guardFor(ok)+":")
	}
	return fmt.Sprintf("expect before any operation%s, expected it after the operation whose effects it checks%s", where, guardHint)
}

// createdLater returns the line of a statement after step that creates
// name, or 0.
func (p *parser) createdLater(name string, step int) int {
	for _, st := range p.s.Steps[step+1:] {
		if op := st.Op; op != nil && (op.Kind == OpSocket && op.Actor == name || (op.Kind == OpAccept || op.Kind == OpDup) && op.As == name) {
			return st.Pos.Line
		}
	}
	return 0
}
