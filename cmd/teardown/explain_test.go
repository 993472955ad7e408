package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
)

// The flag has its own name so that it cannot collide with the golden-file
// flags of other subcommands' tests in this package.
var updateExplainDoc = flag.Bool("update-explain", false, "rewrite the example outputs in docs/explain.md")

const explainDoc = "../../docs/explain.md"

// docExample is one "$ teardown explain ..." command of docs/explain.md
// with the output the document shows for it.
type docExample struct {
	cmd    string
	args   []string
	stdin  string
	output string
	// outStart and outEnd delimit the output lines in the document.
	outStart, outEnd int
}

// parseDocExamples reads the ```console blocks of the document. A command
// may take its standard input from a here-document (<<'EOF' ... EOF).
func parseDocExamples(t *testing.T, lines []string) []docExample {
	t.Helper()
	var exs []docExample
	in := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case !in && l == "```console":
			in = true
			continue
		case in && l == "```":
			in = false
			continue
		case !in || !strings.HasPrefix(l, "$ teardown explain"):
			continue
		}
		cmd := strings.TrimPrefix(l, "$ ")
		ex := docExample{cmd: cmd}
		if heredoc := strings.Index(cmd, " <<'EOF'"); heredoc >= 0 {
			cmd = cmd[:heredoc]
			var body []string
			for i++; i < len(lines) && lines[i] != "EOF"; i++ {
				body = append(body, lines[i])
			}
			ex.stdin = strings.Join(body, "\n") + "\n"
		}
		words, err := shellWords(cmd)
		if err != nil {
			t.Fatalf("%s:%d: %v", explainDoc, i+1, err)
		}
		ex.args = words[2:]
		ex.outStart = i + 1
		j := ex.outStart
		for j < len(lines) && lines[j] != "```" && !strings.HasPrefix(lines[j], "$ ") {
			j++
		}
		ex.outEnd = j
		ex.output = strings.Join(lines[ex.outStart:j], "\n")
		exs = append(exs, ex)
		i = j - 1
	}
	return exs
}

// shellWords splits a command line the way a POSIX shell does for the
// quoting the document uses: single quotes, double quotes with backslash
// escapes, and plain words.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errUnterminated
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errUnterminated
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

var errUnterminated = errors.New("unterminated quote")

// TestExplainDocExamples runs every example of docs/explain.md through the
// real subcommand and compares the output with what the document shows.
// Run with -update-explain to rewrite the document's outputs.
func TestExplainDocExamples(t *testing.T) {
	raw, err := os.ReadFile(explainDoc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	exs := parseDocExamples(t, lines)
	if len(exs) < 10 {
		t.Fatalf("%s has %d examples, want at least 10", explainDoc, len(exs))
	}
	old := explainStdin
	defer func() { explainStdin = old }()
	// Rewrite from the end so that earlier line numbers stay valid.
	for k := len(exs) - 1; k >= 0; k-- {
		ex := exs[k]
		var out, errOut bytes.Buffer
		explainStdin = strings.NewReader(ex.stdin)
		code := runExplain(ex.args, &out, &errOut)
		got := strings.TrimRight(out.String(), "\n")
		wantCode := exitOK
		if strings.HasPrefix(got, "no known error found") {
			wantCode = exitDiffers
		}
		if code != wantCode {
			t.Errorf("%s: exit %d (%s), want %d", ex.cmd, code, errOut.String(), wantCode)
		}
		if *updateExplainDoc {
			lines = append(lines[:ex.outStart], append(strings.Split(got, "\n"), lines[ex.outEnd:]...)...)
			continue
		}
		if got != ex.output {
			t.Errorf("%s:%d: %s\n--- document shows:\n%s\n--- command prints:\n%s", explainDoc, ex.outStart, ex.cmd, ex.output, got)
		}
	}
	if *updateExplainDoc {
		if err := os.WriteFile(explainDoc, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExplainUsage(t *testing.T) {
	tests := []struct {
		args  []string
		stdin string
		code  int
		out   string // a substring of standard output
		err   string // a substring of standard error
	}{
		{[]string{"--help"}, "", exitOK, "Usage: teardown explain", ""},
		{[]string{"--os", "plan9", "104"}, "", exitUsage, "", `--os "plan9"`},
		{[]string{"--bogus"}, "", exitUsage, "", "flag provided but not defined"},
		{[]string{}, "  \n", exitUsage, "", "no input"},
		{[]string{"--list", "x"}, "", exitUsage, "", "--list takes no TEXT"},
		{[]string{"--list"}, "", exitOK, "ECONNRESET", ""},
		{[]string{"all", "is", "well"}, "", exitDiffers, "no known error found", ""},
		{[]string{"ECONNRESTE"}, "", exitDiffers, "nearest:\n  ECONNRESET", ""},
		{[]string{}, "write tcp: write: broken pipe\n", exitOK, "EPIPE", ""},
		{[]string{"-"}, "Connection refused", exitOK, "ECONNREFUSED", ""},
		{[]string{"--os", "macos", "60"}, "", exitOK, "ETIMEDOUT", ""},
		{[]string{"--json", "104"}, "", exitOK, `"id": "ECONNRESET"`, ""},
		{[]string{"--json", "nothing"}, "", exitDiffers, `"found": false`, ""},
		{[]string{"--texts", "EPIPE"}, "", exitOK, "BrokenPipeError", ""},
		{[]string{}, "write: broken pipe\n" + strings.Repeat("x", explainMaxInput), exitOK, "EPIPE", "only the first 1048576 were read"},
		{[]string{"--lines", "-"}, "ok\nread: connection reset by peer\n", exitOK, "2: ECONNRESET [reset]", ""},
		{[]string{"--lines", "-"}, "all is well\n", exitDiffers, "summary: 1 line, 0 with an error", ""},
		{[]string{"--lines", "-", "--json"}, "write: broken pipe\n", exitOK, `"summary":{"lines":1,"errors":1`, ""},
		{[]string{"--lines", "/nonexistent/teardown.log"}, "", exitUsage, "", "no such file"},
		{[]string{"--lines", "-", "EPIPE"}, "", exitUsage, "", "--lines takes no TEXT"},
	}
	old := explainStdin
	defer func() { explainStdin = old }()
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		explainStdin = strings.NewReader(tt.stdin)
		code := runExplain(tt.args, &out, &errOut)
		if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errOut.String(), tt.err) {
			t.Errorf("explain %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				tt.args, code, out.String(), errOut.String(), tt.code, tt.out, tt.err)
		}
	}
}
