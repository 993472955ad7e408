package analyze

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Filter selects connections by address and port, in a small subset of
// tcpdump's filter language: "host ADDR", "net PREFIX", "port N", each
// optionally preceded by "src" or "dst" (the originator or the responder),
// combined with "and", "or", "not" and parentheses. The zero Filter
// selects everything.
type Filter struct{ root node }

type node interface {
	match(o, r netip.AddrPort) bool
}

type (
	andNode  struct{ a, b node }
	orNode   struct{ a, b node }
	notNode  struct{ a node }
	primNode struct {
		dir    string // "", "src" or "dst"
		prefix netip.Prefix
		port   int // -1 when the primitive is about addresses
	}
)

func (n andNode) match(o, r netip.AddrPort) bool { return n.a.match(o, r) && n.b.match(o, r) }
func (n orNode) match(o, r netip.AddrPort) bool  { return n.a.match(o, r) || n.b.match(o, r) }
func (n notNode) match(o, r netip.AddrPort) bool { return !n.a.match(o, r) }
func (n primNode) match(o, r netip.AddrPort) bool {
	one := func(a netip.AddrPort) bool {
		if n.port >= 0 {
			return int(a.Port()) == n.port
		}
		return n.prefix.Contains(a.Addr().Unmap())
	}
	switch n.dir {
	case "src":
		return one(o)
	case "dst":
		return one(r)
	}
	return one(o) || one(r)
}

// Match reports whether the connection from orig to resp is selected.
func (f Filter) Match(orig, resp netip.AddrPort) bool {
	return f.root == nil || f.root.match(orig, resp)
}

// ParseFilter parses the filter expression s.
func ParseFilter(s string) (Filter, error) {
	p := &filterParser{toks: tokens(s)}
	if len(p.toks) == 0 {
		return Filter{}, nil
	}
	n, err := p.or()
	if err != nil {
		return Filter{}, fmt.Errorf("filter %q: %w", s, err)
	}
	if p.i < len(p.toks) {
		return Filter{}, fmt.Errorf("filter %q: unexpected %q (expected and, or or the end)", s, p.toks[p.i])
	}
	return Filter{root: n}, nil
}

func tokens(s string) []string {
	s = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(s)
	return strings.Fields(s)
}

type filterParser struct {
	toks []string
	i    int
}

func (p *filterParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *filterParser) next() string { t := p.peek(); p.i++; return t }

func (p *filterParser) or() (node, error) {
	a, err := p.and()
	for err == nil && (p.peek() == "or" || p.peek() == "||") {
		p.next()
		var b node
		if b, err = p.and(); err == nil {
			a = orNode{a, b}
		}
	}
	return a, err
}

func (p *filterParser) and() (node, error) {
	a, err := p.not()
	for err == nil && (p.peek() == "and" || p.peek() == "&&") {
		p.next()
		var b node
		if b, err = p.not(); err == nil {
			a = andNode{a, b}
		}
	}
	return a, err
}

func (p *filterParser) not() (node, error) {
	if p.peek() == "not" || p.peek() == "!" {
		p.next()
		a, err := p.not()
		return notNode{a}, err
	}
	if p.peek() == "(" {
		p.next()
		a, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		return a, nil
	}
	return p.prim()
}

func (p *filterParser) prim() (node, error) {
	n := primNode{port: -1}
	if t := p.peek(); t == "src" || t == "dst" {
		n.dir = p.next()
	}
	kind, val := p.next(), p.next()
	if val == "" {
		return nil, fmt.Errorf("%q needs a value", kind)
	}
	switch kind {
	case "host":
		a, err := netip.ParseAddr(val)
		if err != nil {
			return nil, fmt.Errorf("host %q: not an IP address", val)
		}
		n.prefix = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
	case "net":
		pr, err := netip.ParsePrefix(val)
		if err != nil {
			return nil, fmt.Errorf("net %q: not a prefix such as 198.18.0.0/15", val)
		}
		n.prefix = pr.Masked()
	case "port":
		v, err := strconv.ParseUint(val, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port %q: not a number from 0 to 65535", val)
		}
		n.port = int(v)
	default:
		return nil, fmt.Errorf("%q: expected host, net, port, src, dst, not or (", kind)
	}
	return n, nil
}
