package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape makes text from user input safe to print on a terminal: control
// characters (C0, DEL and C1, which start escape sequences that can set a
// terminal's title or move its cursor), the Unicode controls that reorder
// text on screen, and bytes that are not UTF-8 are written as Go escapes
// (\x1b, \n, \u202e, \xff). Other text is unchanged.
func Escape(s string) string {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || reorders(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// reorders reports whether r is one of the Unicode controls that change
// the order in which text is shown (the embeddings, overrides and
// isolates), which can make printed text read other than it is.
func reorders(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// maxShown bounds one user text in the text report: a title or a write may
// be megabytes long, which the JSON report keeps whole.
const maxShown = 240

// show is s as the text report prints it: cut to maxShown bytes, saying
// how long it was, and escaped.
func show(s string) string {
	if len(s) <= maxShown {
		return Escape(s)
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return Escape(s[:cut]) + fmt.Sprintf("… (%d bytes)", len(s))
}
