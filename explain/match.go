package explain

import (
	"cmp"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Evidence kinds, strongest first.
const (
	EvMessage = "message" // a message text, in any language
	EvName    = "name"    // an errno, WSA or signal name
	EvClass   = "class"   // an exception class, error kind or symbolic code
	EvCode    = "code"    // a tool's code: curl exit code, HAProxy state, ...
	EvNumber  = "number"  // an error number
)

// Evidence is one place in the input that points at an entry.
type Evidence struct {
	// Kind is one of the Ev constants.
	Kind string `json:"kind"`
	// Match is the text of the input that matched.
	Match string `json:"match"`
	// Offset is the byte offset of Match in the input.
	Offset int `json:"offset"`
	// By lists who prints what matched (glibc, go, java, ...), those whose
	// text matches letter case exactly first.
	By []string `json:"by,omitempty"`
	// Lang is the locale of a matched translation.
	Lang string `json:"lang,omitempty"`
	// OS is the operating system whose numbering a number was read in.
	OS string `json:"os,omitempty"`
	// Strength orders evidence: an exact message beats a name, a name beats
	// a number.
	Strength int `json:"strength"`
	// Truncated is set when the input ends inside the message matched:
	// Match is the part of it that was there.
	Truncated bool `json:"truncated,omitempty"`
	// weak evidence (a bare or loosely placed number, a key shared by
	// several entries) only counts when nothing stronger was found.
	weak bool
	// wrapper evidence is a text that says a connection failed without
	// saying how; see Text.Wrapper.
	wrapper bool
	// causes are the Text.Cause of the texts matched.
	causes []string
}

// A Finding is an entry the input mentions, with the evidence for it.
type Finding struct {
	Entry    *Entry     `json:"-"`
	ID       string     `json:"id"`
	Score    int        `json:"score"`
	Evidence []Evidence `json:"evidence"`
}

// Options adjust matching.
type Options struct {
	// OS, when set, reads numbers in that OS's numbering only.
	OS string
}

// maxInput bounds the text the matcher reads; a log line or stack trace is
// far shorter, and the bound keeps any input cheap.
const maxInput = 1 << 20

// maxRepeats bounds how many occurrences of one text, word or number
// pattern count as evidence: a log that repeats a line ten thousand times
// says no more than one that repeats it a few times, and the bound keeps
// the matcher linear in the input.
const maxRepeats = 8

type phrase struct {
	key   string // folded text
	entry *Entry
	text  Text
	// parts is key split at each {n}, the place of a decimal number
	// ("timeout of {n}ms exceeded"); nil for a key without one.
	parts []string
}

// numberHole in a text stands for a decimal number of any value.
const numberHole = "{n}"

// minTruncated is the shortest end of a phrase that, cut off where the
// input ends, still counts as the phrase: a line copied from a terminal or
// a log viewer often stops mid-word.
const minTruncated = 24

type tokenRef struct {
	entry *Entry
	kind  string
	by    string
	label string
}

type numberRef struct {
	entry *Entry
	os    string
}

type index struct {
	phrases []phrase
	// byGram lists, for the first three bytes of each phrase key, the
	// phrases starting with them, so that one pass over the input finds
	// every candidate; gramSet is the same set as a bitmap, to skip most
	// places at the cost of one load.
	byGram  map[uint32][]int32
	gramSet []uint64
	tokens  map[string][]tokenRef // case-sensitive words
	numbers map[int][]numberRef
	curl    map[string][]tokenRef // curl exit code
	mysql   map[string][]tokenRef // MySQL client error number
	haproxy map[string][]tokenRef // termination state, first two letters
	envoy   map[string][]tokenRef // response flag
	// phraseEntries counts the entries each phrase key belongs to.
	phraseEntries map[string]int
	// names are all matchable keys of each entry, folded, for "nearest";
	// grams holds the trigram set of each.
	names map[*Entry][]string
	grams map[*Entry][]map[string]bool
}

func buildIndex(b *Base) *index {
	ix := &index{
		tokens:  map[string][]tokenRef{},
		numbers: map[int][]numberRef{},
		curl:    map[string][]tokenRef{},
		mysql:   map[string][]tokenRef{},
		haproxy: map[string][]tokenRef{},
		envoy:   map[string][]tokenRef{},
		names:   map[*Entry][]string{},
	}
	phraseOwners := map[string]map[*Entry]bool{}
	addTok := func(key string, r tokenRef) {
		for _, old := range ix.tokens[key] {
			if old.entry == r.entry && old.by == r.by {
				return
			}
		}
		ix.tokens[key] = append(ix.tokens[key], r)
	}
	for _, e := range b.Entries {
		ix.names[e] = append(ix.names[e], fold(e.ID), fold(e.Title))
		// The id itself is a name, so that "explain DEADLINE" works.
		addTok(e.ID, tokenRef{entry: e, kind: EvName, label: e.ID})
		for _, os := range OSes {
			for _, n := range e.Names[os] {
				addTok(n, tokenRef{entry: e, kind: EvName, label: n})
				ix.names[e] = append(ix.names[e], fold(n))
			}
		}
		for _, n := range e.Names["any"] {
			addTok(n, tokenRef{entry: e, kind: EvName, label: n})
			ix.names[e] = append(ix.names[e], fold(n))
		}
		// Erlang and some C libraries print errno names in lower case
		// ({error,econnrefused}); an errno name is specific enough to
		// be matched so too.
		for _, os := range append(OSes, "any") {
			for _, n := range e.Names[os] {
				if isErrnoName(n) {
					addTok(strings.ToLower(n), tokenRef{entry: e, kind: EvName, label: n})
				}
			}
		}
		// In OSes order, so that candidates are listed the same way each run.
		for _, os := range OSes {
			if n, ok := e.Numbers[os]; ok {
				ix.numbers[n] = append(ix.numbers[n], numberRef{entry: e, os: os})
			}
		}
		for _, t := range e.Texts {
			if t.Text != "" && !t.NoMatch {
				// A final period is left out of the key: Python strips it
				// from Windows messages, and log lines often drop it.
				key := strings.TrimRight(fold(t.Text), ".")
				ph := phrase{key: key, entry: e, text: t}
				if strings.Contains(key, numberHole) {
					ph.parts = strings.Split(key, numberHole)
				}
				ix.phrases = append(ix.phrases, ph)
				ix.names[e] = append(ix.names[e], key)
				if phraseOwners[key] == nil {
					phraseOwners[key] = map[*Entry]bool{}
				}
				phraseOwners[key][e] = true
			}
			if t.Class != "" {
				// A dotted class (java.net.ConnectException) is found by its
				// last part, which is what stack traces always contain.
				key := t.Class[strings.LastIndexByte(t.Class, '.')+1:]
				addTok(key, tokenRef{entry: e, kind: EvClass, by: t.By, label: t.Class})
				if t.By == "grpc" {
					// gRPC-Go prints codes in CamelCase ("code = Unavailable").
					addTok(grpcCamel(key), tokenRef{entry: e, kind: EvClass, by: t.By, label: t.Class})
				}
			}
			if t.Code != "" {
				r := tokenRef{entry: e, kind: EvCode, by: t.By, label: t.Code}
				switch t.By {
				case "curl":
					ix.curl[t.Code] = appendRef(ix.curl[t.Code], r)
				case "mysql":
					ix.mysql[t.Code] = appendRef(ix.mysql[t.Code], r)
				case "haproxy":
					ix.haproxy[t.Code] = appendRef(ix.haproxy[t.Code], r)
				case "envoy":
					ix.envoy[t.Code] = appendRef(ix.envoy[t.Code], r)
				default:
					addTok(t.Code, r)
				}
			}
		}
	}
	ix.grams = map[*Entry][]map[string]bool{}
	for e, keys := range ix.names {
		for _, k := range keys {
			ix.grams[e] = append(ix.grams[e], trigrams(k))
		}
	}
	ix.phraseEntries = map[string]int{}
	for k, owners := range phraseOwners {
		ix.phraseEntries[k] = len(owners)
	}
	// Longer phrases first, so that the longest match at a place wins.
	sort.SliceStable(ix.phrases, func(i, j int) bool { return len(ix.phrases[i].key) > len(ix.phrases[j].key) })
	ix.byGram = map[uint32][]int32{}
	ix.gramSet = make([]uint64, 1<<24/64)
	for i, p := range ix.phrases {
		if len(p.key) < 3 {
			// Two-letter texts are codes, not messages; none is matched
			// as a phrase.
			continue
		}
		g := gram(p.key, 0)
		ix.byGram[g] = append(ix.byGram[g], int32(i))
		ix.gramSet[g/64] |= 1 << (g % 64)
	}
	return ix
}

// gram packs the three bytes of s at i into an index of gramSet.
func gram(s string, i int) uint32 {
	return uint32(s[i])<<16 | uint32(s[i+1])<<8 | uint32(s[i+2])
}

// isErrnoName reports whether n looks like a POSIX errno name (ENOTCONN).
func isErrnoName(n string) bool {
	if len(n) < 5 || n[0] != 'E' {
		return false
	}
	for i := 1; i < len(n); i++ {
		if n[i] < 'A' || n[i] > 'Z' {
			return false
		}
	}
	return true
}

func appendRef(refs []tokenRef, r tokenRef) []tokenRef {
	for _, old := range refs {
		if old.entry == r.entry {
			return refs
		}
	}
	return append(refs, r)
}

// grpcCamel turns DEADLINE_EXCEEDED into DeadlineExceeded.
func grpcCamel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if part == "" {
			continue
		}
		b.WriteString(part[:1])
		b.WriteString(strings.ToLower(part[1:]))
	}
	return b.String()
}

// fold lower-cases s without changing the byte length of any rune, so that
// offsets in the folded text are offsets in the original.
func fold(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Keep invalid bytes one for one.
			b = append(b, '?')
			i++
			continue
		}
		if l := unicode.ToLower(r); utf8.RuneLen(l) == size {
			b = utf8.AppendRune(b, l)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// bounded reports whether s[i:j] is not part of a longer ASCII word.
func bounded(s string, i, j int) bool {
	if i > 0 && isWordByte(s[i]) && isWordByte(s[i-1]) {
		return false
	}
	if j < len(s) && isWordByte(s[j-1]) && isWordByte(s[j]) {
		return false
	}
	return true
}

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
	reCurl      = regexp.MustCompile(`curl(?::| error) \((\d{1,3})\)`)
	reMySQL     = regexp.MustCompile(`error (\d{4}) \(`)
	reBare      = regexp.MustCompile(`^\s*(\d{1,5})\s*$`)
)

// Match finds every entry the input mentions and ranks them, best first.
// It never fails: input it cannot use gives no findings.
func (b *Base) Match(input string, opt Options) []Finding {
	if len(input) > maxInput {
		input = input[:maxInput]
	}
	m := matcher{ix: b.index, input: input, folded: fold(input), opt: opt}
	m.messages()
	m.words()
	m.fields()
	m.toolCodes()
	m.numbers()
	return m.findings()
}

type found struct {
	e  *Entry
	ev Evidence
}

type span struct {
	i, j int
	e    *Entry
}

// matcher holds the state of one Match call.
type matcher struct {
	ix     *index
	input  string
	folded string
	opt    Options
	ev     []found
	// msgSpans are the places where messages matched, for every entry.
	msgSpans []span
}

// add records evidence, unless it sits inside a message matched for
// another entry: "(110: Connection timed out)" inside nginx's "upstream
// timed out (110: ...)" is part of that message, not a second error.
func (m *matcher) add(e *Entry, x Evidence) {
	if x.Kind != EvMessage {
		for _, s := range m.msgSpans {
			if s.e != e && s.i <= x.Offset && x.Offset < s.j {
				return
			}
		}
	}
	m.ev = append(m.ev, found{e, x})
}

// messages finds message texts, longest first; a message inside a longer
// one already found at that place adds nothing ("Too many open files"
// inside "Too many open files in system").
func (m *matcher) messages() {
	type hit struct {
		i, j         int
		e            *Entry
		exact, other []string
		lang         string
		key          string
		wrapper      bool
		truncated    bool
		causes       []string
	}
	var hits []hit
	folded := m.folded
	// The place where a phrase cut off by the end of the input may end.
	tail := len(strings.TrimRight(folded, " \t\r\n.\"'`"))
	// Every place where a phrase matches, then longest phrase first (the
	// phrases are sorted so), each phrase's places in input order.
	type cand struct {
		i, j      int
		p         int32
		truncated bool
	}
	var cands []cand
	for i := 0; i+3 <= len(folded); i++ {
		g := gram(folded, i)
		if m.ix.gramSet[g/64]&(1<<(g%64)) == 0 {
			continue
		}
		for _, p := range m.ix.byGram[g] {
			j, ok, truncated := m.ix.phrases[p].matchAt(folded, i, tail)
			if ok && (truncated || bounded(folded, i, j)) {
				cands = append(cands, cand{i, j, p, truncated})
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(a.p, b.p) })
	seen := map[int32]int{}
	for _, c := range cands {
		p := &m.ix.phrases[c.p]
		i, j, truncated := c.i, c.j, c.truncated
		if seen[c.p]++; seen[c.p] > maxRepeats {
			continue
		}
		inside := false
		for _, s := range m.msgSpans {
			if s.i <= i && j <= s.j && s.j-s.i > j-i {
				inside = true
				break
			}
		}
		if inside {
			continue
		}
		exactCase := strings.TrimRight(p.text.Text, ".") == m.input[i:j]
		merged := false
		for h := range hits {
			if hits[h].i == i && hits[h].j == j && hits[h].e == p.entry {
				merged = true
				switch {
				case truncated && !hits[h].truncated:
					// A whole text already matched here; one that would
					// continue past the input's end says nothing more.
					continue
				case !truncated && hits[h].truncated:
					hits[h].exact, hits[h].other, hits[h].truncated, hits[h].wrapper = nil, nil, false, true
				}
				hits[h].exact, hits[h].other = addBy(hits[h].exact, hits[h].other, p.text.By, exactCase)
				hits[h].wrapper = hits[h].wrapper && p.text.Wrapper
				if p.text.Cause != "" {
					hits[h].causes = appendNew(hits[h].causes, p.text.Cause)
				}
			}
		}
		if !merged {
			h := hit{i: i, j: j, e: p.entry, lang: p.text.Lang, key: p.key, wrapper: p.text.Wrapper, truncated: truncated}
			h.exact, h.other = addBy(nil, nil, p.text.By, exactCase)
			if p.text.Cause != "" {
				h.causes = []string{p.text.Cause}
			}
			hits = append(hits, h)
			m.msgSpans = append(m.msgSpans, span{i, j, p.entry})
		}
	}
	// A phrase cut off by the end of the input yields to a whole phrase
	// of another entry at the same place.
	kept := hits[:0]
	for _, h := range hits {
		drop := false
		for _, o := range hits {
			drop = drop || h.truncated && !o.truncated && o.i == h.i && o.j == h.j && o.e != h.e
		}
		if !drop {
			kept = append(kept, h)
		}
	}
	hits = kept
	whole := strings.TrimRight(strings.TrimSpace(folded), ".")
	for _, h := range hits {
		strength := 50 + min(h.j-h.i, 50)/5
		if whole == h.key {
			strength = 100
		}
		m.add(h.e, Evidence{Kind: EvMessage, Match: m.input[h.i:h.j], Offset: h.i, By: append(h.exact, h.other...),
			Lang: h.lang, Strength: strength, Truncated: h.truncated,
			weak: m.ix.phraseEntries[h.key] > 1, wrapper: h.wrapper, causes: h.causes})
	}
}

// matchAt reports whether p's key occurs in folded at i and where the
// match ends. A key cut off by the end of the input (at tail, after
// trailing spaces and punctuation) matches too, as truncated, when at
// least minTruncated bytes of it are there.
func (p *phrase) matchAt(folded string, i, tail int) (j int, ok, truncated bool) {
	if p.parts == nil {
		if strings.HasPrefix(folded[i:], p.key) {
			return i + len(p.key), true, false
		}
		if rest := folded[i:max(i, tail)]; len(rest) >= minTruncated && len(rest) < len(p.key) && strings.HasPrefix(p.key, rest) {
			return tail, true, true
		}
		return 0, false, false
	}
	j = i
	for n, part := range p.parts {
		if n > 0 {
			k := j
			for k < len(folded) && '0' <= folded[k] && folded[k] <= '9' {
				k++
			}
			if k == j {
				return 0, false, false
			}
			j = k
		}
		if !strings.HasPrefix(folded[j:], part) {
			return 0, false, false
		}
		j += len(part)
	}
	return j, true, false
}

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
			refs := re.refs[m.folded[x[2]:x[3]]]
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

// findings groups evidence by entry and ranks the entries. Entries backed
// only by weak evidence are shown only when nothing stronger was found.
func (m *matcher) findings() []Finding {
	byEntry := map[*Entry]*Finding{}
	var order []*Entry
	weak := map[*Entry]bool{}
	for _, x := range m.ev {
		f := byEntry[x.e]
		if f == nil {
			f = &Finding{Entry: x.e, ID: x.e.ID}
			byEntry[x.e] = f
			order = append(order, x.e)
			weak[x.e] = true
		}
		f.Evidence = append(f.Evidence, x.ev)
		weak[x.e] = weak[x.e] && x.ev.weak
	}
	var strongF, weakF []Finding
	for _, e := range order {
		f := byEntry[e]
		sort.SliceStable(f.Evidence, func(i, j int) bool {
			if f.Evidence[i].Strength != f.Evidence[j].Strength {
				return f.Evidence[i].Strength > f.Evidence[j].Strength
			}
			return f.Evidence[i].Offset < f.Evidence[j].Offset
		})
		f.Evidence = dedupe(f.Evidence)
		for i, x := range f.Evidence {
			if i == 0 {
				f.Score = x.Strength
			} else {
				f.Score += x.Strength / 10
			}
		}
		if weak[e] {
			weakF = append(weakF, *f)
		} else {
			strongF = append(strongF, *f)
		}
	}
	out := strongF
	if len(out) == 0 {
		out = weakF
	}
	// A wrapper ("MySQL server has gone away (ConnectionResetError(...))")
	// yields to the more specific cause the same input names: an entry
	// whose only messages are wrappers ranks after every entry with a
	// message of its own.
	specific := map[string]bool{}
	anySpecific := false
	for _, f := range out {
		for _, x := range f.Evidence {
			if x.Kind == EvMessage && !x.wrapper {
				specific[f.ID] = true
				anySpecific = true
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if anySpecific && specific[out[i].ID] != specific[out[j].ID] {
			return specific[out[i].ID]
		}
		return out[i].Score > out[j].Score
	})
	return out
}

// Tied returns the ids of the findings that rank first together: the
// input supports each of them as well as the others (curl's
// "SSL_ERROR_SYSCALL" is an EOF or a reset; Envoy's "connection
// termination" is a FIN or an RST). It returns nil when one finding
// ranks first alone.
func Tied(fs []Finding) []string {
	if len(fs) < 2 || fs[1].Score != fs[0].Score || !sameEvidence(fs[0], fs[1]) {
		return nil
	}
	var ids []string
	for _, f := range fs {
		if f.Score != fs[0].Score || !sameEvidence(fs[0], f) {
			break
		}
		ids = append(ids, f.ID)
	}
	return ids
}

// sameEvidence reports whether two findings rest on the same strongest
// evidence: the same text at the same place.
func sameEvidence(a, b Finding) bool {
	return len(a.Evidence) > 0 && len(b.Evidence) > 0 &&
		a.Evidence[0].Offset == b.Evidence[0].Offset && a.Evidence[0].Match == b.Evidence[0].Match
}

// dedupe keeps, of evidence for the same text at the same place (an errno
// name that is also a Node code, say), only the strongest, which comes
// first.
func dedupe(ev []Evidence) []Evidence {
	seen := map[string]bool{}
	out := ev[:0]
	for _, x := range ev {
		k := strconv.Itoa(x.Offset) + "\x00" + x.Match + "\x00" + x.OS
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, x)
	}
	return out
}

func distinct(refs []tokenRef) []*Entry {
	var es []*Entry
	for _, r := range refs {
		dup := false
		for _, e := range es {
			dup = dup || e == r.entry
		}
		if !dup {
			es = append(es, r.entry)
		}
	}
	return es
}

// addBy adds a producer to a list kept as exact-case matches first: those
// are the likelier authors of the line.
func addBy(exact, other []string, who string, exactCase bool) ([]string, []string) {
	for _, b := range append(exact, other...) {
		if b == who {
			return exact, other
		}
	}
	if exactCase {
		return append(exact, who), other
	}
	return exact, append(other, who)
}
