package scenario

import (
	"sort"
	"strings"
)

// Error is one problem found in a scenario file, at the place it was found.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is what Parse returns when a scenario is not valid: the first
// problems in the file (at most maxErrors), sorted by position.
type ErrorList []*Error

// maxErrors bounds an ErrorList: past the first few, errors are usually
// consequences of earlier ones.
const maxErrors = 10

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// sortAndTrim orders l by position, drops exact duplicates and keeps the
// first maxErrors.
func (l ErrorList) sortAndTrim() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := l[:0]
	for _, e := range l {
		if len(out) > 0 && *e == *out[len(out)-1] {
			continue
		}
		out = append(out, e)
	}
	if len(out) > maxErrors {
		out = out[:maxErrors]
	}
	return out
}
