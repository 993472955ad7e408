package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"café ✓", "café ✓"},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{"del\x7f", `del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bidi \u202etxt.exe", `bidi \u202etxt.exe`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("\x1b[2J\x1b]0;title\x07")
	f.Add("\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		for _, r := range e {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || reorders(r) {
				t.Fatalf("Escape(%q) = %q keeps %U", s, e, r)
			}
		}
	})
}

// TestTextEscapesUserInput writes a run whose every user-given text holds
// escape sequences and checks that none reaches the output raw.
func TestTextEscapesUserInput(t *testing.T) {
	osc := "\x1b]0;pwned\x07"
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	rec := &lab.Record{
		Scenario: "esc/title", Title: "title " + osc, Notes: []string{"note " + osc}, Transport: scenario.Unix, Verdict: lab.Failed, Start: t0,
		Sources: []scenario.Source{{Document: "doc" + osc, Part: "part" + osc}},
		Error:   "file" + osc + ".td: failed",
		Steps: []lab.Step{
			{Kind: "op", Line: 5, Text: `client write "` + osc + `"`, Start: t0, Data: osc},
			{Kind: "expect", Line: 6, Text: "expect " + osc, Start: t0, Check: &lab.Check{Observed: "seen " + osc, Note: "note " + osc}},
		},
	}
	skipped := &lab.Record{Scenario: "esc/skip", Transport: scenario.Unix, Verdict: lab.Skipped, Skip: "why " + osc}
	var b bytes.Buffer
	Text(&b, []string{"limit " + osc}, []*lab.Record{rec, skipped}, Options{All: true})
	out := b.String()
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\x07") {
		t.Errorf("raw escape sequences in the report:\n%q", out)
	}
	if n := strings.Count(out, `\x1b]0;pwned\x07`); n < 10 {
		t.Errorf("%d escaped sequences in the report, want one per text (10 or more):\n%s", n, out)
	}
}

// TestTextCutsLongText checks that a megabyte title and statement are cut
// in the text report, saying how long they were.
func TestTextCutsLongText(t *testing.T) {
	long := strings.Repeat("é", 1<<20)
	rec := &lab.Record{Scenario: "long/title", Title: long, Transport: scenario.Unix, Verdict: lab.Match,
		Steps: []lab.Step{{Kind: "op", Line: 5, Text: `client write "` + long + `"`}}}
	var b bytes.Buffer
	Timeline(&b, rec, Options{})
	if b.Len() > 2000 || strings.Count(b.String(), "(2097152 bytes)") != 1 || !strings.Contains(b.String(), "(2097167 bytes)") {
		t.Errorf("%d bytes of report for a 2 MiB title and statement:\n%.600s", b.Len(), b.String())
	}
}
