package scenario

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
