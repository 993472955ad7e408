package scenario

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// expectation reads the part after "->": the default result and the
// alternatives. on is where the statement runs.
func (p *parser) expectation(op *Op, arrow token, toks []token, on []Transport) (*Expectation, bool) {
	if len(toks) == 0 {
		p.errorf(arrow.end, "missing result after \"->\", expected %s", allowedResults(op))
		return nil, false
	}
	first := toks[0]
	if first.kind != tWord {
		p.errorf(first.col, "expected the Linux result after \"->\", found %s; expected %s", first.describe(), allowedResults(op))
		return nil, false
	}
	def, ok := p.result(first, op)
	if !ok {
		return nil, false
	}
	e := &Expectation{Pos: p.pos(first.col), Default: def}
	seen := map[string]int{}
	for i := 1; i < len(toks); {
		t := toks[i]
		if t.kind != tLabel {
			if t.kind == tWord && t.text == "documented" && toks[i-1].kind == tWord && toks[i-1].text == "documented" {
				p.errorf(t.col, "documented given twice, expected it once after a result")
			} else if t.kind == tWord && t.text == "documented" {
				p.errorf(t.col, "documented marks an alternative (e.g. \"darwin: 0 documented\"), expected it after an alternative, not after the Linux result")
			} else {
				p.errorf(t.col, "unexpected %s after the result, expected an alternative such as \"darwin: 0\" or the end of the statement%s", t.describe(), didYouMean(t.text, []string{"documented"}))
			}
			return nil, false
		}
		alt, ok := p.label(t, on)
		if !ok {
			return nil, false
		}
		key := t.text
		if line, dup := seen[key]; dup {
			p.errorf(t.col, "alternative %q given twice in this statement (first at column %d), expected each label once", key+":", line)
			return nil, false
		}
		seen[key] = t.col
		i++
		if i >= len(toks) || toks[i].kind != tWord {
			col := t.end
			found := "the end of the statement"
			if i < len(toks) {
				col, found = toks[i].col, toks[i].describe()
			}
			p.errorf(col, "missing result after %q, found %s; expected %s", t.text+":", found, allowedResults(op))
			return nil, false
		}
		if alt.Result, ok = p.result(toks[i], op); !ok {
			return nil, false
		}
		i++
		if i < len(toks) && toks[i].kind == tWord && toks[i].text == "documented" {
			if !alt.Seed && (alt.OS == "" || alt.OS == Linux) {
				p.errorf(toks[i].col, "documented marks a value a document states for another OS or the seed, expected it after darwin:, freebsd:, windows: or seed:, not after %q", t.text+":")
				return nil, false
			}
			alt.Documented = true
			i++
		}
		e.Alternatives = append(e.Alternatives, alt)
	}
	return e, true
}

// label reads the label of an alternative: OS, seed, transports,
// OS/transports or seed/transports.
func (p *parser) label(t token, on []Transport) (Alternative, bool) {
	alt := Alternative{Pos: p.pos(t.col)}
	isOS := func(s string) bool { return s == "seed" || contains(OSes, s) }
	osNames := append(append([]string(nil), OSes...), "seed")
	first, rest, slash := strings.Cut(t.text, "/")
	switch {
	case slash && !isOS(first):
		p.errorf(t.col, "unknown OS %q in label %q, expected %s before \"/\"%s", first, t.text+":", oneOf(osNames), didYouMean(first, osNames))
		return alt, false
	case slash && rest == "":
		p.errorf(t.end-1, "missing transports after %q, expected e.g. %q", first+"/", first+"/tcp:")
		return alt, false
	case !slash && isOS(first):
		rest = ""
	case !slash:
		if !strings.Contains(first, ",") {
			if _, ok := expandTransport(first); !ok {
				all := append(osNames, transportWords...)
				p.errorf(t.col, "unknown label %q, expected an OS (%s), seed, or transports such as tcp or unix,pipe%s", t.text+":", strings.Join(OSes, ", "), didYouMean(first, all))
				return alt, false
			}
		}
		first, rest = "", first
	}
	if first == "seed" {
		alt.Seed = true
	} else {
		alt.OS = first
	}
	if rest != "" {
		col := t.col
		if slash {
			col += len(first) + 1
		}
		ts, ok := p.transportList(rest, col, "label", on, "the transports this statement runs on")
		if !ok {
			return alt, false
		}
		alt.Transports = ts
	}
	return alt, true
}

// allowedResults says which results fit op, for messages.
func allowedResults(op *Op) string {
	switch {
	case op.Kind == OpConnect && op.FastOpen:
		return "the count of bytes sendto(2) took, an errno name or blocked"
	}
	switch op.Kind {
	case OpRead, OpWrite, OpSend:
		return "a byte count, an errno name or blocked"
	case OpGetsockopt:
		if op.Option == "SO_ERROR" {
			return "0 (no pending error) or the pending error's errno name"
		}
		return "the option's value or an errno name"
	case OpPoll:
		return "poll events such as POLLIN|POLLOUT, 0 (timed out), an errno name or blocked"
	case OpEpoll:
		return "epoll events such as EPOLLIN|EPOLLOUT, 0 (timed out), an errno name or blocked"
	}
	return "ok, an errno name or blocked"
}

// result reads one result and checks that it fits op.
func (p *parser) result(t token, op *Op) (Result, bool) {
	var r Result
	w := t.text
	if k := strings.IndexByte(w, '+'); k >= 0 {
		suffix := w[k:]
		if suffix != "+SIGPIPE" {
			p.errorf(t.col+k, "unknown suffix %q, expected +SIGPIPE%s", suffix, didYouMean(suffix, []string{"+SIGPIPE"}))
			return r, false
		}
		if op.Kind != OpWrite && op.Kind != OpSend {
			p.errorf(t.col+k, "+SIGPIPE fits only write and send, found it on %s", op.Kind)
			return r, false
		}
		r.SIGPIPE = true
		w = w[:k]
	}
	switch {
	case w == "":
		p.errorf(t.col, "missing result before +SIGPIPE, expected e.g. EPIPE+SIGPIPE")
		return r, false
	case w[0] >= '0' && w[0] <= '9':
		n, err := strconv.Atoi(w)
		if err != nil || n > maxInt || strings.Trim(w, "0123456789") != "" {
			p.errorf(t.col, "invalid result %q, expected a count from 0 to %d", w, maxInt)
			return r, false
		}
		r.Kind, r.N = ResultCount, n
	case w == "ok":
		r.Kind = ResultOK
	case w == "blocked":
		r.Kind = ResultBlocked
	case strings.HasPrefix(w, "POLL") || strings.HasPrefix(w, "EPOLL") || strings.Contains(w, "|"):
		col := t.col
		seen := map[string]bool{}
		names, kind := PollEvents, "poll"
		if strings.HasPrefix(w, "EPOLL") {
			names, kind = EpollEvents, "epoll"
		}
		for _, ev := range strings.Split(w, "|") {
			switch {
			case ev == "":
				p.errorf(col, "empty event in %q, expected %s events joined by single '|'", w, kind)
				return r, false
			case !contains(names, ev):
				p.errorf(col, "unknown %s event %q, expected %s%s", kind, ev, oneOf(names), didYouMean(ev, names))
				return r, false
			case seen[ev]:
				p.errorf(col, "poll event %s given twice in %q, expected each at most once", ev, w)
				return r, false
			}
			seen[ev] = true
			r.Events = append(r.Events, ev)
			col += len(ev) + 1
		}
		sort.Strings(r.Events)
		r.Kind = ResultEvents
	case isUpperName(w) && w[0] == 'E':
		if !contains(Errnos, w) {
			p.errorf(t.col, "unknown errno %q, expected an errno name such as ECONNRESET, EPIPE or ETIMEDOUT%s", w, didYouMean(w, Errnos))
			return r, false
		}
		r.Kind, r.Errno = ResultErrno, CanonicalErrno(w)
	default:
		p.errorf(t.col, "unknown result %q, expected a byte count, ok, blocked, an errno name or poll events%s",
			w, didYouMean(w, []string{"ok", "blocked"}, Errnos, PollEvents, EpollEvents))
		return r, false
	}
	return r, p.fits(t, r, op)
}

// fits checks that result r, written as t, is something op can return.
func (p *parser) fits(t token, r Result, op *Op) bool {
	want := allowedResults(op)
	var msg string
	kind := op.Kind
	if kind == OpConnect && op.FastOpen {
		// sendto(2) with MSG_FASTOPEN: a send that also connects.
		kind = OpSend
	}
	switch kind {
	case OpRead, OpWrite, OpSend:
		switch r.Kind {
		case ResultOK:
			msg = fmt.Sprintf("%s returns a byte count, found ok", op.Kind)
		case ResultEvents:
			msg = fmt.Sprintf("%s returns no poll events, found %s", op.Kind, t.text)
		}
	case OpGetsockopt:
		switch {
		case r.Kind == ResultOK:
			msg = "getsockopt returns the option's value, found ok"
		case r.Kind == ResultBlocked:
			msg = "getsockopt does not block, found blocked"
		case r.Kind == ResultEvents:
			msg = fmt.Sprintf("getsockopt returns no poll events, found %s", t.text)
		case r.Kind == ResultCount && op.Option == "SO_ERROR" && r.N != 0:
			msg = fmt.Sprintf("getsockopt SO_ERROR gives errors by name, found %s", t.text)
		}
	case OpPoll, OpEpoll:
		prefix := "POLL"
		if op.Kind == OpEpoll {
			prefix = "EPOLL"
		}
		switch {
		case r.Kind == ResultOK:
			msg = fmt.Sprintf("%s returns events, found ok", op.Kind)
		case r.Kind == ResultCount && r.N != 0:
			msg = fmt.Sprintf("%s returns events or 0 (timed out), found %s", op.Kind, t.text)
		case r.Kind == ResultEvents && !strings.HasPrefix(r.Events[0], prefix):
			msg = fmt.Sprintf("%s returns %s events, found %s", op.Kind, prefix, t.text)
		}
	default:
		switch r.Kind {
		case ResultCount:
			msg = fmt.Sprintf("%s returns no byte count, found %s", op.Kind, t.text)
		case ResultEvents:
			msg = fmt.Sprintf("%s returns no poll events, found %s", op.Kind, t.text)
		}
	}
	if msg != "" {
		p.errorf(t.col, "%s; expected %s", msg, want)
		return false
	}
	return true
}
