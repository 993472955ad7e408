package scenario

import (
	"strconv"
	"strings"
	"time"
)

// args reads the arguments of one statement in order.
type args struct {
	p    *parser
	toks []token
	i    int
	prev token  // the last token read, for "missing ... after" messages
	stmt string // the keyword or operation, for messages
}

func (a *args) more() bool { return a.i < len(a.toks) }

func (a *args) next() (token, bool) {
	if !a.more() {
		return token{}, false
	}
	t := a.toks[a.i]
	a.i++
	a.prev = t
	return t, true
}

// first is the first argument, or the statement's keyword when there is
// none.
func (a *args) first() token {
	if len(a.toks) > 0 {
		return a.toks[0]
	}
	return a.prev
}

// end checks that no argument is left.
func (a *args) end() bool {
	if !a.more() {
		return true
	}
	t := a.toks[a.i]
	a.p.errorf(t.col, "unexpected %s after %s, expected the end of the statement", t.describe(), a.prev.describe())
	return false
}

func (a *args) missing(what, expected string) {
	a.p.errorf(a.prev.end, "missing %s after %s, expected %s", what, a.prev.describe(), expected)
}

// word reads a word: what names it and expected describes it.
func (a *args) word(what, expected string) (token, bool) {
	t, ok := a.next()
	if !ok {
		a.missing(what, expected)
		return t, false
	}
	if t.kind != tWord {
		a.p.errorf(t.col, "unexpected %s, expected %s", t.describe(), expected)
		return t, false
	}
	return t, true
}

// text reads quoted text that is not empty.
func (a *args) text(what, expected string) (string, bool) {
	t, ok := a.next()
	if !ok {
		a.missing(what, expected)
		return "", false
	}
	if t.kind != tString {
		a.p.errorf(t.col, "unexpected %s, expected %s", t.describe(), expected)
		return "", false
	}
	if t.text == "" {
		a.p.errorf(t.col, "empty %s, expected %s", what, expected)
		return "", false
	}
	return t.text, true
}

// integer reads a whole number from lo to hi.
func (a *args) integer(what string, lo, hi int) (int, bool) {
	expected := "a whole number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)
	t, ok := a.word(what, expected)
	if !ok {
		return 0, false
	}
	if t.text == "" || strings.Trim(t.text, "0123456789") != "" {
		a.p.errorf(t.col, "invalid %s %q, expected %s", what, t.text, expected)
		return 0, false
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < lo || n > hi {
		a.p.errorf(t.col, "%s %s is out of range, expected %s", what, t.text, expected)
		return 0, false
	}
	return n, true
}

// duration reads a duration in Go syntax, more than zero and at most a
// minute.
func (a *args) duration(what string) (time.Duration, bool) {
	const expected = "a duration such as 100ms or 1.5s"
	t, ok := a.next()
	if !ok {
		a.p.errorf(a.prev.end, "missing duration after %s, expected %s", a.prev.describe(), expected)
		return 0, false
	}
	if t.kind != tWord {
		a.p.errorf(t.col, "unexpected %s, expected %s", t.describe(), expected)
		return 0, false
	}
	d, err := time.ParseDuration(t.text)
	if err != nil {
		if strings.Trim(t.text, "0123456789.") == "" {
			a.p.errorf(t.col, "missing unit in duration %q, expected e.g. %sms or %ss", t.text, t.text, t.text)
		} else {
			a.p.errorf(t.col, "invalid duration %q, expected %s", t.text, expected)
		}
		return 0, false
	}
	if d <= 0 {
		a.p.errorf(t.col, "%s %s is not longer than zero, expected %s", what, t.text, expected)
		return 0, false
	}
	if d > maxDuration {
		a.p.errorf(t.col, "%s %s is longer than the maximum, expected at most 1m", what, t.text)
		return 0, false
	}
	return d, true
}

// blockDuration reads a duration a call may block for, which must end
// within the scenario's limit.
func (a *args) blockDuration(what string) (time.Duration, bool) {
	d, ok := a.duration(what)
	if !ok {
		return 0, false
	}
	if d > a.p.s.Limit {
		a.p.errorf(a.prev.col, "%s %s is longer than the step limit %v, expected at most %v or a larger \"limit\" in the header", what, a.prev.text, a.p.s.Limit, a.p.s.Limit)
		return 0, false
	}
	return d, true
}

// lingerValue reads seconds or "off" (-1).
func (a *args) lingerValue(what string) (int, bool) {
	if !a.more() {
		a.missing("seconds", "seconds from 0 to "+strconv.Itoa(maxInt)+" or off")
		return 0, false
	}
	if a.more() && a.toks[a.i].kind == tWord && a.toks[a.i].text == "off" {
		a.next()
		return -1, true
	}
	if a.more() && a.toks[a.i].kind == tWord && strings.Trim(a.toks[a.i].text, "0123456789") != "" {
		t, _ := a.next()
		a.p.errorf(t.col, "invalid %s value %q, expected seconds from 0 to %d or off%s", what, t.text, maxInt, didYouMean(t.text, []string{"off"}))
		return 0, false
	}
	return a.integer(what+" seconds", 0, maxInt)
}
