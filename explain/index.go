package explain

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

type phrase struct {
	key   string // folded text
	entry *Entry
	text  Text
	// parts is key split at each hole: {n}, the place of a decimal number
	// ("timeout of {n}ms exceeded"), or {addr}, the place of a host or
	// address ("connection {n} to {addr} closed"); nil for a key without
	// one. holes[k] is the kind of the hole after parts[k].
	parts []string
	holes []byte
}

// The holes a text may have: numberHole stands for a decimal number of any
// value, addrHole for a host name or address with an optional port.
const (
	numberHole = "{n}"
	addrHole   = "{addr}"
)

// splitHoles splits a key at its holes, and says which hole follows each
// part: 'n' for a number, 'a' for an address.
func splitHoles(key string) (parts []string, holes []byte) {
	for {
		n, a := strings.Index(key, numberHole), strings.Index(key, addrHole)
		switch {
		case n < 0 && a < 0:
			return append(parts, key), holes
		case a < 0 || n >= 0 && n < a:
			parts, holes, key = append(parts, key[:n]), append(holes, 'n'), key[n+len(numberHole):]
		default:
			parts, holes, key = append(parts, key[:a]), append(holes, 'a'), key[a+len(addrHole):]
		}
	}
}

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
				if strings.Contains(key, numberHole) || strings.Contains(key, addrHole) {
					ph.parts, ph.holes = splitHoles(key)
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
