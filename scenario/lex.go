package scenario

import (
	"fmt"
	"strings"
)

// tokKind says what a token is.
type tokKind int

const (
	tWord   tokKind = iota // client, 16, ECONNRESET, server>client, in,out
	tString                // "hello", Text holds the decoded bytes
	tLabel                 // a word immediately followed by ':', Text without it
	tArrow                 // ->
)

// token is one lexical element of a line.
type token struct {
	kind tokKind
	text string
	col  int // first byte, from 1
	end  int // column just after the token
}

// describe names a token for a message the way the user wrote it.
func (t token) describe() string {
	switch t.kind {
	case tString:
		return "quoted text"
	case tLabel:
		return fmt.Sprintf("%q", t.text+":")
	case tArrow:
		return `"->"`
	}
	return fmt.Sprintf("%q", t.text)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// lexLine splits one line into tokens. It returns the statement text (the
// line without comment and surrounding space) and, when the line cannot be
// split, an error message and the column it applies to.
func lexLine(line string) (toks []token, text string, errCol int, errMsg string) {
	stmtEnd := len(line)
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case isSpace(c):
			i++
			continue
		case c == '#':
			stmtEnd = i
			i = len(line)
			continue
		case c == '"':
			s, n, col, msg := unquote(line[i:])
			if msg != "" {
				return nil, "", i + col, msg
			}
			toks = append(toks, token{kind: tString, text: s, col: i + 1, end: i + n + 1})
			i += n
			continue
		case strings.HasPrefix(line[i:], "->"):
			toks = append(toks, token{kind: tArrow, text: "->", col: i + 1, end: i + 3})
			i += 2
			continue
		case c == ':':
			return nil, "", i + 1, `unexpected ":", expected a label such as "tcp:" or "darwin:" with no space before the colon`
		}
		start := i
		for i < len(line) {
			c := line[i]
			if isSpace(c) || c == '"' || c == '#' || c == ':' || strings.HasPrefix(line[i:], "->") {
				break
			}
			i++
		}
		if i-start > MaxWord {
			return nil, "", start + 1, fmt.Sprintf("word %s is longer than %d bytes, expected a name, number or label", Quote(line[start:i]), MaxWord)
		}
		t := token{kind: tWord, text: line[start:i], col: start + 1, end: i + 1}
		if i < len(line) && line[i] == ':' {
			t.kind = tLabel
			i++
			t.end = i + 1
		}
		toks = append(toks, t)
	}
	text = strings.Trim(line[:stmtEnd], " \t\r\v\f")
	return toks, text, 0, ""
}

// unquote decodes the quoted text at the start of s. It returns the text,
// the number of bytes of s it used, and on failure the column (from 1,
// relative to s) and a message.
func unquote(s string) (text string, n int, errCol int, errMsg string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), i + 1, 0, ""
		case '\\':
			if i+1 >= len(s) {
				return "", 0, i + 1, `quoted text ends in "\", expected an escape such as \" or \\ and a closing "`
			}
			switch e := s[i+1]; e {
			case '"', '\\':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'x':
				if i+3 >= len(s) || unhex(s[i+2]) < 0 || unhex(s[i+3]) < 0 {
					end := min(i+4, len(s))
					return "", 0, i + 1, fmt.Sprintf(`invalid escape %s, expected \x and two hexadecimal digits`, s[i:end])
				}
				b.WriteByte(byte(unhex(s[i+2])<<4 | unhex(s[i+3])))
				i += 2
			default:
				return "", 0, i + 1, fmt.Sprintf(`unknown escape %s in quoted text, expected \", \\, \n, \t, \r or \xHH`, s[i:i+2])
			}
			i++
		default:
			b.WriteByte(c)
		}
		if b.Len() > MaxText {
			return "", 0, 1, fmt.Sprintf("quoted text is longer than %d bytes (%d MiB), the most a scenario may write", MaxText, MaxText>>20)
		}
	}
	return "", 0, 1, `quoted text is not terminated, expected a closing " before the end of the line`
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}
