package scenario

import (
	"fmt"
	"strings"
)

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
	f := &Fault{Kind: kind, Host: h.text}
	if kind == FaultUnreachable {
		f.Answer = UnreachAnswers[0]
		if a.more() {
			w, ok := a.word("answer", "one of "+oneOf(UnreachAnswers))
			if !ok {
				return
			}
			if !contains(UnreachAnswers, w.text) {
				p.errorf(w.col, "unknown unreachable answer %q, expected one of %s%s", w.text, oneOf(UnreachAnswers), didYouMean(w.text, UnreachAnswers))
				return
			}
			f.Answer = w.text
		}
	}
	if !a.end() {
		return
	}
	p.addStep(Step{Pos: p.pos(col), Text: text, Guard: g, Fault: f}, stepRefs{})
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

// sysctlStatement reads "sysctl [HOST] NAME VALUE". Only the network
// namespace's own settings (net.*) can be named: the run's namespace is
// the only thing the lab may change, and it goes with the run.
func (p *parser) sysctlStatement(toks []token, text string, g Guard, col int) {
	p.enterBody()
	kw := toks[0]
	a := &args{p: p, toks: toks[1:], prev: kw, stmt: "sysctl"}
	sc := &Sysctl{}
	if hosts := p.s.Net.Hosts(); hosts != nil {
		h, ok := p.host(a, hosts)
		if !ok {
			return
		}
		sc.Host = h.text
	}
	n, ok := a.word("name", "a sysctl of the network namespace such as net.ipv4.tcp_fin_timeout")
	if !ok {
		return
	}
	if msg := checkSysctlName(n.text); msg != "" {
		p.errorf(n.col, "invalid sysctl %q: %s", n.text, msg)
		return
	}
	v, ok := a.word("value", "the value to write, e.g. 1")
	if !ok || !a.end() {
		return
	}
	if strings.ContainsAny(v.text, "/\\") {
		p.errorf(v.col, "invalid sysctl value %q, expected a number or a word", v.text)
		return
	}
	sc.Name, sc.Value = n.text, v.text
	p.addStep(Step{Pos: p.pos(col), Text: text, Guard: g, Sysctl: sc}, stepRefs{})
}

// checkSysctlName returns what is wrong with a sysctl name, or "".
func checkSysctlName(name string) string {
	if !strings.HasPrefix(name, "net.") {
		return `only the network namespace's own settings can be set, expected a name under "net." such as net.ipv4.tcp_fin_timeout`
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" || part == ".." {
			return "empty part between dots, expected names such as net.ipv4.tcp_fin_timeout"
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
				return fmt.Sprintf("%q is not allowed, expected lower-case letters, digits, '_' and '-' between dots", c)
			}
		}
	}
	return ""
}
