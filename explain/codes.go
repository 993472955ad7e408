package explain

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	// Numbers that a runtime or tool prints as error numbers; the group is
	// the number. Strong contexts name it an errno outright.
	reNumStrong = []*regexp.Regexp{
		regexp.MustCompile(`errno[\s=:]*(\d{1,5})\b`),
		regexp.MustCompile(`os error (\d{1,5})\b`),
		regexp.MustCompile(`winerror (\d{1,5})\b`),
		regexp.MustCompile(`wsa\w*[\s=:]*(\d{5})\b`),
		// MySQL 2003: "Can't connect to MySQL server on 'db:3306' (111)".
		regexp.MustCompile(`mysql server on '[^']*' \((\d{1,5})\)`),
	}
	// reNumAnchor is, for each of reNumStrong, a text every match
	// contains, so that most lines skip the regular expression.
	reNumAnchor = []string{"errno", "os error ", "winerror ", "wsa", "mysql server on '"}
	// reCurl reads curl's exit code as curl prints it ("curl: (7)"), and
	// as PHP's curl extension and Guzzle print it ("cURL error 28: ...").
	reCurl  = regexp.MustCompile(`curl(?::| error) \((\d{1,3})\)|curl error (\d{1,3}):`)
	reMySQL = regexp.MustCompile(`error (\d{4}) \(`)
	reBare  = regexp.MustCompile(`^\s*(\d{1,5})\s*$`)
)

// words finds errno names, exception classes and symbolic codes. A class
// that several entries share (java.net.SocketException is thrown for a
// reset, a broken pipe and more) names no error by itself and is not
// evidence: the message after it decides.
func (m *matcher) words() {
	in := m.input
	var seen map[string]int
	for i := 0; i < len(in); {
		c := in[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') || i > 0 && isWordByte(in[i-1]) {
			i++
			continue
		}
		j := i + 1
		for j < len(in) && isWordByte(in[j]) {
			j++
		}
		w := in[i:j]
		at := i
		i = j
		refs := m.ix.tokens[w]
		if len(refs) == 0 {
			continue
		}
		if seen == nil {
			seen = map[string]int{}
		}
		if seen[w] >= maxRepeats {
			continue
		}
		seen[w]++
		shared := len(distinct(refs)) > 1
		for _, r := range refs {
			s := 40
			switch r.kind {
			case EvClass:
				if shared {
					continue
				}
				s = 30
			case EvCode:
				s = 20
			}
			var by []string
			if r.by != "" {
				by = []string{r.by}
			}
			m.add(r.entry, Evidence{Kind: r.kind, Match: w, Offset: at, By: by, Strength: s, weak: shared})
		}
	}
}

// isFieldSep reports whether c separates the fields of an access log in
// any of its forms: plain (space-separated), JSON ("response_flags":"UC")
// and key=value (termination_state=SD--).
func isFieldSep(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f', '"', '\'', '=', ':', '{', '}', '[', ']', '(', ')', ';', '|':
		return true
	}
	return false
}

// fields finds the codes that proxies write as fields of their access
// logs: HAProxy's four-character termination state ("SD--") and Envoy's
// response flags ("UC", "UF,URX"), in plain, JSON and key=value logs.
func (m *matcher) fields() {
	in := m.input
	var seen map[string]int
	for i := 0; i < len(in); {
		for i < len(in) && isFieldSep(in[i]) {
			i++
		}
		j := i
		for j < len(in) && !isFieldSep(in[j]) {
			j++
		}
		f := in[i:j]
		at := i
		i = j
		if len(f) < 2 || len(f) > 40 || !codeLike(f) {
			continue
		}
		var found []found
		if len(f) == 4 && strings.IndexByte("NIDVEO-", f[2]) >= 0 && strings.IndexByte("NIUPRD-", f[3]) >= 0 {
			refs := m.ix.haproxy[f[:2]]
			for _, r := range refs {
				found = append(found, foundEv(r.entry, Evidence{Kind: EvCode, Match: f, Offset: at, By: []string{"haproxy"}, Strength: 25, weak: len(distinct(refs)) > 1}))
			}
		}
		off := at
		for part := range strings.SplitSeq(f, ",") {
			refs := m.ix.envoy[part]
			for _, r := range refs {
				found = append(found, foundEv(r.entry, Evidence{Kind: EvCode, Match: part, Offset: off, By: []string{"envoy"}, Strength: 20, weak: len(distinct(refs)) > 1}))
			}
			off += len(part) + 1
		}
		if len(found) == 0 {
			continue
		}
		if seen == nil {
			seen = map[string]int{}
		}
		if seen[f] >= maxRepeats {
			continue
		}
		seen[f]++
		for _, x := range found {
			m.add(x.e, x.ev)
		}
	}
}

func foundEv(e *Entry, ev Evidence) found { return found{e, ev} }

// codeLike reports whether a field can hold proxy codes: letters, dashes
// and commas only.
func codeLike(f string) bool {
	for i := 0; i < len(f); i++ {
		c := f[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '-' || c == ',') {
			return false
		}
	}
	return true
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			return true
		}
	}
	return false
}

// toolCodes finds curl's exit codes and MySQL's client error numbers.
func (m *matcher) toolCodes() {
	if !hasDigit(m.folded) {
		return
	}
	for _, re := range []struct {
		re     *regexp.Regexp
		refs   map[string][]tokenRef
		by     string
		anchor string
	}{{reCurl, m.ix.curl, "curl", "curl"}, {reMySQL, m.ix.mysql, "mysql", "error "}} {
		if !strings.Contains(m.folded, re.anchor) {
			continue
		}
		for _, x := range re.re.FindAllStringSubmatchIndex(m.folded, maxRepeats) {
			// The code is the group that matched: a pattern with
			// alternatives has one group for each.
			g := 2
			for g+2 < len(x) && x[g] < 0 {
				g += 2
			}
			refs := re.refs[m.folded[x[g]:x[g+1]]]
			for _, r := range refs {
				m.add(r.entry, Evidence{Kind: EvCode, Match: m.input[x[0]:x[1]], Offset: x[0], By: []string{re.by}, Strength: 35, weak: len(distinct(refs)) > 1})
			}
		}
	}
}

// numbers finds error numbers: a bare number as the whole input, numbers
// that a runtime or tool labels as errno, and numbers after "error".
func (m *matcher) numbers() {
	add := func(n, at int, match string, strength int, weak bool) {
		for _, r := range m.ix.numbers[n] {
			if m.opt.OS != "" && r.os != m.opt.OS {
				continue
			}
			m.add(r.entry, Evidence{Kind: EvNumber, Match: match, Offset: at, OS: r.os, Strength: strength, weak: weak})
		}
	}
	// A bare number is short; the check spares every longer line the
	// regular expression.
	if len(m.input) <= 16 {
		if x := reBare.FindStringSubmatchIndex(m.input); x != nil {
			n, _ := strconv.Atoi(m.input[x[2]:x[3]])
			add(n, x[2], m.input[x[2]:x[3]], 10, false)
		}
	}
	if !hasDigit(m.folded) {
		return
	}
	strong := map[int]bool{}
	for n, re := range reNumStrong {
		if !strings.Contains(m.folded, reNumAnchor[n]) {
			continue
		}
		for _, x := range re.FindAllStringSubmatchIndex(m.folded, maxRepeats) {
			n, _ := strconv.Atoi(m.folded[x[2]:x[3]])
			strong[x[2]] = true
			add(n, x[0], m.input[x[0]:x[1]], 20, false)
		}
	}
	// nginx: "(104: Connection reset by peer)".
	for i, k := 0, 0; k < maxRepeats; {
		o := strings.IndexByte(m.folded[i:], '(')
		if o < 0 {
			break
		}
		i += o + 1
		j := i
		for j < len(m.folded) && j-i < 5 && '0' <= m.folded[j] && m.folded[j] <= '9' {
			j++
		}
		if j == i || !strings.HasPrefix(m.folded[j:], ": ") {
			continue
		}
		n, _ := strconv.Atoi(m.folded[i:j])
		strong[i] = true
		add(n, i-1, m.input[i-1:j+2], 20, false)
		k++
	}
	// "error 111", "error=111", "error: 111".
	for i, k := 0, 0; k < maxRepeats; {
		o := strings.Index(m.folded[i:], "error")
		if o < 0 {
			break
		}
		at := i + o
		i = at + len("error")
		j := i
		for j < len(m.folded) && strings.IndexByte(" \t=:#", m.folded[j]) >= 0 {
			j++
		}
		d := j
		for j < len(m.folded) && j-d < 6 && '0' <= m.folded[j] && m.folded[j] <= '9' {
			j++
		}
		if j == d || j-d > 5 || j < len(m.folded) && isWordByte(m.folded[j]) || strong[d] {
			continue
		}
		n, _ := strconv.Atoi(m.folded[d:j])
		add(n, at, m.input[at:j], 15, true)
		k++
	}
	// A number in brackets after a message, as PHP and Guzzle print it:
	// "(Connection timed out) [110]".
	for i, k := 0, 0; k < maxRepeats; {
		o := strings.IndexByte(m.folded[i:], '[')
		if o < 0 {
			break
		}
		at := i + o
		i = at + 1
		j := i
		for j < len(m.folded) && j-i < 6 && '0' <= m.folded[j] && m.folded[j] <= '9' {
			j++
		}
		if j-i < 2 || j-i > 5 || j >= len(m.folded) || m.folded[j] != ']' || at < 2 || m.folded[at-1] != ' ' {
			continue
		}
		if p := m.folded[at-2]; !(p == ')' || 'a' <= p && p <= 'z') {
			continue
		}
		n, _ := strconv.Atoi(m.folded[i:j])
		add(n, at, m.input[at:j+1], 15, true)
		k++
	}
}
