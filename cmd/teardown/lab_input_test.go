package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/scenario"
)

const eofScenario = "scenario mine/eof\ntitle \"a read after the peer closed returns 0\"\non unix\nclient close -> ok\nserver read 16 -> 0\n"

// TestLabNothingRan selects only runs this lab must skip (hosts made of
// namespaces, with isolation off): that is said, with its own exit status,
// and no source counts as reproduced.
func TestLabNothingRan(t *testing.T) {
	code, out, errOut := run("lab", "verify", "net/no-route", "--no-isolation")
	if code != exitNothingRan || !strings.Contains(errOut, "nothing ran: all 2 selected runs were skipped") ||
		!strings.Contains(out, "nothing ran") || strings.Contains(out, "sources reproduced") {
		t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitNothingRan, out, errOut)
	}
}

// TestLabDuplicateIDs names two files declaring one id.
func TestLabDuplicateIDs(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.td"), filepath.Join(dir, "b.td")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte(eofScenario), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := run("lab", "verify", a, b)
	if code != exitUsage || !strings.Contains(errOut, a) || !strings.Contains(errOut, b) || !strings.Contains(errOut, `"mine/eof"`) {
		t.Errorf("exit %d, want %d naming both files: %s", code, exitUsage, errOut)
	}
}

// TestLabHostileInput names inputs that would block or never end, and
// reads a scenario from stdin.
func TestLabHostileInput(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.td")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run("lab", "run", zero)
	if code != exitUsage || !strings.Contains(errOut, "character device") {
		t.Errorf("a link to /dev/zero: exit %d: %s", code, errOut)
	}

	cmd := asTeardown(t, "lab", "verify", "-")
	cmd.Stdin = strings.NewReader(eofScenario)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("1 runs: 1 matched")) {
		t.Errorf("a scenario on stdin: %v\n%s", err, out)
	}

	// An endless stdin is cut at the bound.
	cmd = asTeardown(t, "lab", "verify", "-")
	zf, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zf.Close()
	cmd.Stdin = zf
	out, err = cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || !bytes.Contains(out, []byte("too large")) {
		t.Errorf("/dev/zero on stdin: %v\n%s", err, out)
	}
}

// TestLabEscapesUserText runs a scenario whose title and written text hold
// terminal escape sequences, and names a file whose name holds one: none
// reaches the output raw.
func TestLabEscapesUserText(t *testing.T) {
	dir := t.TempDir()
	osc := "\x1b]0;pwned\x07"
	p := filepath.Join(dir, "esc.td")
	src := "scenario esc/title\ntitle \"set the title " + osc + "\"\non socketpair\nclient write \"" + osc + "\" -> 9\nserver read 16 -> 9\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errOut := run("lab", "run", p)
	if strings.ContainsAny(out+errOut, "\x1b\x07") || !strings.Contains(out, `set the title \x1b]0;pwned\x07`) {
		t.Errorf("raw escapes, or the title not shown escaped:\n%q\n%q", out, errOut)
	}
	bad := filepath.Join(dir, "x"+osc+".td")
	if err := os.WriteFile(bad, []byte("scenario\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("lab", "run", bad)
	if code != exitUsage || strings.ContainsAny(out+errOut, "\x1b\x07") || !strings.Contains(errOut, `x\x1b]0;pwned\x07.td`) {
		t.Errorf("exit %d, a file name with escapes:\n%q\n%q", code, out, errOut)
	}
}

// TestLabDocsAgree checks that docs/lab.md and the help of lab run state
// the bounds the scenario package enforces and every exit status.
func TestLabDocsAgree(t *testing.T) {
	doc, err := os.ReadFile("../../docs/lab.md")
	if err != nil {
		t.Fatal(err)
	}
	_, help, _ := run("lab", "run", "--help")
	bounds := []string{
		fmt.Sprintf("%d MiB", scenario.MaxSource>>20),
		fmt.Sprintf("%d MiB", scenario.MaxText>>20),
		fmt.Sprint(scenario.MaxLines),
		fmt.Sprintf("%d bytes", scenario.MaxWord),
	}
	for _, b := range bounds {
		if !bytes.Contains(doc, []byte(b)) || !strings.Contains(help, b) {
			t.Errorf("bound %q missing from docs/lab.md or the help", b)
		}
	}
	for _, code := range []int{exitOK, exitDiffers, exitUsage, exitLabError, exitNothingRan, 128 + 2, 128 + 15} {
		row := fmt.Sprintf("| %d |", code)
		if code >= 128 {
			row = fmt.Sprint(code)
		}
		if !bytes.Contains(doc, []byte(row)) || !strings.Contains(help, fmt.Sprint(code)) {
			t.Errorf("exit status %d missing from docs/lab.md's table or the help", code)
		}
	}
}
