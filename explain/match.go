package explain

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"strings"
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
	// Whether a space of a text may have to match a run of them here.
	runs := strings.Contains(folded, "  ") || strings.IndexByte(folded, '\t') >= 0
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
			j, ok, truncated := m.ix.phrases[p].matchAt(folded, i, tail, runs)
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
// least minTruncated bytes of it are there. runs says whether folded
// holds runs of spaces or tabs (see spacedPrefixLen).
func (p *phrase) matchAt(folded string, i, tail int, runs bool) (j int, ok, truncated bool) {
	if p.parts == nil {
		if strings.HasPrefix(folded[i:], p.key) {
			return i + len(p.key), true, false
		}
		if runs {
			if n := spacedPrefixLen(folded[i:], p.key); n >= 0 {
				return i + n, true, false
			}
		}
		if rest := folded[i:max(i, tail)]; len(rest) >= minTruncated && len(rest) < len(p.key) && strings.HasPrefix(p.key, rest) {
			return tail, true, true
		}
		return 0, false, false
	}
	j = i
	for n, part := range p.parts {
		if n > 0 {
			in := isDigit
			if p.holes[n-1] == 'a' {
				in = isAddrByte
			}
			k := j
			for k < len(folded) && in(folded[k]) {
				k++
			}
			// The hole takes as much as it can, then gives back its end
			// when the text goes on with one of the hole's own bytes:
			// "ipv4:{addr}: Socket closed" must leave the colon after
			// the port to the text.
			for k > j && !strings.HasPrefix(folded[k:], part) && (!runs || spacedPrefixLen(folded[k:], part) < 0) {
				k--
			}
			if k == j || p.holes[n-1] == 'a' && !strings.ContainsAny(folded[j:k], "0123456789.:[]%") {
				// An address hole holds an address or a host name with
				// its domain: a word alone ("by user", "by application")
				// says who, not where.
				return 0, false, false
			}
			j = k
		}
		switch {
		case strings.HasPrefix(folded[j:], part):
			j += len(part)
		case runs:
			n := spacedPrefixLen(folded[j:], part)
			if n < 0 {
				return 0, false, false
			}
			j += n
		default:
			return 0, false, false
		}
	}
	return j, true, false
}

// spacedPrefixLen reports how many bytes of s the key matches at its
// start, or -1, where a space in the key also matches a run of spaces and
// tabs: pasted logs align their fields, and a copied line keeps the
// spaces of the wrap it was copied from ("The requested address     is
// not valid"); a text should not miss them for that. matchAt makes this
// slower comparison only when the input holds such a run at all, and only
// past a text's first three bytes, by which the index finds it.
func spacedPrefixLen(s, key string) int {
	i := 0
	for k := 0; k < len(key); k++ {
		if i >= len(s) {
			return -1
		}
		if key[k] != ' ' {
			if s[i] != key[k] {
				return -1
			}
			i++
			continue
		}
		// A run of r spaces in the key takes a run of r or more in s.
		r := 1
		for k+r < len(key) && key[k+r] == ' ' {
			r++
		}
		w := 0
		for i+w < len(s) && (s[i+w] == ' ' || s[i+w] == '\t') {
			w++
		}
		if w < r {
			return -1
		}
		i += w
		k += r - 1
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isAddrByte reports whether c may be part of a host name or address with
// a port as logs print them: "db-1.example:5432", "198.18.0.9:80",
// "[2001:db8::1]:443", "fe80::1%eth0". The input is folded to lower case.
func isAddrByte(c byte) bool {
	return 'a' <= c && c <= 'z' || isDigit(c) || strings.IndexByte(".:-_%[]", c) >= 0
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
