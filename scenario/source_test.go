package scenario

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

const boundsHeader = "scenario a/b\ntitle \"t\"\non socketpair\n"

// TestBounds feeds sources past each bound and checks that each is refused
// with a message of bounded length that names the bound, and that a source
// just inside it is accepted.
func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		says string // "" means the source is valid
	}{
		{"word at the bound", boundsHeader + "client read " + strings.Repeat("1", MaxWord) + "\n", "out of range"},
		{"word past the bound", boundsHeader + "client read " + strings.Repeat("1", 10<<20) + "\n", "longer than 256 bytes"},
		{"text at the bound", boundsHeader + `client write "` + strings.Repeat("x", MaxText) + "\"\n", ""},
		{"text past the bound", boundsHeader + `client write "` + strings.Repeat("x", MaxText+1) + "\"\n", "longer than 16777216 bytes"},
		{"escaped text past the bound", boundsHeader + `client write "` + strings.Repeat(`\x41`, MaxText+1) + "\"\n", "longer than 16777216 bytes"},
		{"lines at the bound", boundsHeader + strings.Repeat("client nonblock on\n", MaxLines-3), ""},
		{"lines past the bound", boundsHeader + strings.Repeat("client nonblock on\n", MaxLines-2), "more than 100000 lines"},
		{"errors on every line", strings.Repeat("x\n", MaxLines-1), "missing operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("b.td", []byte(tc.src))
			if tc.says == "" {
				if err != nil {
					t.Fatalf("%.300v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("%.300v; want an error saying %q", err, tc.says)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) > maxErrors {
				t.Errorf("%d errors, want an ErrorList of at most %d", len(list), maxErrors)
			}
			for _, e := range list {
				if len(e.Msg) > 400 {
					t.Errorf("a message of %d bytes: %.100s…", len(e.Msg), e.Msg)
				}
			}
		})
	}
}

func TestReadSourceFromBound(t *testing.T) {
	if _, err := ReadSourceFrom("stdin", strings.NewReader(strings.Repeat("#", MaxSource))); err != nil {
		t.Errorf("a source of MaxSource bytes: %v", err)
	}
	_, err := ReadSourceFrom("stdin", endless{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "stdin") {
		t.Errorf("an endless source: %v, want ErrTooLarge naming stdin", err)
	}
}

// endless is a reader that never ends, as /dev/zero.
type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"short", `"short"`},
		{strings.Repeat("a", 40), `"` + strings.Repeat("a", 40) + `"`},
		{strings.Repeat("a", 41), `"` + strings.Repeat("a", 40) + `"… (41 bytes)`},
		{strings.Repeat("a", 39) + "é", `"` + strings.Repeat("a", 39) + `"… (41 bytes)`},
		{"\x1b]0;title\x07", `"\x1b]0;title\a"`},
	} {
		if got := Quote(tc.in); got != tc.want || !utf8.ValidString(got) {
			t.Errorf("Quote(%.50q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
